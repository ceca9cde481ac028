"""Every answer the API refuses with is JSON {code, field, message}: `code`
stable (the services' ReceptionError codes, or one of those below), `message`
in the request's language (Accept-Language, via LocaleMiddleware)."""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from reception.errors import ReceptionError

# The statuses an operation may refuse with; each is documented in the OpenAPI
# document, so a client (and schemathesis) knows every answer it can get.
REFUSALS = frozenset({400, 401, 403, 404, 405, 422, 429})


class ApiRefusal(Exception):
    """A refusal of the API itself (not of a reception rule): a missing scope, the rate limit."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def body(code: str, message, field: str | None = None) -> dict:
    return {"code": code, "field": field, "message": str(message)}


def _field_of(error: dict) -> str | None:
    # Ninja's locations start with where the value came from ("body", "query",
    # "path") and, for a body, the parameter's name; the field is the rest.
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload", "filters")]
    return ".".join(loc) or None


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ReceptionError)
    def reception_error(request, exc: ReceptionError):
        return api.create_response(request, body(exc.code, exc.message, exc.field), status=400)

    @api.exception_handler(ApiRefusal)
    def refusal(request, exc: ApiRefusal):
        response = api.create_response(request, body(exc.code, exc.message, exc.field), status=exc.status)
        if exc.status == 429:
            response["Retry-After"] = "60"
        return response

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        first = exc.errors[0] if exc.errors else {}
        message = _("This value is not valid: %(reason)s") % {"reason": first.get("msg", "")}
        return api.create_response(request, body("invalid", message, _field_of(first)), status=422)

    @api.exception_handler(AuthenticationError)
    def unauthorised(request, exc):
        message = _("Give a valid API token: Authorization: Bearer <token>. It may have expired or been revoked.")
        response = api.create_response(request, body("unauthorized", message), status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, body("not_found", _("Not found.")), status=404)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        # Ninja's own refusals: an unreadable body, a method the path lacks.
        code = {405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return api.create_response(request, body(code, exc.message), status=exc.status_code)
