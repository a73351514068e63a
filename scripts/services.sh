#!/usr/bin/env bash
# hub services up|down|status — make sure PostgreSQL, NATS (with JetStream) and ClickHouse run.
#
#   up      For each service: if something already answers at the configured host:port, use it.
#           Otherwise install the Debian package if missing (needs root and apt-get) and start a
#           project-local instance bound to 127.0.0.1, with its data under .data/<service>/ and its
#           pid in .data/<service>.pid. Idempotent.
#   down    Stop only the instances `up` started (those with a pid file). External ones are left alone.
#   status  Print what runs where; exit 0 when all three run, 3 otherwise.
#
# Configuration (environment, with defaults):
#   DATABASE_URL    postgres://postgres@127.0.0.1:5432/ocpi_hub  (the database itself is created by `hub migrate`)
#   NATS_URL        nats://127.0.0.1:4222   An external NATS must have JetStream enabled (nats-server -js);
#                   we check the "jetstream":true flag of the INFO line the server sends on connect.
#   CLICKHOUSE_URL  http://127.0.0.1:8123   (HTTP interface; /ping must answer "Ok.")
#   SERVICES_WAIT_SECONDS  how long to wait for a started service to answer (default 60)
# shellcheck disable=SC2016 # the single-quoted `bash -c` snippets get host and port as $1 and $2
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
DATA="$ROOT/.data"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ocpi_hub}"
NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
CLICKHOUSE_URL="${CLICKHOUSE_URL:-http://127.0.0.1:8123}"
CLICKHOUSE_URL="${CLICKHOUSE_URL%/}"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-60}"
SERVICES=(postgres nats clickhouse)

declare -A HOST PORT URL_VAR=([postgres]=DATABASE_URL [nats]=NATS_URL [clickhouse]=CLICKHOUSE_URL)
PG_USER=postgres
PROBE_DETAIL=""

