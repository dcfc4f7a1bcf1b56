# lib.sh: shared by the benchmark scripts (run.sh, reload.sh, redis.sh,
# shdict.sh, ...; sourced, not run).
# Every process started here is recorded and stopped on exit; every wait
# is bounded.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The build: the first argument, else BUILD_DIR, else DEFAULT_BUILD (a
# directory of the checkout a script may name before sourcing this, used
# when it holds a tine), else build/.
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
if [ -z "${1:-}${BUILD_DIR:-}" ] && [ -n "${DEFAULT_BUILD:-}" ] && [ -x "$ROOT/$DEFAULT_BUILD/tine" ]; then
  BUILD_DIR=$ROOT/$DEFAULT_BUILD
fi
BUILD_DIR=${1:-${BUILD_DIR:-$ROOT/build}}
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
# CONNS, DURATION and WARMUP (which starts once every connection is open)
# and the flags given; prints its RESULT line, or one with rps=0 p99_us=0
# errors=-1 if it failed (the full output goes to WORK/loadgen.out).
# usage: loadgen_result PORT [loadgen flags...]
loadgen_result() {
  local port=$1 out=$WORK/loadgen.out
  shift
  timeout $((${DURATION%.*} + ${WARMUP%.*} + 90)) \
    "$LOADGEN" --port "$port" --conns "$CONNS" --size 32 \
    --duration "$DURATION" --warmup "$WARMUP" --expect-echo "$@" >"$out" 2>&1 || true
  grep '^RESULT' "$out" || echo "RESULT rps=0 p99_us=0 errors=-1 (loadgen failed: $(tail -1 "$out"))"
}

# loadgen_result, as "rps p99_us" (0 0 if it failed).
rps_of() {
  local r
  r=$(loadgen_result "$@")
  echo "$(field rps "$r") $(field p99_us "$r")"
}

# The floor's flags to accept as tine does: a shared socket and an accept
# by load with tine's slack (16 up to 256 connections), so both spread
# their connections over their processes the same way.
FLOOR_AS_TINE=(--balance --balance-slack 16)

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

# HTTP against nginx + lua (http.sh, scale.sh): the tools, nginx's start,
# a wait for an HTTP answer, one wrk run.
NGINX_MODULES=${NGINX_MODULES:-/usr/lib/nginx/modules}
SCHEME=${SCHEME:-http}

# Exit 2, saying what to install, unless nginx with lua, curl and the
# tools named (e.g. wrk, openssl) are here. usage: need_http_tools [TOOL...]
need_http_tools() {
  local tool so
  for tool in nginx curl "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install nginx-light libnginx-mod-http-lua curl $*)" >&2; exit 2; }
  done
  for so in ndk_http_module.so ngx_http_lua_module.so; do
    [ -f "$NGINX_MODULES/$so" ] || { echo "missing $NGINX_MODULES/$so (libnginx-mod-http-lua)" >&2; exit 2; }
  done
}

# Wait up to 10 s for PID to answer HTTP on PORT (any status).
# usage: wait_http PORT PID; prints why not and fails.
wait_http() {
  local port=$1 pid=$2 end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ]; do
    kill -0 "$pid" 2>/dev/null || { echo "it exited"; return 1; }
    [ "$(curl -sk -m 1 -o /dev/null -w '%{http_code}' "$SCHEME://127.0.0.1:$port/hello" || true)" != 000 ] && return 0
    sleep 0.1
  done
  echo "no HTTP answer on port $port within 10 s"
  return 1
}

# Start nginx + lua (nginx_http.conf.in, with NGINX_SSL and NGINX_TLS for
# HTTPS) on a free loopback port with WORKERS worker processes of at most
# CONNECTIONS connections each, everything it writes in WORK/nginx; wait
# until it answers, else show its logs and exit 1. Sets NGINX_PID and
# NGINX_PORT. usage: start_nginx WORKERS [CONNECTIONS (4096)]
start_nginx() {
  local dir=$WORK/nginx why
  mkdir -p "$dir"
  NGINX_PORT=$(free_port)
  sed -e "s|@DIR@|$dir|g; s|@PORT@|$NGINX_PORT|g; s|@WORKERS@|$1|g; s|@MODULES@|$NGINX_MODULES|g" \
      -e "s|@CONNECTIONS@|${2:-4096}|; s|@SSL@|${NGINX_SSL:-}|; s|@TLS@|${NGINX_TLS:-}|" \
    "$BENCH_DIR/nginx_http.conf.in" >"$dir/nginx.conf"
  nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
  NGINX_PID=$!
  STARTED_PIDS+=("$NGINX_PID")
  if ! why=$(wait_http "$NGINX_PORT" "$NGINX_PID"); then
    echo "nginx does not answer: $why" >&2
    tail -5 "$dir/stdout" "$dir/error.log" >&2
    exit 1
  fi
}

