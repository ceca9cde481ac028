"""The integrations' REST API at /api/v1/ (issue #21): Django Ninja, with its
OpenAPI document at /api/v1/openapi.json and its docs page at /api/v1/docs.

auth.py finds the bearer token, its site and its scopes, and counts it
against its rate limit; errors.py turns every refusal into JSON
{code, field, message}; schemas.py says what goes in and out; endpoints.py
reads through the desk's selectors and writes through the desk's services, so
the reception rules (R1.3 rooms, R6.8 the night window, R6.4 no edits in
place) hold for an integration exactly as at the desk."""