die() { echo "services: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
addr() { echo "${HOST[$1]}:${PORT[$1]}"; }

# parse_url SERVICE URL DEFAULT_PORT: fills HOST/PORT (and PG_USER for postgres). Only the first
# server of a comma-separated NATS list is looked at.
parse_url() {
  local re='^[A-Za-z][A-Za-z0-9+.-]*://(([^:@/]*)(:[^@/]*)?@)?(\[[^]/]*\]|[^:/?#,]*)(:([0-9]+))?'
  [[ $2 =~ $re ]] || die "cannot parse ${URL_VAR[$1]}=$2"
  local host="${BASH_REMATCH[4]#[}"
  HOST[$1]="${host%]}"
  HOST[$1]="${HOST[$1]:-127.0.0.1}"
  PORT[$1]="${BASH_REMATCH[6]:-$3}"
  if [ "$1" = postgres ] && [ -n "${BASH_REMATCH[2]}" ]; then PG_USER="${BASH_REMATCH[2]}"; fi
}

is_local() { case "${HOST[$1]}" in 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- probing

tcp_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

# probe SERVICE → 0: the service answers; 1: nothing listens; 2: something else listens (PROBE_DETAIL says what)
probe() {
  PROBE_DETAIL=""
  tcp_open "${HOST[$1]}" "${PORT[$1]}" || return 1
  "probe_$1" "${HOST[$1]}" "${PORT[$1]}" || return 2
}

probe_postgres() {
  if command -v pg_isready >/dev/null; then
    PROBE_DETAIL="$(pg_isready -h "$1" -p "$2" -t 3 2>&1)" && return 0
    return 1
  fi
  # No client tools yet: send an SSLRequest; a PostgreSQL server answers 'S' or 'N'.
  local reply
  reply="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"; printf "\x00\x00\x00\x08\x04\xd2\x16\x2f" >&3
    IFS= read -r -n1 -t 2 r <&3; echo "$r"' _ "$1" "$2" 2>/dev/null)" || true
  PROBE_DETAIL="no PostgreSQL reply to an SSLRequest"
  [ "$reply" = S ] || [ "$reply" = N ]
}

probe_nats() {
  local info
  info="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"; IFS= read -r -t 2 l <&3; echo "$l"' _ "$1" "$2" 2>/dev/null)" || true
  if [[ $info != INFO* ]]; then PROBE_DETAIL="no NATS INFO line"; return 1; fi
  if [[ $info != *'"jetstream":true'* ]]; then PROBE_DETAIL="NATS without JetStream (restart it with -js)"; return 1; fi
}

probe_clickhouse() {
  command -v curl >/dev/null || { PROBE_DETAIL="curl is not installed"; return 1; }
  local reply
  reply="$(curl -s -m 3 "$CLICKHOUSE_URL/ping" 2>/dev/null)" || true
  PROBE_DETAIL="GET $CLICKHOUSE_URL/ping answered '${reply:0:60}', not 'Ok.'"
  [ "$reply" = "Ok." ]
}

# hub_pid SERVICE: prints the pid from .data/SERVICE.pid if that process is alive and is the service.
hub_pid() {
  local file="$DATA/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qE "postgres|nats-server|clickhouse" || return 1
  fi
  echo "$pid"
}

# ---------------------------------------------------------------- installing

find_bin() {
  command -v "$1" 2>/dev/null && return 0
  local dir
  for dir in /usr/sbin /usr/local/sbin /sbin; do
    if [ -x "$dir/$1" ]; then echo "$dir/$1"; return 0; fi
  done
  return 1
}

pg_bindir() {
  local initdb
  if initdb="$(command -v initdb 2>/dev/null)"; then dirname "$initdb"; return 0; fi
  # shellcheck disable=SC2012 # fixed Debian paths; sort -V picks the newest major version
  initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$initdb" ] && dirname "$initdb"
}

# clickhouse_cmd: the Debian package has /usr/sbin/clickhouse-server; upstream packages ship `clickhouse server`.
clickhouse_cmd() {
  local bin
  if bin="$(find_bin clickhouse-server)"; then echo "$bin"; return 0; fi
  bin="$(find_bin clickhouse)" && echo "$bin server"
}

apt_get_install() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q "$@" >>"$DATA/apt.log" 2>&1
}

# install_packages SERVICE PACKAGE...
install_packages() {
  local svc=$1; shift
  command -v apt-get >/dev/null ||
    die "$svc: ${*} not installed and there is no apt-get here: install it yourself, or set ${URL_VAR[$svc]} to a running $svc"
  is_root ||
    die "$svc: ${*} not installed and we are not root: run 'sudo apt-get install -y $*', or set ${URL_VAR[$svc]} to a running $svc"
  echo "$svc: installing $* with apt-get (log: .data/apt.log)..."
  apt_get_install "$@" && return 0
  echo "$svc: install failed; running apt-get update and retrying..."
  if ! { apt-get update -q >>"$DATA/apt.log" 2>&1 && apt_get_install "$@"; }; then
    tail -n 15 "$DATA/apt.log" >&2
    die "$svc: apt-get install $* failed (see .data/apt.log)"
  fi
}

ensure_installed() {
  case $1 in
    postgres) pg_bindir >/dev/null || install_packages postgres postgresql ;;
    nats) find_bin nats-server >/dev/null || install_packages nats nats-server ;;
    clickhouse) clickhouse_cmd >/dev/null || install_packages clickhouse clickhouse-server clickhouse-client ;;
  esac
}

# ---------------------------------------------------------------- starting

# start_detached SERVICE LOG COMMAND...: runs COMMAND in its own session (so it outlives the caller's
# process group) and records its pid. setsid does not fork here (we are not a group leader), so $! is the server.
start_detached() {
  local svc=$1 log=$2; shift 2
  if command -v setsid >/dev/null; then
    setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
  else
    nohup "$@" </dev/null >>"$log" 2>&1 9>&- &
  fi
  echo $! >"$DATA/$svc.pid"
}

