#!/usr/bin/env bash
# Brings up (or stops) the PostgreSQL and Redis that the hub needs, as ordinary local
# processes on loopback with their data under .data/ (git-ignored). Each checkout has servers
# of its own: they are never shared with another checkout unless you say so.
#
#   scripts/services.sh up      start both unless already running; write .data/services.env
#   scripts/services.sh down    stop both (this checkout's only)
#   scripts/services.sh status  say what is running
#
# When DATABASE_URL and REDIS_URL are both set, those servers are used and nothing is started:
# that is how to share one server between checkouts, or use your own.
# Ports: HUB_PG_PORT and HUB_REDIS_PORT when set (refused if another server holds them);
# otherwise the ones this checkout used last (.data/ports.env), else the first free ones from
# 54329 and 63799. The URLs of the local servers are written to .data/services.env, which the
# npm scripts load with Node's --env-file-if-exists (variables already set in the environment win).
set -euo pipefail

# -P: the physical path, as Redis reports its own directory (see redis_is_ours).
root_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
data_dir="$root_dir/.data"
pg_dir="$data_dir/pg" # may move: see choose_pg_dir
redis_dir="$data_dir/redis"
env_file="$data_dir/services.env"
ports_file="$data_dir/ports.env"
pg_password="hub-local"
pg_port=""
redis_port=""

say() { printf 'services: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# PostgreSQL refuses to run as root; as root we run it as this unprivileged account.
pg_os_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
    return
  fi
  if id postgres >/dev/null 2>&1; then
    echo postgres
    return
  fi
  useradd --system --no-create-home --shell /usr/sbin/nologin hubpg >/dev/null 2>&1 || true
  echo hubpg
}

as_pg_user() {
  local user=$1
  shift
  # From /: the account may not enter the folder we run in (a private checkout).
  if [ "$(id -u)" -ne 0 ]; then "$@"; else (cd / && runuser -u "$user" -- "$@"); fi
}

pg_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    local major
    major=$(basename "$(dirname "$dir")")
    if [ "$major" -ge 15 ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return
    fi
  done
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ]; then
    pg_config --bindir
    return
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
# A checkout under a private folder (/root, any 0700 directory) is out of its reach: then the
# data lives under /var/lib/alliance-hub/, one folder per checkout.
choose_pg_dir() {
  local user=$1
  mkdir -p "$data_dir"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u "$user" -- test -x "$data_dir"; then
    local base="/var/lib/alliance-hub"
    pg_dir="$base/$(printf '%s' "$root_dir" | md5sum | cut -c1-12)/pg"
    # Explicit modes: root's umask may be 077, and the account must pass through both.
    install -d -m 755 "$base" "$(dirname "$pg_dir")"
  fi
}

# True when something accepts connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tool).
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The first port from $1 on (100 tried) that nothing listens on.
free_port_from() {
  local port=$1
  while port_in_use "$port"; do
    port=$((port + 1))
    [ "$port" -lt $(($1 + 100)) ] || die "no free port in $1..$port: set HUB_PG_PORT and HUB_REDIS_PORT"
  done
  echo "$port"
}

# The ports this checkout used last, unless the environment names its own.
load_ports() {
  local saved_pg="" saved_redis="" line
  if [ -f "$ports_file" ]; then
    while IFS= read -r line; do
      case "$line" in
        HUB_PG_PORT=*) saved_pg=${line#*=} ;;
        HUB_REDIS_PORT=*) saved_redis=${line#*=} ;;
      esac
    done <"$ports_file"
  fi
  pg_port=${HUB_PG_PORT:-$saved_pg}
  redis_port=${HUB_REDIS_PORT:-$saved_redis}
}

save_ports() {
  printf 'HUB_PG_PORT=%s\nHUB_REDIS_PORT=%s\n' "$pg_port" "$redis_port" >"$ports_file"
}

# A port held by another server: refused when asked for by name, else the next free one.
claim_port() {
  local name=$1 port=$2 default=$3
  if [ -z "$port" ]; then
    free_port_from "$default"
  elif ! port_in_use "$port"; then
    echo "$port"
  elif [ -n "${!name:-}" ]; then
    die "port $port ($name) is taken by a server that is not this checkout's: choose another $name, or set DATABASE_URL and REDIS_URL to use that server (it is then shared)"
  else
    say "port $port is now taken by another server: this checkout moves to another port"
    free_port_from "$default"
  fi
}

