#!/usr/bin/env bash
# Back up the Lobby database while it runs.
#
#   scripts/backup.sh [OUTPUT]
#
# Reads DATABASE_URL as the app does (default: the SQLite file var/lobby.sqlite3).
# PostgreSQL: pg_dump in its custom format (restore with scripts/restore.sh or
# pg_restore). SQLite: the online backup API, a consistent copy even while desks
# write. The backup holds visitors' personal data: it is written readable by its
# owner only, with a .sha256 beside it. Prints the backup's path.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
umask 077

url="${DATABASE_URL:-sqlite:///$PWD/var/lobby.sqlite3}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

case "$url" in
postgres://* | postgresql://*)
    out="${1:-var/backups/lobby-$stamp.pgdump}"
    mkdir -p "$(dirname "$out")"
    pg_dump --format=custom --no-owner --no-privileges --file="$out.partial" "$url"
    ;;
sqlite://*)
    out="${1:-var/backups/lobby-$stamp.sqlite3}"
    mkdir -p "$(dirname "$out")"
    rm -f "$out.partial"
    "$PYTHON" - "$url" "$out.partial" <<'PY'
import os
import sqlite3
import sys

import dj_database_url

source = dj_database_url.parse(sys.argv[1])["NAME"]
if not os.path.isfile(source):
    sys.exit(f"backup.sh: no SQLite database at {source}")
src = sqlite3.connect(source)
dst = sqlite3.connect(sys.argv[2])
with dst:
    src.backup(dst)
dst.close()
src.close()
PY
    ;;
*)
    echo "backup.sh: DATABASE_URL must point at PostgreSQL or SQLite" >&2
    exit 2
    ;;
esac

mv "$out.partial" "$out"
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
echo "$out"