# wait_until_up SERVICE LOG...: wait for the service to answer; on death or timeout stop it, show the logs, fail.
wait_until_up() {
  local svc=$1 pid deadline=$((SECONDS + WAIT_SECONDS))
  shift
  pid="$(cat "$DATA/$svc.pid")"
  until probe "$svc"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$DATA/$svc.pid"
      tail -n 20 "$@" >&2 || true
      die "$svc: exited during startup (logs: ${*#"$ROOT/"})"
    fi
    if ((SECONDS >= deadline)); then
      stop_service "$svc" >/dev/null
      tail -n 20 "$@" >&2 || true
      die "$svc: did not answer at $(addr "$svc") within ${WAIT_SECONDS}s; stopped it (logs: ${*#"$ROOT/"})"
    fi
    sleep 0.5
  done
}

as_postgres() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# The cluster lives in .data/postgres. Root cannot run postgres, so as root it belongs to the
# postgres user; if that user cannot reach the checkout (e.g. it is under /root), the cluster goes to
# /var/tmp/ocpi-hub-<hash>/postgres and .data/postgres is a symlink to it.
postgres_data_dir() {
  local dir="$DATA/postgres"
  if is_root && [ ! -L "$dir" ] && [ ! -d "$dir" ] && ! runuser -u postgres -- test -x "$DATA" 2>/dev/null; then
    local outside
    outside="/var/tmp/ocpi-hub-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)/postgres"
    mkdir -p "$outside"
    ln -s "$outside" "$dir"
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if is_root; then chown -R postgres: "$dir/"; fi
  readlink -f "$dir"
}

start_postgres() {
  local bin pgdata port=${PORT[postgres]}
  bin="$(pg_bindir)" || die "postgres: initdb not found even after installing postgresql"
  pgdata="$(postgres_data_dir)"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    as_postgres "$bin/initdb" -D "$pgdata" -U "$PG_USER" --auth=trust -E UTF8 --no-locale >"$DATA/postgres-initdb.log" 2>&1 || {
      tail -n 5 "$DATA/postgres-initdb.log" >&2
      die "postgres: initdb failed (see .data/postgres-initdb.log)"
    }
  fi
  as_postgres "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t "$WAIT_SECONDS" \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null 9>&- || {
    tail -n 20 "$pgdata/server.log" >&2 || true
    die "postgres: pg_ctl start failed (see .data/postgres/server.log)"
  }
  head -n 1 "$pgdata/postmaster.pid" >"$DATA/postgres.pid"
  wait_until_up postgres "$pgdata/server.log"
}

start_nats() {
  local bin
  bin="$(find_bin nats-server)" || die "nats: nats-server not found even after installing it"
  mkdir -p "$DATA/nats"
  start_detached nats "$DATA/nats.log" "$bin" -a 127.0.0.1 -p "${PORT[nats]}" -js -sd "$DATA/nats" -l "$DATA/nats.log"
  wait_until_up nats "$DATA/nats.log"
}

next_free_port() {
  local port=$1
  while tcp_open 127.0.0.1 "$port"; do port=$((port + 1)); done
  echo "$port"
}

