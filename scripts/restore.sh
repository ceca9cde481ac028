#!/usr/bin/env bash
# Restore a Lobby backup into a NEW scratch database and check its audit trail.
#
#   scripts/restore.sh BACKUP TARGET_DATABASE_URL
#
# TARGET_DATABASE_URL names a database that does not exist yet
# (postgres://user@host:5432/lobby_restore_2026_11_27 or sqlite:////tmp/restore.sqlite3);
# the script refuses to write over an existing one, so it never touches the live
# database. After restoring it runs `manage.py verify_log` against the copy and
# exits non-zero if the copy is damaged or its audit chain is broken. To go live
# with a verified copy, point DATABASE_URL at it (see docs/backup-restore.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"

if [ "$#" -ne 2 ]; then
    echo "usage: scripts/restore.sh BACKUP TARGET_DATABASE_URL" >&2
    exit 2
fi
backup="$1"
target="$2"
if [ ! -f "$backup" ]; then
    echo "restore.sh: no backup file at $backup" >&2
    exit 2
fi
if [ -f "$backup.sha256" ]; then
    (cd "$(dirname "$backup")" && sha256sum --check --quiet "$(basename "$backup").sha256")
fi

case "$target" in
postgres://* | postgresql://*)
    # libpq's variables for the server, and the new database's name.
    eval "$("$PYTHON" - "$target" <<'PY'
import shlex
import sys

import dj_database_url

db = dj_database_url.parse(sys.argv[1])
for var, key in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")]:
    if db.get(key):
        print(f"export {var}={shlex.quote(str(db[key]))}")
print(f"name={shlex.quote(db['NAME'])}")
PY
)"
    createdb "$name" || {
        echo "restore.sh: could not create $name (does it exist already? restore into a new database)" >&2
        exit 1
    }
    pg_restore --no-owner --no-privileges --exit-on-error --dbname="$target" "$backup"
    ;;
sqlite://*)
    "$PYTHON" - "$backup" "$target" <<'PY'
import os
import sqlite3
import sys

import dj_database_url

target = dj_database_url.parse(sys.argv[2])["NAME"]
if os.path.exists(target):
    sys.exit(f"restore.sh: {target} exists already; restore into a new file")
src = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
dst = sqlite3.connect(target)
with dst:
    src.backup(dst)
src.close()
(result,) = dst.execute("PRAGMA integrity_check").fetchone()
dst.close()
if result != "ok":
    sys.exit(f"restore.sh: the restored copy is damaged: {result}")
PY
    ;;
*)
    echo "restore.sh: TARGET_DATABASE_URL must point at PostgreSQL or SQLite" >&2
    exit 2
    ;;
esac

echo "Restored $backup into $target; checking the audit trail:"
DATABASE_URL="$target" "$PYTHON" manage.py verify_log
