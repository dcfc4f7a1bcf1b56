# lib.sh: shared by the benchmark scripts (run.sh, reload.sh, redis.sh,
# shdict.sh, ...; sourced, not run).
# Every process started here is recorded and stopped on exit; every wait
# is bounded.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD_DIR=${1:-${BUILD_DIR:-$(cd "$BENCH_DIR/../.." && pwd)/build}}
TINE=$BUILD_DIR/tine
LOADGEN=$BUILD_DIR/tests/bench/loadgen
FLOOR=$BUILD_DIR/tests/bench/floor
ECHO_SCRIPT=$BENCH_DIR/echo_bench.lua

for bin in "$TINE" "$LOADGEN" "$FLOOR"; do
  if [ ! -x "$bin" ]; then
    echo "missing $bin: build first, e.g." >&2
    echo "  cmake -S $BENCH_DIR/../.. -B $BUILD_DIR -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD_DIR -j2" >&2
    exit 2
  fi
done

WORK=$(mktemp -d /tmp/tine-bench.XXXXXX)
STARTED_PIDS=()

# Stop what we started: TERM, up to 5 s, then KILL; then remove WORK.
bench_cleanup() {
  local p i
  for p in "${STARTED_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 50); do
    local alive=0
    for p in "${STARTED_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${STARTED_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Stop one process we started (TERM, bounded wait, KILL) and forget it.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# Drop a pid that has exited from the list of pids to stop.
forget_pid() {
  local keep=() p
  for p in "${STARTED_PIDS[@]}"; do [ "$p" != "$1" ] && keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
}

print_machine() {
  echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "binaries: $TINE ($(stat -c %y "$TINE" | cut -d. -f1)), $LOADGEN, $FLOOR"
}

free_port() { "$LOADGEN" --free-port; }

# field NAME "RESULT ..." -> the value of NAME=
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# median of the numbers given as arguments
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# The knobs of the closed-loop comparisons (redis.sh, shdict.sh): ROUNDS,
# DURATION, WARMUP, CONNS, CHILDREN from the environment or defaults; then
# the machine and the method, WHAT saying what each line does.
# usage: closed_loop_setup WHAT
closed_loop_setup() {
  ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1}
  CONNS=${CONNS:-50} CHILDREN=${CHILDREN:-2}
  print_machine
  echo "method: closed loop, $CONNS connections, 32-byte lines, $CHILDREN children," \
       "$1; $ROUNDS alternating rounds of ${DURATION} s"
}

# Start a redis-server on a free loopback port, without persistence, and
# wait (bounded) until it answers PING; exports REDIS_PORT.
# usage: start_redis [redis-server flags...]
start_redis() {
  local i
  REDIS_PORT=$(free_port)
  export REDIS_PORT
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no "$@" \
    >"$WORK/redis.log" 2>&1 &
  STARTED_PIDS+=("$!")
  for i in $(seq 100); do
    [ "$(printf 'PING\r\n' | timeout 1 nc -q1 127.0.0.1 "$REDIS_PORT" 2>/dev/null | tr -d '\r')" = "+PONG" ] && break
    sleep 0.05
  done
}

# One closed-loop loadgen run of 32-byte echoed lines against PORT, with
# CONNS, DURATION and WARMUP; prints "rps p99_us" (0 0 if it failed).
rps_of() {
  local port=$1 out=$WORK/run.out r
  timeout $((${DURATION%.*} + ${WARMUP%.*} + 30)) \
    "$LOADGEN" --port "$port" --conns "$CONNS" --size 32 \
    --duration "$DURATION" --warmup "$WARMUP" --expect-echo >"$out" 2>&1 || true
  r=$(grep '^RESULT' "$out" || echo 'RESULT rps=0 p99_us=0')
  echo "$(field rps "$r") $(field p99_us "$r")"
}

# Start the floor server; sets FLOOR_PID and FLOOR_PORT.
# usage: start_floor [WORKERS [floor flags...]]
start_floor() {
  local workers=${1:-2} out=$WORK/floor.out i
  shift || true
  "$FLOOR" --port 0 --workers "$workers" "$@" >"$out" 2>&1 &
  FLOOR_PID=$!
  STARTED_PIDS+=("$FLOOR_PID")
  for i in $(seq 100); do
    FLOOR_PORT=$(awk '/listening on/ {print $4}' "$out")
    [ -n "$FLOOR_PORT" ] && return 0
    sleep 0.05
  done
  echo "floor did not start: $(cat "$out")" >&2
  exit 1
}

# Start tine with the given flags (script first) at log level debug and
# wait until N children are ready; sets TINE_PID and TINE_LOG.
# usage: start_tine N LOGNAME script.lua [flags...]
start_tine() {
  local n=$1 name=$2 i
  shift 2
  TINE_LOG=$WORK/$name.log
  "$TINE" "$@" --log-level debug >"$TINE_LOG" 2>&1 &
  TINE_PID=$!
  STARTED_PIDS+=("$TINE_PID")
  for i in $(seq 200); do
    [ "$(grep -c ' ready$' "$TINE_LOG")" -ge "$n" ] && return 0
    kill -0 "$TINE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "tine did not get $n children ready:" >&2
  tail -20 "$TINE_LOG" >&2
  exit 1
}

# Pids of the children of a master.
children_of() { pgrep -P "$1" | sort -n; }
