#!/usr/bin/env bash
# http.sh: tine's HTTP mode against nginx + lua-nginx-module, on loopback.
#
#   tests/bench/http.sh [BUILD_DIR]   (or BUILD_DIR=...; default: build-rel/, else build/)
#
# Builds nothing. Starts tine (http_routes.lua, WORKERS children, MaxServer
# WORKERS) and nginx (nginx_http.conf.in made into a config in a temp dir,
# WORKERS worker processes, Debian's ndk and lua modules) on free loopback
# ports; both serve the same three routes from Lua: /hello, /user/42 (a
# pattern with a capture) and /json (a small JSON body). Each side's
# answers are checked once with curl; a tine that does not start or
# answers wrongly is reported and skipped, and nginx is still measured.
# Then, for each mode (keep-alive; "Connection: close" on every request)
# and route, wrk (THREADS threads, CONNS connections) runs nginx and tine
# alternately for ROUNDS rounds of DURATION s, each after WARMUP s of
# unmeasured load; prints the median requests/s, p99 latency and CPU per
# request (the workers' utime+stime over the measured run / requests) of
# each side, tine/nginx and nginx/tine CPU (the efficiency, which does not
# depend on wrk keeping up) as a table for BENCHMARKS.md.
# For keep-alive /hello a third side runs in the same rounds: the ceiling,
# tine in stream mode answering every request head with the same bytes
# (http_ceiling.lua): the same connection work with no HTTP layer, so the
# most any HTTP layer in tine could reach against nginx here.
#
# Environment: ROUNDS (3), DURATION (5), WARMUP (1), CONNS (50),
# WORKERS (2), THREADS (2), SERVER_CPUS and WRK_CPUS (taskset CPU
# lists; unset: any CPU), ROUTES ("hello user json"), CEILING (1; 0:
# no ceiling side; none with TLS either); TLS=ecdsa or
# TLS=rsa: both sides serve HTTPS with the same fresh self-signed pair
# (ECDSA P-256 or RSA 2048), so "close" measures full handshakes. Needs
# nginx, libnginx-mod-http-lua, wrk, curl (and openssl for TLS).
set -euo pipefail
DEFAULT_BUILD=build-rel
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-50}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-2}
need_http_tools wrk

read -r -a ROUTES <<< "${ROUTES:-hello user json}"
tls_pair "${TLS:-}"
declare -A URL=([hello]=/hello [user]=/user/42 [json]=/json)
declare -A BODY=([hello]=$'hello\n' [user]=$'user 42\n' [json]=$'{"ok":true,"n":42}\n')
declare -A CTYPE=([hello]=text/plain [user]=text/plain [json]=application/json)

# Check every route once: status 200, Content-Type and body as expected.
# usage: check_routes PORT; prints what is wrong and fails, if anything is.
check_routes() {
  local port=$1 route got
  for route in "${ROUTES[@]}"; do
    got=$(curl -sk -m 2 -o "$WORK/body" -w '%{http_code} %{content_type}' \
          "$SCHEME://127.0.0.1:$port${URL[$route]}") || { echo "GET ${URL[$route]}: no HTTP answer within 2 s"; return 1; }
    if [ "$got" != "200 ${CTYPE[$route]}" ] || [ "$(cat "$WORK/body"; echo .)" != "${BODY[$route]}." ]; then
      echo "GET ${URL[$route]}: got \"$got\" body $(head -c 80 "$WORK/body" | od -An -c | tr -s ' ' | head -2 | paste -sd' '); want \"200 ${CTYPE[$route]}\" body \"${BODY[$route]%$'\n'}\\n\""
      return 1
    fi
  done
}

print_machine
echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'), lua-nginx-module $(dpkg-query -W -f '${Version}' libnginx-mod-http-lua 2>/dev/null || echo '?');" \
     "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "method: wrk -t$THREADS -c$CONNS --latency, $SCHEME${TLS:+ ($TLS)}, $WORKERS workers each side; per mode and route" \
     "$ROUNDS alternating rounds of ${DURATION} s after ${WARMUP} s warm-up"
echo

start_nginx "$WORKERS"
if ! why=$(check_routes "$NGINX_PORT"); then
  echo "nginx is not serving the routes: $why" >&2
  exit 1
