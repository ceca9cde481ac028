"""Typed readers for environment variables.

Every reader fails loudly with ImproperlyConfigured when a value is present but
malformed, so a typo in production stops start-up instead of silently falling
back to a development default.
"""

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_url(name: str, default: str = "") -> str:
    """An absolute http(s) address without a trailing slash, such as
    https://lobby.example.com; the default when unset or empty. Anything else
    (no scheme, no host, a bad port, a query) stops start-up."""
    raw = os.environ.get(name, "").strip() or default
    value = raw.rstrip("/")
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not an absolute http(s) address such as https://lobby.example.com."
        )
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret_file(name: str, *, create: bool = False) -> str:
    """The secret held in the file that the variable `name` names; "" when unset.

    A missing, unreadable or empty file stops start-up, except that with
    `create` (development only) a missing file is made once: a random value,
    readable by its owner only, and reused from then on. Processes that start
    together agree on one value: the file appears whole or not at all, and the
    first to create it wins.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    path = Path(raw)
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        if not create:
            raise ImproperlyConfigured(f"{name}={raw!r}: there is no such file.") from None
        value = _create_secret_file(path)
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} cannot be read: {exc.strerror}.") from None
    if not value:
        raise ImproperlyConfigured(f"{name}={raw!r} is an empty file.")
    return value


def _create_secret_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    # mkstemp makes the file with mode 0600; link() publishes it whole and never
    # replaces a file another process published first.
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(value + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            value = path.read_text().strip()
    finally:
        os.unlink(draft)
    return value
