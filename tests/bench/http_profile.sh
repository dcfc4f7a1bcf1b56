#!/usr/bin/env bash
# http_profile.sh: instructions per keep-alive HTTP request in a tine
# child (callgrind), tine's HTTP mode against http.sh's ceiling.
#
#   tests/bench/http_profile.sh [BUILD_DIR]   (or BUILD_DIR=...; default: build-rel/, else build/)
#
# For each server, http_routes.lua (HTTP mode) and http_ceiling.lua (stream
# mode answering each request head with the same bytes, no HTTP layer):
# tine runs under valgrind --tool=callgrind, StartServer 1 and MaxServer 1,
# with collection only inside event_base_loop (start-up left out; the
# child's profile is its own file); wrk -t1 -c10 loads ROUTE for DURATION
# s; Ir of the child / requests wrk counted = instructions per request,
# then the self cost by object. Callgrind's counts repeat where rates do
# not; valgrind slows tine about 50 times, so DURATION s give a few
# thousand requests.
#
# Environment: DURATION (6), ROUTE (/hello). Needs valgrind, wrk, curl.
set -euo pipefail
DEFAULT_BUILD=build-rel
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-6}
ROUTE=${ROUTE:-/hello}
SCHEME=http
for tool in valgrind wrk curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

# Profile tine on SCRIPT; prints Ir per request and the self cost by object.
# usage: profile_http NAME SCRIPT
profile_http() {
  local name=$1 script=$2 port out vg child file ir served
  port=$(free_port)
  out=$WORK/cg-$name
  mkdir -p "$out"
  valgrind --tool=callgrind --toggle-collect=event_base_loop \
    --callgrind-out-file="$out/callgrind.out.%p" \
    "$TINE" "$script" --port "$port" --start-server 1 --max-server 1 \
    --log-level warn >"$out/tine.log" 2>&1 &
  vg=$!
  STARTED_PIDS+=("$vg")
  local why
  if ! why=$(wait_http "$port" "$vg"); then
    echo "$name: $why" >&2
    exit 1
  fi
  child=$(children_of "$vg" | head -1)
  wrk -t1 -c10 -d"${DURATION}s" "$SCHEME://127.0.0.1:$port$ROUTE" >"$out/wrk.out" 2>&1 || true
  stop_pid "$vg"
  file=$out/callgrind.out.$child
  ir=$(cg_total "$file")
  served=$(awk '/requests in/ {print $1}' "$out/wrk.out")
  [ -n "$served" ] && [ "$served" -gt 0 ] || { echo "$name: wrk counted no requests" >&2; exit 1; }
  echo "== $name ($(basename "$script")): child $child, $served requests, Ir in the loop $ir"
  awk -v ir="$ir" -v n="$served" 'BEGIN {printf "   instructions per request: %.0f\n", ir / n}'
  echo "   self cost by object:"
  callgrind_annotate --threshold=100 "$file" 2>/dev/null |
    awk -v ir="$ir" -v n="$served" '/^ *[0-9,]+ \(/ && /\[/ {
        v = $1; gsub(",", "", v); o = $NF; gsub(/[\[\]]/, "", o); sub(/.*\//, "", o); s[o] += v }
      END {for (o in s) if (s[o] / n >= 1) printf "     %-28s %6.0f Ir/request %5.1f%%\n", o, s[o] / n, 100 * s[o] / ir}' |
    sort -k2 -n -r
}

print_machine
echo "method: callgrind, one child, wrk -t1 -c10 -d${DURATION}s $ROUTE (the first request, curl's, counted in Ir only)"
echo
profile_http http "$BENCH_DIR/http_routes.lua"
profile_http ceiling "$BENCH_DIR/http_ceiling.lua"
