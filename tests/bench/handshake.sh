#!/usr/bin/env bash
# handshake.sh: TLS handshakes per second and the server's CPU per
# handshake, tine's HTTP mode against nginx + lua-nginx-module, on loopback.
#
#   tests/bench/handshake.sh [BUILD_DIR]   (or BUILD_DIR=...; default: build-rel/, else build/)
#
# Builds nothing. Makes one fresh self-signed pair (TLS=ecdsa: P-256, the
# default; TLS=rsa: 2048 bits) and serves /hello over HTTPS with it from
# tine (http_routes.lua, TLSCertificate/TLSKey, WORKERS children) and nginx
# (nginx_http.conf.in, WORKERS workers), as http.sh does. Then for ROUNDS
# rounds, sides alternating which goes first, and for each mode:
#   full     CLIENTS x `openssl s_time -new`: every connection a full
#            handshake (no session offered; TLS 1.3, X25519)
#   resumed  CLIENTS x `openssl s_time -reuse`: every connection resumes
#            the session of the one before (TLS 1.3 ticket)
# all CLIENTS clients at once for DURATION s, each connection one
# "GET /hello HTTP/1.0" read to the server's close. Per run: handshakes =
# the sum of the clients' "N connections in T real seconds" counts; rate =
# handshakes / the wall time from starting the clients to the last one's
# exit (s_time's own "real seconds" are whole seconds, and it runs up to
# one second past -time); server CPU = utime + stime of the workers
# (/proc/PID/stat) over that window, divided by the handshakes. A resumed
# run's first connection per client (full, not counted) is in the window.
# Prints every run, then per mode the medians of each side, tine/nginx
# for the rate and nginx_cpu/tine_cpu (CPU efficiency; > 1: tine spends
# less), and how many connections s_time saw resumed ('r').
#
# The rate depends on how much of this machine the run gets (the clients
# share its cores with the servers); the CPU per handshake much less so.
#
# Environment: TLS (ecdsa), ROUNDS (5), DURATION (3, whole seconds),
# CLIENTS (4), WORKERS (2). Needs nginx, libnginx-mod-http-lua, curl,
# openssl.
set -euo pipefail
DEFAULT_BUILD=build-rel
source "$(dirname "$0")/lib.sh"

TLS=${TLS:-ecdsa}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
CLIENTS=${CLIENTS:-4}
WORKERS=${WORKERS:-2}
MODES=(full resumed)
need_http_tools openssl
tls_pair "$TLS"

# One measured run: CLIENTS s_time clients in MODE (full or resumed) at
# once against PORT for DURATION s, served by the workers of master PID.
# Prints "handshakes rate cpu_us resumed": cpu_us -1 if the workers changed
# during the run, handshakes -1 if a client gave no count (its output is
# in WORK/TAG.N). usage: run_clients PORT PID MODE TAG
run_clients() {
  local port=$1 pid=$2 flag=-new tag=$4 after c0 c1 t0 t1 i same=0
  local clients=() workers=()
  [ "$3" = resumed ] && flag=-reuse
  read -r -a workers <<<"$(children_of "$pid" | paste -sd' ')"
  c0=$(cpu_ticks "${workers[@]}")
  t0=$(date +%s%N)
  for i in $(seq "$CLIENTS"); do
    timeout $((DURATION + 30)) openssl s_time "$flag" -connect "127.0.0.1:$port" \
      -www /hello -time "$DURATION" >"$WORK/$tag.$i" 2>&1 &
    clients+=("$!")
    STARTED_PIDS+=("$!")
  done
  for i in "${clients[@]}"; do wait "$i" || true; forget_pid "$i"; done
  t1=$(date +%s%N)
  c1=$(cpu_ticks "${workers[@]}")
  after=$(children_of "$pid" | paste -sd' ')
  [ "${workers[*]}" = "$after" ] && same=1
  # Each client's count from its "N connections in T real seconds" line
  # (none: the client failed); resumed = the 'r' marks of its progress line.
  for i in $(seq "$CLIENTS"); do
    awk '/^[0-9]+ connections in [0-9]+ real seconds/ {n = $1}
         /^[*rt3]+$/ {r += gsub(/r/, "")}
         END {print (n == "" ? -1 : n), r + 0}' "$WORK/$tag.$i"
  done | awk -v ns=$((t1 - t0)) -v ticks=$((c1 - c0)) -v tick="$TICK_US" -v same="$same" '
    $1 < 0 {bad = 1} {n += $1; r += $2}
    END {
      if (bad) { print -1, 0, -1, 0; exit }
      printf "%d %.0f %.0f %d\n", n, n / (ns / 1e9), (same && n > 0 ? ticks * tick / n : -1), r
    }'
}

