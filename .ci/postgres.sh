#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 and print its SQLAlchemy URL (used by .ci/run; handy locally).
# Usage: url=$(.ci/postgres.sh DIR)  — stop it with: pg_ctl -D DIR/data stop (as the same user).
set -euo pipefail
dir=${1:?data directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || bin=$(dirname "$(readlink -f "$(command -v initdb)")")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir"
run() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run "'$bin/initdb' -D '$dir/data' -A trust -U beltdoctor -E UTF8 --no-locale >'$dir/initdb.log' 2>&1"
run "'$bin/pg_ctl' -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" -l '$dir/server.log' -w start >/dev/null"
run "'$bin/createdb' -h 127.0.0.1 -p $port -U beltdoctor beltdoctor_test"
echo "postgresql+psycopg://beltdoctor@127.0.0.1:$port/beltdoctor_test"