fi
echo "nginx master $NGINX_PID port $NGINX_PORT, workers $(children_of "$NGINX_PID" | paste -sd' '): routes OK"

# tine; a failure here is reported, and only nginx is measured.
start_tine_http "$WORKERS" "${TLS_FLAGS[@]}"
TINE_OK=1
if ! why=$(wait_http "$TINE_PORT" "$TINE_PID") || ! why=$(check_routes "$TINE_PORT"); then
  TINE_OK=0
  echo
  echo "TINE DOES NOT SERVE HTTP: $why"
  [ -s "$TINE_LOG" ] && { echo "its log ends:"; tail -5 "$TINE_LOG" | sed 's/^/  /'; }
  echo "measuring nginx alone"
  stop_pid "$TINE_PID"
else
  echo "tine master $TINE_PID port $TINE_PORT, children $(children_of "$TINE_PID" | paste -sd' '): routes OK"
fi

# The ceiling (keep-alive /hello only); a failure here leaves it out.
CEILING_OK=0
if [ "${CEILING:-1}" = 1 ] && [ -z "${TLS:-}" ] && [ $TINE_OK = 1 ]; then
  CEILING_PORT=$(free_port)
  "$TINE" "$BENCH_DIR/http_ceiling.lua" --port "$CEILING_PORT" --start-server "$WORKERS" \
    --max-server "$WORKERS" --log-level warn >"$WORK/ceiling.log" 2>&1 &
  CEILING_PID=$!
  STARTED_PIDS+=("$CEILING_PID")
  if why=$(wait_http "$CEILING_PORT" "$CEILING_PID"); then
    CEILING_OK=1
    echo "ceiling (http_ceiling.lua) master $CEILING_PID port $CEILING_PORT"
  else
    echo "the ceiling does not answer ($why); left out"
    stop_pid "$CEILING_PID"
  fi
fi
# SERVER_CPUS: every server process (masters, workers, children) on those
# CPUs only; with WRK_CPUS (lib.sh) apart, the client no longer competes
# with the servers for a core.
if [ -n "${SERVER_CPUS:-}" ]; then
  for pid in "$NGINX_PID" ${TINE_PID:-} ${CEILING_PID:-}; do
    for p in "$pid" $(children_of "$pid"); do
      taskset -a -p -c "$SERVER_CPUS" "$p" >/dev/null
    done
  done
  echo "servers on CPU(s) $SERVER_CPUS, wrk on ${WRK_CPUS:-any}"
fi
echo

# One wrk run of ROUTE on PORT served by master PID's workers; prints
# "rps p99_ms errors cpu_us_per_request" (wrk_result).
# usage: measure PORT PID ROUTE TAG [wrk flags...]
measure() {
  local port=$1 route=$3 tag=$4
  CPU_PIDS="$(children_of "$2" | paste -sd' ')"
  shift 4
  CPU_PIDS=$CPU_PIDS wrk_result "$SCHEME://127.0.0.1:$port${URL[$route]}" "$tag" "$@"
}

declare -A RPS P99 ERR CPU   # key "side mode route": one value per round
for mode in keep-alive close; do
  flags=()
  [ "$mode" = close ] && flags=(-H 'Connection: close')
  for route in "${ROUTES[@]}"; do
    for r in $(seq "$ROUNDS"); do
      sides=(nginx tine)
      [ $((r % 2)) = 0 ] && sides=(tine nginx)   # alternate which goes first
      [ $CEILING_OK = 1 ] && [ "$mode $route" = "keep-alive hello" ] && sides+=(ceiling)
      line="$(printf '%-10s %-5s round %d:' "$mode" "$route" "$r")"
      for side in "${sides[@]}"; do
        if [ "$side" = tine ] && [ $TINE_OK = 0 ]; then line+="  tine n/a"; continue; fi
        port=$NGINX_PORT pid=$NGINX_PID
        [ "$side" = tine ] && port=$TINE_PORT pid=$TINE_PID
        [ "$side" = ceiling ] && port=$CEILING_PORT pid=$CEILING_PID
        read -r rps p99 err cpu <<<"$(measure "$port" "$pid" "$route" "$mode-$route-$side-$r" "${flags[@]}")"
        k="$side $mode $route"
        RPS[$k]+=" $rps" P99[$k]+=" $p99" ERR[$k]+=" $err" CPU[$k]+=" $cpu"
        line+="$(printf '  %s %9.0f req/s p99 %7.3f ms cpu %6.2f us/req errors %s' "$side" "$rps" "$p99" "$cpu" "$err")"
      done
      echo "$line"
    done
  done
