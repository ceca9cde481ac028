"""The test suite's environment: development mode and a throwaway key.

The settings default to production (DEBUG off, HTTPS, a SECRET_KEY that must be
given), and the tests exercise the development configuration, as `make run` does.
pyproject.toml loads this module as a plugin (`-p tests.environment`) because
pytest-django reads the settings before any conftest.py is imported. Values
already in the environment win; each run gets its own random key, never one
from the repository.
"""

import os
import secrets

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