# Make a fresh self-signed pair in WORK (KIND ecdsa: P-256; rsa: 2048
# bits) and set what both sides need to serve HTTPS with it: SCHEME=https,
# TLS_FLAGS (tine's flags), NGINX_SSL and NGINX_TLS (start_nginx). An empty
# KIND leaves plain HTTP (TLS_FLAGS empty); another one exits 2.
# usage: tls_pair KIND
tls_pair() {
  local keyspec
  SCHEME=http TLS_FLAGS=() NGINX_SSL="" NGINX_TLS=""
  case "$1" in
    "") return 0 ;;
    ecdsa) keyspec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    rsa) keyspec=(-newkey rsa:2048) ;;
    *) echo "TLS must be ecdsa or rsa" >&2; exit 2 ;;
  esac
  openssl req -x509 "${keyspec[@]}" -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -subj /CN=localhost -days 2 2>/dev/null
  SCHEME=https
  TLS_FLAGS=(--tls-certificate "$WORK/cert.pem" --tls-key "$WORK/key.pem")
  NGINX_SSL=" ssl"
  NGINX_TLS="ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on;"
}

# Start tine on http_routes.lua (HTTP mode) on a free loopback port with
# N children (StartServer = MaxServer = N), log level warn, and the flags
# given (e.g. TLS_FLAGS); does not wait (wait_http does). Sets TINE_PID,
# TINE_PORT and TINE_LOG. usage: start_tine_http N [flags...]
start_tine_http() {
  local n=$1
  shift
  TINE_PORT=$(free_port)
  TINE_LOG=$WORK/tine.log
  "$TINE" "$BENCH_DIR/http_routes.lua" --port "$TINE_PORT" --start-server "$n" \
    --max-server "$n" --log-level warn "$@" >"$TINE_LOG" 2>&1 &
  TINE_PID=$!
  STARTED_PIDS+=("$TINE_PID")
}

# Ir total of a callgrind output file.
cg_total() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

# utime + stime, in clock ticks, of the pids given (0 for one that is gone).
cpu_ticks() {
  local p
  for p; do sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{s += $12 + $13} END {print s + 0}'
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# One wrk run of URL (THREADS threads, CONNS connections, DURATION s)
# after WARMUP s of unmeasured load; prints "rps p99_ms errors" (errors:
# socket errors plus non-2xx answers; -1 if wrk gave no result); wrk's
# output in WORK/TAG.wrk; with WRK_CPUS set, wrk runs on those CPUs only
# (taskset -c). With CPU_PIDS set (the server's processes) a
# fourth field: their CPU microseconds per request over the measured run.
# usage: wrk_result URL TAG [wrk flags...]
wrk_result() {
  local url=$1 out=$WORK/$2.wrk c0=0 c1=0 pin=()
  shift 2
  [ -n "${WRK_CPUS:-}" ] && pin=(taskset -c "$WRK_CPUS")
  if [ "$WARMUP" != 0 ]; then
    timeout $((${WARMUP%.*} + 30)) "${pin[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "$@" "$url" >/dev/null 2>&1 || true
  fi
  [ -n "${CPU_PIDS:-}" ] && c0=$(cpu_ticks $CPU_PIDS)
  timeout $((${DURATION%.*} + 30)) \
    "${pin[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url" >"$out" 2>&1 || true
  [ -n "${CPU_PIDS:-}" ] && c1=$(cpu_ticks $CPU_PIDS)
  awk -v cpu="${CPU_PIDS:+$(( (c1 - c0) * TICK_US ))}" -v secs="$DURATION" '
       function ms(v) { u = v; sub(/^[0-9.]+/, "", u); v += 0
                        return u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v }
       /^Requests\/sec:/ { rps = $2 }
       /^ +99% / { p99 = ms($2) }
       /^ +Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
       /^ +Non-2xx or 3xx responses:/ { err += $NF }
       END { if (rps == "") { print "0 0 -1" (cpu == "" ? "" : " -1"); exit }
             printf "%s %.3f %d", rps, p99, err
             if (cpu != "") printf " %.2f", (rps > 0 ? cpu / (rps * secs) : -1)
             printf "\n" }' "$out"
}