done
stop_pid "$NGINX_PID"
[ $TINE_OK = 1 ] && stop_pid "$TINE_PID"
[ $CEILING_OK = 1 ] && stop_pid "$CEILING_PID"

# Medians, the table, and the targets (hello: keep-alive >= 1.25 x nginx,
# close >= 1.0 x; p99 no worse than nginx's).
sum() { printf '%s\n' "$@" | awk '$1 < 0 {bad = 1} {s += $1} END {print bad ? "failed" : s}'; }
echo
echo "| mode | route | nginx + lua req/s | tine req/s | tine/nginx | nginx p99 ms | tine p99 ms | nginx CPU us/req | tine CPU us/req | nginx/tine CPU | errors nginx / tine |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"
TARGETS=()
for mode in keep-alive close; do
  for route in "${ROUTES[@]}"; do
    nrps=$(median ${RPS[nginx $mode $route]}) np=$(median ${P99[nginx $mode $route]})
    ncpu=$(median ${CPU[nginx $mode $route]})
    ne=$(sum ${ERR[nginx $mode $route]})
    if [ $TINE_OK = 1 ]; then
      trps=$(median ${RPS[tine $mode $route]}) tp=$(median ${P99[tine $mode $route]})
      tcpu=$(median ${CPU[tine $mode $route]})
      eff=$(awk -v t="$tcpu" -v n="$ncpu" 'BEGIN {printf "%.2f", (t > 0 ? n / t : 0)}')
      te=$(sum ${ERR[tine $mode $route]})
      ratio=$(awk -v t="$trps" -v n="$nrps" 'BEGIN {printf "%.2f", (n > 0 ? t / n : 0)}')
      printf '| %s | %s | %.0f | %.0f | %s | %.3f | %.3f | %.2f | %.2f | %s | %s / %s |\n' \
        "$mode" "${URL[$route]}" "$nrps" "$trps" "$ratio" "$np" "$tp" "$ncpu" "$tcpu" "$eff" "$ne" "$te"
      if [ "$route" = hello ]; then
        want=1.0; [ "$mode" = keep-alive ] && want=1.25
        TARGETS+=("$mode /hello: tine/nginx $ratio (target >= $want): $(awk -v r="$ratio" -v w="$want" 'BEGIN {print (r >= w ? "met" : "NOT met")}');\
 p99 $tp ms vs nginx $np ms (target: no worse): $(awk -v t="$tp" -v n="$np" 'BEGIN {print (t <= n ? "met" : "NOT met")}')")
      fi
    else
      printf '| %s | %s | %.0f | n/a | n/a | %.3f | n/a | %.2f | n/a | n/a | %s / n/a |\n' "$mode" "${URL[$route]}" "$nrps" "$np" "$ncpu" "$ne"
    fi
  done
done
if [ $CEILING_OK = 1 ]; then
  k="ceiling keep-alive hello" nk="nginx keep-alive hello"
  awk -v c="$(median ${RPS[$k]})" -v n="$(median ${RPS[$nk]})" -v cc="$(median ${CPU[$k]})" \
      -v nc="$(median ${CPU[$nk]})" -v p="$(median ${P99[$k]})" -v e="$(sum ${ERR[$k]})" 'BEGIN {
    printf "| keep-alive | /hello, ceiling (no HTTP layer) | %.0f | %.0f | %.2f | | %.3f | %.2f | %.2f | %.2f | %s |\n",
           n, c, (n > 0 ? c / n : 0), p, nc, cc, (cc > 0 ? nc / cc : 0), e }'
fi
echo
if [ $TINE_OK = 1 ]; then
  printf 'targets: %s\n' "${TARGETS[@]}"
else
  echo "tine was not measured: it does not serve HTTP ($why)"
  exit 1
fi