write_clickhouse_config() {
  local dir=$1 http_port=$2 tcp_port=$3
  cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<!-- Written by scripts/services.sh on every \`up\`; edits are lost. -->
<yandex>
    <logger>
        <level>information</level>
        <log>$dir/server.log</log>
        <errorlog>$dir/server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>$http_port</http_port>
    <tcp_port>$tcp_port</tcp_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mark_cache_size>268435456</mark_cache_size>
</yandex>
EOF
  cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default/>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
}

# ClickHouse 18.16 (Debian's clickhouse-server package, /usr/sbin/clickhouse-server) runs fine as root in the
# foreground with just --config-file: it owns the files it creates under .data/clickhouse, so the
# owner check of newer releases does not apply, and no --daemon/--pid-file is needed (we record $!).
# The native-protocol port is 9000, or the next free one.
start_clickhouse() {
  local cmd dir="$DATA/clickhouse"
  cmd="$(clickhouse_cmd)" || die "clickhouse: clickhouse-server not found even after installing it"
  mkdir -p "$dir"
  write_clickhouse_config "$dir" "${PORT[clickhouse]}" "$(next_free_port 9000)"
  # shellcheck disable=SC2086 # $cmd is "binary" or "binary server"
  start_detached clickhouse "$dir/stdout.log" $cmd --config-file="$dir/config.xml"
  wait_until_up clickhouse "$dir/stdout.log" "$dir/server.err.log"
}

# ---------------------------------------------------------------- commands

up_service() {
  local svc=$1 rc=0 pid
  [ "$svc" != clickhouse ] || command -v curl >/dev/null || install_packages clickhouse curl
  probe "$svc" || rc=$?
  case $rc in
    0)
      if pid="$(hub_pid "$svc")"; then
        echo "$svc: running at $(addr "$svc") (started by hub, pid $pid)"
      else
        echo "$svc: using $(addr "$svc") (already running)"
      fi
      return 0
      ;;
    2) die "$svc: port $(addr "$svc") is taken by something that is not a usable $svc: $PROBE_DETAIL" ;;
  esac
  is_local "$svc" ||
    die "$svc: nothing answers at $(addr "$svc") and that is not this machine; start it there or change ${URL_VAR[$svc]}"
  rm -f "$DATA/$svc.pid"
  ensure_installed "$svc"
  # Installing a package may have started a system instance on the same port (systemd).
  rc=0
  probe "$svc" || rc=$?
  if [ $rc = 0 ]; then echo "$svc: using $(addr "$svc") (started by its package)"; return 0; fi
  "start_$svc"
  echo "$svc: started at $(addr "$svc") (pid $(cat "$DATA/$svc.pid"), data in .data/$svc)"
}

stop_signal() { if [ "$1" = postgres ]; then echo INT; else echo TERM; fi; } # INT = postgres "fast" shutdown

stop_service() {
  local svc=$1 pid deadline=$((SECONDS + 30))
  if [ ! -f "$DATA/$svc.pid" ]; then
    echo "$svc: not started by hub, leaving it alone"
    return 0
  fi
  if pid="$(hub_pid "$svc")"; then
    kill "-$(stop_signal "$svc")" "$pid"
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.3
    done
    echo "$svc: stopped (pid $pid)"
  else
    echo "$svc: was not running (removed stale pid file)"
  fi
  rm -f "$DATA/$svc.pid"
}

status_service() {
  local svc=$1 pid
  if probe "$svc"; then
    if pid="$(hub_pid "$svc")"; then
      echo "$svc: running at $(addr "$svc") (started by hub, pid $pid)"
    else
      echo "$svc: running at $(addr "$svc") (external)"
    fi
  else
    echo "$svc: not running${PROBE_DETAIL:+ ($PROBE_DETAIL)}"
    return 3
  fi
}

# One `up`/`down` at a time (e.g. two test runs starting together). Started servers must not
# inherit fd 9, or they would hold the lock forever (hence the `9>&-` above).
take_lock() {
  if command -v flock >/dev/null; then
    exec 9>"$DATA/.services.lock"
    flock -w 900 9 || die "another 'services up/down' has held .data/.services.lock for 15 minutes"
  fi
}

main() {
  parse_url postgres "$DATABASE_URL" 5432
  parse_url nats "$NATS_URL" 4222
  parse_url clickhouse "$CLICKHOUSE_URL" 8123
  mkdir -p "$DATA"
  local svc rc=0
  case "${1:-}" in
    up)
      take_lock
      for svc in "${SERVICES[@]}"; do up_service "$svc"; done
      ;;
    down)
      take_lock
      for svc in clickhouse nats postgres; do stop_service "$svc"; done
      ;;
    status)
      for svc in "${SERVICES[@]}"; do status_service "$svc" || rc=3; done
      return $rc
      ;;
    *)
      echo "usage: hub services up|down|status" >&2
      return 2
      ;;
  esac
}

main "$@"
