#!/usr/bin/env bash
# Brings up (or stops) the PostgreSQL and Redis that the hub needs, as ordinary local
# processes on loopback with their data under .data/ (git-ignored).
#
#   scripts/services.sh up      start both unless already running; print the env file path
#   scripts/services.sh down    stop both
#   scripts/services.sh status  say what is running
#
# When DATABASE_URL and REDIS_URL are both set, those servers are used and nothing is started.
# The URLs of the local servers are written to .data/services.env, which the npm scripts load
# with Node's --env-file-if-exists (variables already set in the environment win).
set -euo pipefail

root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_dir="$root_dir/.data"
pg_dir="$data_dir/pg"  # may move: see choose_pg_dir
redis_dir="$data_dir/redis"
env_file="$data_dir/services.env"
pg_port="${HUB_PG_PORT:-54329}"
redis_port="${HUB_REDIS_PORT:-63799}"
pg_password="hub-local"

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# PostgreSQL refuses to run as root; as root we run it as this unprivileged account.
pg_os_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  useradd --system --no-create-home --shell /usr/sbin/nologin hubpg >/dev/null 2>&1 || true
  echo hubpg
}

as_pg_user() {
  local user=$1; shift
  if [ "$(id -u)" -ne 0 ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

pg_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    local major
    major=$(basename "$(dirname "$dir")")
    if [ "$major" -ge 15 ] && [ -x "$dir/postgres" ]; then echo "$dir"; return; fi
  done
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ]; then
    pg_config --bindir; return
  fi
  return 1
}

apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "missing $*: install the Debian packages ($*) or set DATABASE_URL and REDIS_URL"
  fi
  say "installing $* from Debian's packages"
  # The Debian packages would create and start a cluster/service of their own: we want neither.
  mkdir -p /etc/postgresql-common
  [ -f /etc/postgresql-common/createcluster.conf ] ||
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive RUNLEVEL=1
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_binaries() {
  pg_bin_dir >/dev/null || apt_install postgresql
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  pg_bin_dir >/dev/null || die "PostgreSQL 15+ not found after install"
}

# As root, PostgreSQL runs as another account, which must be able to reach its data folder.
# A checkout under a private home (/root) is out of its reach: then the data lives under
# /var/lib/alliance-hub/, one folder per checkout.
choose_pg_dir() {
  local user=$1
  mkdir -p "$data_dir"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u "$user" -- test -x "$data_dir"; then
    pg_dir="/var/lib/alliance-hub/$(printf '%s' "$root_dir" | md5sum | cut -c1-12)/pg"
    mkdir -p "$(dirname "$pg_dir")"
  fi
}

pg_up() {
  local bin user
  bin=$(pg_bin_dir)
  user=$(pg_os_user)
  choose_pg_dir "$user"
  if [ ! -f "$pg_dir/PG_VERSION" ]; then
    mkdir -p "$pg_dir"
    chown "$user" "$pg_dir" 2>/dev/null || true
    chmod 700 "$pg_dir"
    local pwfile="$data_dir/.pgpass-init"
    printf '%s\n' "$pg_password" >"$pwfile"
    chown "$user" "$pwfile" 2>/dev/null || true
    as_pg_user "$user" "$bin/initdb" -D "$pg_dir" -U hub --pwfile="$pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  if as_pg_user "$user" "$bin/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1; then return; fi
  # Another checkout of the hub may already run its server on this port: share it.
  if PGPASSWORD="$pg_password" "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U hub -d postgres -tAqc 'SELECT 1' >/dev/null 2>&1; then
    return
  fi
  # Sized for a 2-core machine running tests in parallel; fsync stays on (money).
  as_pg_user "$user" "$bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir \
     -c max_connections=300 -c shared_buffers=512MB -c wal_buffers=16MB \
     -c max_wal_size=2GB -c timezone=UTC" >/dev/null ||
    die "PostgreSQL did not start; see $pg_dir/server.log"
}

redis_up() {
  mkdir -p "$redis_dir"
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then return; fi
  # BullMQ asks for noeviction: an evicted job key is a lost job.
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$redis_dir" \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" \
    --maxmemory-policy noeviction --appendonly yes --save '' >/dev/null
  local tries=0
  until redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || die "Redis did not start; see $redis_dir/redis.log"
    sleep 0.1
  done
}

write_env() {
  cat >"$env_file" <<ENV
DATABASE_URL=postgres://hub:$pg_password@127.0.0.1:$pg_port/hub
REDIS_URL=redis://127.0.0.1:$redis_port
ENV
}

ensure_database() {
  local bin
  bin=$(pg_bin_dir)
  PGPASSWORD="$pg_password" "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U hub -d postgres -tAqc \
    "SELECT 1 FROM pg_database WHERE datname = 'hub'" | grep -q 1 ||
    PGPASSWORD="$pg_password" "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U hub hub
}

up() {
  if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
    say "DATABASE_URL and REDIS_URL are set: using those servers, starting nothing"
    return
  fi
  ensure_binaries
  pg_up
  ensure_database
  redis_up
  write_env
  say "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port (data in .data/)"
}

down() {
  local bin user
  user=$(pg_os_user)
  choose_pg_dir "$user"
  if [ -f "$pg_dir/postmaster.pid" ] && bin=$(pg_bin_dir); then
    as_pg_user "$user" "$bin/pg_ctl" -D "$pg_dir" -m fast -w stop >/dev/null && say "PostgreSQL stopped"
  fi
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    say "Redis stopped"
  fi
}

status() {
  local bin
  if bin=$(pg_bin_dir) && "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then
    say "PostgreSQL up on 127.0.0.1:$pg_port"
  else
    say "PostgreSQL down"
  fi
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    say "Redis up on 127.0.0.1:$redis_port"
  else
    say "Redis down"
  fi
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/services.sh up|down|status" ;;
esac
