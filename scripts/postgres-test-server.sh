#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks (Debian's `postgresql` package,
# scripts/install-deps.sh installs it).
#
#   scripts/postgres-test-server.sh start DIR   initdb + pg_ctl start, prints the URL
#   scripts/postgres-test-server.sh url DIR     prints the URL of a started server
#   scripts/postgres-test-server.sh stop DIR    stops it and removes its data
#
# The server listens on 127.0.0.1 at a free port (and on a Unix socket in its own
# directory), trusts local connections, and has a role `licet` (CREATEDB, not superuser)
# owning a database `licet`: URL postgresql://licet@127.0.0.1:PORT/licet, also written to
# DIR/url. initdb refuses to run as root, so as root the cluster belongs to the `postgres`
# user and lives in a fresh /tmp/licet-pg-XXXXXX (DIR may sit under a directory that
# user cannot enter, such as /root); DIR/cluster says where. fsync stays on: benchmarks
# measure real commits.
set -euo pipefail

usage() {
  echo "usage: $0 start|url|stop DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
action=$1
state=$2

die() {
  echo "postgres-test-server: $*" >&2
  exit 1
}

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n $dir && -x $dir/initdb ]]; then
    echo "$dir"
  elif command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
  else
    die "PostgreSQL server binaries not found (apt-get install postgresql; scripts/install-deps.sh does it)"
  fi
}

# as_owner CMD...: runs a command as the cluster's owner.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local bin cluster port log url
  bin=$(find_bin)
  mkdir -p "$state"
  if [[ -f $state/cluster ]] && [[ -f $(cat "$state/cluster")/data/postmaster.pid ]]; then
    stop_server  # a leftover of an interrupted run
  fi
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' user (apt-get install postgresql creates it)"
    cluster=$(mktemp -d /tmp/licet-pg-XXXXXX)
    chown postgres: "$cluster"
  else
    cluster=$state/cluster-data
    rm -rf "$cluster"
    mkdir -p "$cluster"
  fi
  echo "$cluster" >"$state/cluster"
  chmod 700 "$cluster"
  as_owner mkdir -p "$cluster/socket"
  log=$cluster/server.log
  as_owner "$bin/initdb" -D "$cluster/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$state/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$state/initdb.log")"
  # A port that is free now may be taken before the server binds it: try a few.
  local started=0
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster/socket -c max_connections=200" \
      start >"$state/pg_ctl.log" 2>&1; then
      started=1
      break
    fi
  done
  [[ $started -eq 1 ]] || die "pg_ctl start failed: $(tail -n 5 "$log" 2>/dev/null || cat "$state/pg_ctl.log")"
  local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q)
  "${psql[@]}" -c "CREATE ROLE licet LOGIN CREATEDB" -c "CREATE DATABASE licet OWNER licet" \
    >/dev/null || die "cannot create the role and database"
  url="postgresql://licet@127.0.0.1:$port/licet"
  echo "$url" >"$state/url"
  echo "$url"
}

stop_server() {
  local bin cluster
  [[ -f $state/cluster ]] || return 0
  cluster=$(cat "$state/cluster")
  bin=$(find_bin)
  if [[ -f $cluster/data/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w -t 60 stop >/dev/null 2>&1 || {
      # A server that does not stop in a minute: end it by its own pid.
      local pid
      pid=$(head -n 1 "$cluster/data/postmaster.pid" 2>/dev/null || true)
      [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
    }
  fi
  # Only ever remove what start created: a /tmp/licet-pg-* directory or DIR/cluster-data.
  case $cluster in
    /tmp/licet-pg-* | "$state"/cluster-data) rm -rf "$cluster" ;;
  esac
  rm -f "$state/cluster" "$state/url"
}

case $action in
  start) start ;;
  url) [[ -f $state/url ]] || die "no server started in $state"; cat "$state/url" ;;
  stop) stop_server ;;
  *) usage ;;
esac
