"""Backups restore into a scratch database whose audit trail verifies
(docs/backup-restore.md); a damaged copy is caught."""

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
POPULATE = """
from django.db import transaction
from reception.models import Site
from visitors import audit

site = Site.objects.create(name="Headquarters Base", slug="hq")
with transaction.atomic():
    for n in range(3):
        audit.record(site=site, actor=None, action="test.backup", object_type="test", object_id=str(n),
                     changes={"n": n, "name": "周杰"}, client_address="::ffff:10.0.0.7")
"""


def run(*args, database_url: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHON": sys.executable}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=check)


def make_source(database_url: str) -> None:
    run(sys.executable, "manage.py", "migrate", "--noinput", "-v0", database_url=database_url)
    run(sys.executable, "manage.py", "shell", "-c", POPULATE, database_url=database_url)


def test_a_sqlite_backup_restores_and_its_audit_trail_verifies(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    make_source(source)

    backup = run("scripts/backup.sh", str(tmp_path / "backup.sqlite3"), database_url=source).stdout.strip()
    restored = run(
        "scripts/restore.sh", backup, f"sqlite:///{tmp_path / 'restored.sqlite3'}", database_url="sqlite:///unused"
    )

    assert Path(backup).stat().st_mode & 0o077 == 0  # personal data: owner only
    assert "hq: 3 events, chain intact" in restored.stdout
    assert "OK: 1 site(s), 3 events, every chain intact." in restored.stdout


def test_a_tampered_copy_fails_verification(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    make_source(source)
    backup = run("scripts/backup.sh", str(tmp_path / "backup.sqlite3"), database_url=source).stdout.strip()
    with sqlite3.connect(backup) as db:
        db.execute("UPDATE visitors_auditevent SET object_id = 'forged' WHERE seq = 2")
    Path(backup + ".sha256").unlink()  # a forger would recompute it; the chain still tells

    restored = run(
        "scripts/restore.sh",
        backup,
        f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        database_url="sqlite:///unused",
        check=False,
    )

    assert restored.returncode != 0
    assert "hq: BROKEN at event #2" in restored.stderr


def test_a_restore_never_writes_over_an_existing_database(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    make_source(source)
    backup = run("scripts/backup.sh", str(tmp_path / "backup.sqlite3"), database_url=source).stdout.strip()
    before = (tmp_path / "live.sqlite3").read_bytes()

    refused = run("scripts/restore.sh", backup, source, database_url="sqlite:///unused", check=False)

    assert refused.returncode != 0 and "exists already" in refused.stderr
    assert (tmp_path / "live.sqlite3").read_bytes() == before


@pytest.mark.postgres
def test_a_postgresql_backup_restores_with_its_triggers_and_verifies():
    server = connection.settings_dict
    base = f"postgres://{server['USER']}@{server['HOST'] or 'localhost'}:{server['PORT'] or 5432}"
    token = secrets.token_hex(4)
    source, scratch = f"{base}/lobby_backup_src_{token}", f"{base}/lobby_backup_dst_{token}"
    env = {**os.environ, "PGHOST": server["HOST"] or "localhost", "PGPORT": str(server["PORT"] or 5432)}
    env.update({"PGUSER": server["USER"], "PGPASSWORD": server.get("PASSWORD") or ""})
    subprocess.run(["createdb", f"lobby_backup_src_{token}"], env=env, check=True)
    try:
        make_source(source)
        backup = run("scripts/backup.sh", f"/tmp/lobby_backup_{token}.pgdump", database_url=source).stdout.strip()

        restored = run("scripts/restore.sh", backup, scratch, database_url="sqlite:///unused")

        assert "OK: 1 site(s), 3 events, every chain intact." in restored.stdout
        triggers = subprocess.run(
            ["psql", "-tAc", "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1", scratch],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert "visitors_auditevent_append_only" in triggers
        assert "visitors_visit_registration_immutable" in triggers
    finally:
        for name in (f"lobby_backup_src_{token}", f"lobby_backup_dst_{token}"):
            subprocess.run(["dropdb", "--if-exists", name], env=env, check=False)
        for leftover in Path("/tmp").glob(f"lobby_backup_{token}.pgdump*"):
            leftover.unlink()