# The port our own cluster runs on (line 4 of postmaster.pid), when it runs.
running_pg_port() {
  local bin=$1 user=$2
  as_pg_user "$user" "$bin/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1 || return 1
  sed -n 4p "$pg_dir/postmaster.pid"
}

# initdb into a folder beside the final one, moved into place only when complete, so that a
# failed initdb never leaves a folder that a later run takes for a cluster.
pg_init() {
  local bin=$1 user=$2
  local partial="$pg_dir.partial" pwfile
  rm -rf "$partial"
  mkdir -p "$partial"
  chown "$user" "$partial" 2>/dev/null || true
  chmod 700 "$partial"
  # The password file sits beside the data folder, which the account can reach (choose_pg_dir).
  pwfile=$(mktemp "$(dirname "$pg_dir")/.pgpass-init.XXXXXX")
  printf '%s\n' "$pg_password" >"$pwfile"
  chown "$user" "$pwfile" 2>/dev/null || true
  if ! as_pg_user "$user" "$bin/initdb" -D "$partial" -U hub --pwfile="$pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$data_dir/initdb.log" 2>&1; then
    rm -f "$pwfile"
    rm -rf "$partial"
    die "initdb failed as user $user; see .data/initdb.log"
  fi
  rm -f "$pwfile" "$data_dir/initdb.log"
  rm -rf "$pg_dir"
  mv "$partial" "$pg_dir"
}

pg_up() {
  local bin user running
  bin=$(pg_bin_dir)
  user=$(pg_os_user)
  choose_pg_dir "$user"
  [ -f "$pg_dir/PG_VERSION" ] || pg_init "$bin" "$user"
  if running=$(running_pg_port "$bin" "$user"); then
    if [ -n "$pg_port" ] && [ "$pg_port" != "$running" ]; then
      say "this checkout's PostgreSQL already runs on port $running (stop it to move it to $pg_port)"
    fi
    pg_port=$running
    return
  fi
  pg_port=$(claim_port HUB_PG_PORT "$pg_port" 54329)
  # Sized for a 2-core machine running tests in parallel; fsync stays on (money). TCP only:
  # a socket path under a deep checkout could exceed the kernel's limit.
  as_pg_user "$user" "$bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories='' \
     -c max_connections=300 -c shared_buffers=512MB -c wal_buffers=16MB \
     -c max_wal_size=2GB -c timezone=UTC" >/dev/null ||
    die "PostgreSQL did not start; see $pg_dir/server.log"
}

# True when the Redis on $1 is this checkout's: it keeps its data in our folder.
redis_is_ours() {
  [ "$(redis-cli -h 127.0.0.1 -p "$1" --raw config get dir 2>/dev/null | sed -n 2p)" = "$redis_dir" ]
}

redis_up() {
  mkdir -p "$redis_dir"
  # Ours already (a checkout from before .data/ports.env runs its Redis on the default port).
  if redis_is_ours "${redis_port:-63799}"; then
    redis_port=${redis_port:-63799}
    return
  fi
  redis_port=$(claim_port HUB_REDIS_PORT "$redis_port" 63799)
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
  load_ports
  pg_up
  ensure_database
  redis_up
  save_ports
  write_env
  say "PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port (this checkout's; data in .data/)"
}

down() {
  local bin user
  user=$(pg_os_user)
  choose_pg_dir "$user"
  load_ports
  if [ -f "$pg_dir/postmaster.pid" ] && bin=$(pg_bin_dir); then
    as_pg_user "$user" "$bin/pg_ctl" -D "$pg_dir" -m fast -w stop >/dev/null && say "PostgreSQL stopped"
  fi
  # Only this checkout's Redis: whatever else listens on the port is left alone.
  redis_port=${redis_port:-63799}
  if command -v redis-cli >/dev/null 2>&1 && redis_is_ours "$redis_port"; then
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    say "Redis stopped"
  fi
}

status() {
  local bin user running
  user=$(pg_os_user)
  choose_pg_dir "$user"
  load_ports
  if bin=$(pg_bin_dir) && running=$(running_pg_port "$bin" "$user"); then
    say "PostgreSQL up on 127.0.0.1:$running"
  else
    say "PostgreSQL down"
  fi
  redis_port=${redis_port:-63799}
  if command -v redis-cli >/dev/null 2>&1 && redis_is_ours "$redis_port"; then
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