print_machine
echo "nginx: $(nginx -v 2>&1 | sed 's/.*: //'), lua-nginx-module $(dpkg-query -W -f '${Version}' libnginx-mod-http-lua 2>/dev/null || echo '?'); $(openssl version)"
echo "method: $TLS pair, $WORKERS workers each side; per mode $CLIENTS x openssl s_time (-new: full, -reuse: resumed)" \
     "-www /hello at once, $ROUNDS alternating rounds of ${DURATION} s; server CPU = workers' utime+stime ($TICK_US us ticks)"
echo

start_nginx "$WORKERS"
echo "nginx master $NGINX_PID port $NGINX_PORT, workers $(children_of "$NGINX_PID" | paste -sd' ')"
start_tine_http "$WORKERS" "${TLS_FLAGS[@]}"
if ! why=$(wait_http "$TINE_PORT" "$TINE_PID"); then
  echo "tine does not serve HTTPS: $why" >&2
  tail -5 "$TINE_LOG" >&2
  exit 1
fi
echo "tine master $TINE_PID port $TINE_PORT, children $(children_of "$TINE_PID" | paste -sd' ')"
echo

declare -A RATE CPU RES N   # key "side mode": one value per round
for r in $(seq "$ROUNDS"); do
  sides=(nginx tine)
  [ $((r % 2)) = 0 ] && sides=(tine nginx)   # alternate which goes first
  for mode in "${MODES[@]}"; do
    line="$(printf '%-7s round %d:' "$mode" "$r")"
    for side in "${sides[@]}"; do
      port=$NGINX_PORT pid=$NGINX_PID
      [ "$side" = tine ] && port=$TINE_PORT pid=$TINE_PID
      read -r n rate cpu res <<<"$(run_clients "$port" "$pid" "$mode" "$side-$mode-$r")"
      if [ "$n" -lt 0 ]; then
        echo "$side $mode round $r: a client gave no count; its output:" >&2
        tail -3 "$WORK/$side-$mode-$r".* >&2
        exit 1
      fi
      k="$side $mode"
      RATE[$k]+=" $rate" N[$k]+=" $n" RES[$k]+=" $res"
      [ "$cpu" -ge 0 ] && CPU[$k]+=" $cpu"
      line+="$(printf '  %s %6d hs %5d/s %5s us/hs (%d resumed)' "$side" "$n" "$rate" \
               "$([ "$cpu" -ge 0 ] && echo "$cpu" || echo 'n/a')" "$res")"
    done
    echo "$line"
  done
done
stop_pid "$NGINX_PID"
stop_pid "$TINE_PID"

# The table: medians per side and mode, the ratios, the resumed share.
sum() { printf '%s\n' "$@" | awk '{s += $1} END {print s + 0}'; }
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| $TLS | nginx hs/s | tine hs/s | tine/nginx | nginx CPU us/hs | tine CPU us/hs | CPU efficiency nginx/tine | resumed nginx / tine |"
echo "|---|--:|--:|--:|--:|--:|--:|---|"
for mode in "${MODES[@]}"; do
  nr=$(median ${RATE[nginx $mode]}) tr=$(median ${RATE[tine $mode]})
  nc=$(median ${CPU[nginx $mode]:-0}) tc=$(median ${CPU[tine $mode]:-0})
  printf '| %s | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %s of %s / %s of %s |\n' "$mode" "$nr" "$tr" \
    "$(awk -v t="$tr" -v n="$nr" 'BEGIN {print (n > 0 ? t / n : 0)}')" "$nc" "$tc" \
    "$(awk -v t="$tc" -v n="$nc" 'BEGIN {print (t > 0 ? n / t : 0)}')" \
    "$(sum ${RES[nginx $mode]})" "$(sum ${N[nginx $mode]})" "$(sum ${RES[tine $mode]})" "$(sum ${N[tine $mode]})"
  [ "$mode" = full ] && FULL_RATIO=$(awk -v t="$tr" -v n="$nr" 'BEGIN {printf "%.2f", (n > 0 ? t / n : 0)}')
done
echo
echo "target (issue 13): full handshakes/s tine/nginx $FULL_RATIO (>= 0.95):" \
     "$(awk -v r="$FULL_RATIO" 'BEGIN {print (r >= 0.95 ? "met" : "NOT met")}')"
