"""Issue #15: the signing key never comes from the repository. Development
mode (`make run`) keeps a random key of its own under var/."""

import hashlib
import stat
from pathlib import Path

import pytest
from django.core import signing
from django.core.exceptions import ImproperlyConfigured

from config.env import env_secret_file
from tests.config.test_settings import start_django
from visitors.links import INVITATION_SALT, invitation_token

ROOT = Path(__file__).resolve().parents[2]
# The key the settings fell back to before issue #15, split so that this file
# does not contain it either.
OLD_KEY = "dev-only-insecure-" + "key-never-use-in-production"


# Not the repository's own files: installed packages, local state, caches.
EXCLUDED = {".git", ".venv", "var", "__pycache__", ".hypothesis", ".pytest_cache", "test-results", "build"}


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "var" / "secret_key"
    monkeypatch.setenv("SECRET_KEY_FILE", str(path))
    return path


def test_development_mode_makes_a_private_random_key_once(key_file):
    key = env_secret_file("SECRET_KEY_FILE", create=True)

    assert len(key) >= 50
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert list(key_file.parent.iterdir()) == [key_file]  # no draft left behind


def test_the_key_file_is_reused(key_file):
    first = env_secret_file("SECRET_KEY_FILE", create=True)

    assert env_secret_file("SECRET_KEY_FILE", create=True) == first
    assert env_secret_file("SECRET_KEY_FILE") == first


def test_production_never_makes_a_key(key_file):
    with pytest.raises(ImproperlyConfigured, match="there is no such file"):
        env_secret_file("SECRET_KEY_FILE")

    assert not key_file.exists()


def test_an_empty_key_file_is_refused(key_file):
    key_file.parent.mkdir()
    key_file.write_text("\n")

    with pytest.raises(ImproperlyConfigured, match="is an empty file"):
        env_secret_file("SECRET_KEY_FILE", create=True)


def test_make_runs_processes_share_one_key(tmp_path):
    """The settings read the file in every process (server, worker, commands)."""
    env = {"DEBUG": "1", "SECRET_KEY_FILE": str(tmp_path / "secret_key")}
    code = (
        "from hashlib import sha256; from django.conf import settings; "
        "print(sha256(settings.SECRET_KEY.encode()).hexdigest())"
    )

    first, second = start_django(code, **env), start_django(code, **env)

    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text().strip()
    assert first.stdout.split()[-1] == second.stdout.split()[-1] == hashlib.sha256(key.encode()).hexdigest()


def test_production_with_a_missing_key_file_stops_start_up(tmp_path):
    result = start_django(DEBUG="0", SECRET_KEY_FILE=str(tmp_path / "secret_key"))

    assert result.returncode != 0
    assert "SECRET_KEY_FILE=" in result.stderr and "there is no such file" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_the_repository_holds_no_signing_key():
    sources = [
        path
        for path in ROOT.rglob("*")
        if path.is_file()
        and not EXCLUDED & set(path.relative_to(ROOT).parts)
        and path.suffix not in {".mo", ".png", ".jpg", ".ico", ".woff2", ".sqlite3"}
    ]

    assert [str(p) for p in sources if OLD_KEY in p.read_text(errors="ignore")] == []


def test_an_invitation_link_signed_with_the_old_key_is_refused(client, invitation):
    forged = signing.dumps(invitation.pk, key=OLD_KEY, salt=INVITATION_SALT)

    assert client.get(f"/i/{forged}/").status_code == 404
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 200


def test_a_rotated_key_still_verifies_links_while_it_is_a_fallback():
    """Rotating the key (docs/deployment.md): links and sessions signed with the
    old key keep working while it is listed in SECRET_KEY_FALLBACKS."""
    old, new = "o" * 50, "n" * 50
    link = signing.dumps(42, key=old, salt=INVITATION_SALT)
    code = f"from django.core import signing; print(signing.loads({link!r}, salt={INVITATION_SALT!r}))"

    kept = start_django(code, DEBUG="1", SECRET_KEY=new, SECRET_KEY_FALLBACKS=f"{'x' * 50}, {old}")
    dropped = start_django(code, DEBUG="1", SECRET_KEY=new)

    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.split()[-1] == "42"
    assert "BadSignature" in dropped.stderr
