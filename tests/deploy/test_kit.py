"""The deployment kit (deploy/, issue #23): the files a site copies are
complete once their placeholders are filled, and they say what `make
prod-check` runs. The running stack itself is checked by `make prod-check`
in CI, not here."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import prod_check
from deploy.render import PLACEHOLDER, TemplateError, main, placeholders, render

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "lobby.conf"
PRODUCTION = {
    "SERVER_NAME": "lobby.example.com",
    "SITE_URL": "https://lobby.example.com",
    "HTTP_LISTEN": "80",
    "HTTPS_LISTEN": "443",
    "CERTIFICATE": "/etc/ssl/lobby/fullchain.pem",
    "CERTIFICATE_KEY": "/etc/ssl/lobby/privkey.pem",
    "APP_SERVER": "127.0.0.1:8000",
}


def uncommented(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_every_placeholder_of_the_nginx_site_is_filled():
    site = render(SITE.read_text(), PRODUCTION)

    assert placeholders(SITE.read_text()) == set(PRODUCTION)
    assert PLACEHOLDER.findall(uncommented(site)) == []
    assert "server_name lobby.example.com;" in site
    assert "return 301 https://lobby.example.com$request_uri;" in site
    # What BEHIND_PROXY=1 trusts: the scheme, and one address nobody can forge.
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site


def test_a_second_app_server_is_a_second_upstream_line():
    site = render(SITE.read_text(), {**PRODUCTION, "APP_SERVER": ["127.0.0.1:8000", "10.0.0.2:8000"]})

    assert re.findall(r"^\s*server (\S+);$", site, re.MULTILINE) == ["127.0.0.1:8000", "10.0.0.2:8000"]


def test_a_missing_or_misspelt_value_stops_the_renderer():
    values = {**PRODUCTION}
    del values["CERTIFICATE_KEY"]

    with pytest.raises(TemplateError, match="no value for @CERTIFICATE_KEY@"):
        render(SITE.read_text(), values)
    with pytest.raises(TemplateError, match="no placeholder takes SERVERNAME"):
        render(SITE.read_text(), {**PRODUCTION, "SERVERNAME": "x"})


def test_the_command_line_renders_to_standard_output(capsys):
    assert main([str(SITE), *(f"{k}={v}" for k, v in PRODUCTION.items())]) == 0
    assert "listen 443 ssl;" in capsys.readouterr().out
    assert main([str(SITE), "SERVER_NAME=x"]) == 1
    assert "no value for" in capsys.readouterr().err


def test_the_rendered_site_passes_nginx_syntax_check(tmp_path):
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None or shutil.which("openssl") is None:
        pytest.skip("nginx is not installed (apt-get install nginx): nginx -t not run; make prod-check installs it")
    cert, key = tmp_path / "lobby.crt", tmp_path / "lobby.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lobby.example.com",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    folder = tmp_path / "nginx"
    folder.mkdir()
    site = render(SITE.read_text(), {**PRODUCTION, "CERTIFICATE": str(cert), "CERTIFICATE_KEY": str(key)})
    (folder / "lobby.conf").write_text(site)

    result = subprocess.run(
        [nginx, "-t", "-p", str(folder), "-c", str(prod_check.write_nginx_main(folder))],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_prod_check_runs_the_units_commands_from_this_checkout():
    web = prod_check.unit_command("lobby-web.service")
    worker = prod_check.unit_command("lobby-worker.service")

    assert web == [str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py", "config.wsgi"]
    assert (ROOT / web[2]).is_file()  # one gunicorn configuration, in config/
    assert worker == [sys.executable, "manage.py", "db_worker"]
    assert prod_check.unit_command("lobby-backup.service") == [f"{ROOT}/scripts/backup.sh"]


def test_the_systemd_units_are_valid():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the unit files were not verified")
    units = sorted(str(p) for p in (ROOT / "deploy" / "systemd").iterdir())

    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True)

    # The programs live under /srv/lobby only once installed.
    complaints = [line for line in result.stderr.splitlines() if line and "is not executable" not in line]
    assert complaints == []


def test_the_environment_file_starts_production():
    env = prod_check.environment_file()

    assert env["DEBUG"] == "0"
    assert env["BEHIND_PROXY"] == "1"
    assert env["SECRET_KEY"] == ""  # never a committed key
    assert env["SITE_URL"] == env["CSRF_TRUSTED_ORIGINS"]
