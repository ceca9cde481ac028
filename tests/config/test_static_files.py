"""Production serves static files through WhiteNoise's manifest storage, which
rewrites every reference inside the CSS and JS at collectstatic time: a
vendored file pointing at something we do not ship stops the deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_collectstatic_succeeds_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "lobby.example.com",
        "SITE_URL": "https://lobby.example.com",
        "STATIC_ROOT": str(tmp_path),
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap/bootstrap.min.css" in manifest
    assert "django_htmx/htmx-2.min.js" in manifest
    assert any(tmp_path.glob("vendor/bootstrap/bootstrap.min.*.css.gz"))  # compressed for WhiteNoise
