#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 only, with password authentication.
#
#   scripts/postgres.sh start DIR [PORT]   creates a cluster in DIR (once), starts it, prints its URL
#   scripts/postgres.sh stop DIR           stops it
#
# Needs Debian's postgresql package (`apt-get install postgresql`). As root, the server runs as the postgres user,
# since PostgreSQL refuses to run as root.
set -euo pipefail

command="${1:?usage: scripts/postgres.sh start|stop DIR [PORT]}"
dir="${2:?usage: scripts/postgres.sh start|stop DIR [PORT]}"
port="${3:-5439}"

bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
        printf '%s\n' "$password" >"$dir/password.tmp"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir/password.tmp"
        as_owner "$bin/initdb" -D "$dir/data" --username=tern --pwfile="$dir/password.tmp" --auth=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
        rm -f "$dir/password.tmp"
        printf '%s\n' "$password" >"$dir/password"
        chmod 600 "$dir/password"
    fi
    printf 'postgres://tern:%s@127.0.0.1:%s/postgres?sslmode=disable\n' "$(cat "$dir/password")" "$port" >"$dir/url"
    # Tests create a database each: no disk syncs for speed (the cluster is thrown away), enough connections for
    # several replicas.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c max_connections=300 -c fsync=off" \
        start >/dev/null
    cat "$dir/url"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "unknown command $command" >&2
    exit 2
    ;;
esac
