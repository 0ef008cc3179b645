#!/usr/bin/env bash
# A local PostgreSQL server for the `postgres` dbt target, the PostgreSQL ingestion and the
# cross-engine tests: installs the distribution's `postgresql` package when no server binary
# is present, creates and starts a cluster on localhost, and creates the role and database the
# profile uses (REVOPS_PG_USER / REVOPS_PG_PASSWORD / REVOPS_PG_DBNAME, defaults revops).
#
# Idempotent: every step checks first, so running it again (tests call it from a pytest
# session fixture, .ci/run through `make system-deps`) costs ~0.2 s and changes nothing.
# Needs root (or sudo) only to install the package and to start the cluster the first time;
# the server itself always runs as the `postgres` system user (pg_ctlcluster switches to it).
set -euo pipefail

PG_USER="${REVOPS_PG_USER:-revops}"
PG_PASSWORD="${REVOPS_PG_PASSWORD:-revops}"
PG_DBNAME="${REVOPS_PG_DBNAME:-revops}"
PG_PORT="${REVOPS_PG_PORT:-5432}"

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo=""; fi

server_binary() {
    ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1
}

# 1. The package. Debian/Ubuntu's `postgresql` pulls the distribution's current major
#    version (15 on bookworm) and the postgresql-common wrappers used below.
if [ -z "$(server_binary)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing postgresql from apt"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
version="$(basename "$(dirname "$(dirname "$(server_binary)")")")"

# 2. The cluster: the package normally creates `<version>/main`; a container image built with
#    policy-rc.d or without the post-install step may not have.
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | grep -qx "$version/main"; then
    $sudo pg_createcluster --port "$PG_PORT" "$version" main >/dev/null
fi

# 3. Started, listening on localhost only.
status="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}')"
if [ "$status" != "online" ]; then
    $sudo pg_ctlcluster "$version" main start -- -o "-c listen_addresses=localhost" \
        || $sudo pg_ctlcluster "$version" main start
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"

for _ in $(seq 1 50); do
    pg_isready -q -h localhost -p "$port" && break
    sleep 0.2
done
pg_isready -q -h localhost -p "$port" || { echo "PostgreSQL did not start on port $port" >&2; exit 1; }

# Role and database already usable (the usual case after the first run): nothing to create, and
# no root needed.
if PGPASSWORD="$PG_PASSWORD" psql -h localhost -p "$port" -U "$PG_USER" -d "$PG_DBNAME" \
        -qtAX -c "select 1" >/dev/null 2>&1; then
    echo "PostgreSQL $version listening on localhost:$port (user $PG_USER, database $PG_DBNAME)"
    exit 0
fi

as_postgres() {
    if [ "$(id -un)" = "postgres" ]; then "$@"
    elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
    else $sudo -u postgres "$@"
    fi
}
psql_admin() { as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -qtAX "$@"; }

# 4. The role (CREATEDB: the tests create one throw-away database per run) and the database.
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$PG_USER'")" != "1" ]; then
    psql_admin -c "create role \"$PG_USER\" login createdb password '$PG_PASSWORD'"
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$PG_DBNAME'")" != "1" ]; then
    psql_admin -c "create database \"$PG_DBNAME\" owner \"$PG_USER\""
fi
echo "PostgreSQL $version listening on localhost:$port (user $PG_USER, database $PG_DBNAME)"
