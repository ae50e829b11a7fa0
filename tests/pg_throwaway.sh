#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests (Debian's server binaries; as root they run as `postgres`).
#   tests/pg_throwaway.sh start [DIR]   -> prints the SQLAlchemy URL; DIR defaults to /tmp/formflow-pg
#   tests/pg_throwaway.sh stop  [DIR]
set -euo pipefail
action=${1:?start or stop}
base=${2:-/tmp/formflow-pg}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || { echo "no PostgreSQL server: apt-get install -y postgresql" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
  start)
    if [ -f "$base/port" ] && as_pg "$bindir/pg_ctl" -D "$base/data" status >/dev/null 2>&1; then
      echo "postgresql+psycopg://postgres@127.0.0.1:$(cat "$base/port")/postgres"; exit 0
    fi
    rm -rf "$base"; mkdir -p "$base"
    [ "$(id -u)" = 0 ] && chown postgres "$base"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$bindir/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    as_pg "$bindir/pg_ctl" -D "$base/data" -l "$base/pg.log" -w -t 30 \
      -o "-h 127.0.0.1 -p $port -k $base -F -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    echo "$port" > "$base/port"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$base/data" ] && as_pg "$bindir/pg_ctl" -D "$base/data" -m fast -w stop >/dev/null || true
    rm -rf "$base"
    ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
