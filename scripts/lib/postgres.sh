# A private PostgreSQL cluster on 127.0.0.1 for tests and benchmarks. Source this file, then call
# `start_private_postgres`: it installs Debian's postgresql if missing, runs initdb + pg_ctl in a
# temporary folder (as the unprivileged `postgres` user when run as root), creates database
# `tessera`, exports TESSERA_POSTGRES_URL and TESSERA_POSTGRES_CTL (a `pg_ctl start|stop` wrapper
# for outage tests), and stops and removes the cluster on exit.

start_private_postgres() {
    if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
        echo "== installing Debian package: postgresql"
        local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql
    fi
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    PG_TMP=$(mktemp -d /tmp/tessera-pg.XXXXXX)
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
        chown postgres: "$PG_TMP"
        run=(runuser -u postgres --)
    fi
    local port password=tessera-test-password
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    printf '%s\n' "$password" > "$PG_TMP/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_TMP/pwfile"
    "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -U tessera --pwfile="$PG_TMP/pwfile" \
        --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-instructions >"$PG_TMP/initdb.log"
    # The wrapper the outage tests use to stop and start this server.
    cat >"$PG_TMP/pgctl" <<WRAPPER
#!/usr/bin/env bash
exec ${run[*]} "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c max_connections=400 -c shared_buffers=128MB" "\$@"
WRAPPER
    chmod 755 "$PG_TMP/pgctl"
    "$PG_TMP/pgctl" start </dev/null >/dev/null 2>&1
    trap stop_private_postgres EXIT
    PGPASSWORD=$password "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U tessera tessera
    export TESSERA_POSTGRES_URL="postgres://tessera:$password@127.0.0.1:$port/tessera?sslmode=disable"
    export TESSERA_POSTGRES_CTL="$PG_TMP/pgctl"
    echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster in $PG_TMP)"
}

stop_private_postgres() {
    if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
        "$PG_TMP/pgctl" stop -m fast >/dev/null 2>&1 || true
        rm -rf "$PG_TMP"
    fi
}

# Run as a script: `bash scripts/lib/postgres.sh start FILE` starts a cluster that outlives the call
# and writes two lines to FILE, its URL and its pg_ctl wrapper; `destroy WRAPPER` stops it and
# removes its folder. (A file, not standard output: the server must not hold the caller's pipe open.)
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        start)
            out=${2:?usage: postgres.sh start FILE}
            start_private_postgres >&2 </dev/null
            trap - EXIT
            printf '%s\n%s\n' "$TESSERA_POSTGRES_URL" "$TESSERA_POSTGRES_CTL" >"$out"
            ;;
        destroy)
            PG_TMP=$(dirname "${2:?usage: postgres.sh destroy PGCTL}")
            case "$PG_TMP" in /tmp/tessera-pg.*) stop_private_postgres ;; *) echo "not a private cluster: $PG_TMP" >&2; exit 2 ;; esac
            ;;
        *) echo "usage: postgres.sh start FILE | destroy PGCTL" >&2; exit 2 ;;
    esac
fi
