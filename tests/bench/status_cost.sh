#!/usr/bin/env bash
# status_cost.sh: what the status page costs while tine serves. The line
# echo (echo_bench.lua, CHILDREN children, StatusListen on a free loopback
# port) is driven by loadgen in alternating rounds with and without a
# client (one curl, kept alive) fetching /metrics 10 times a second;
# prints the median
# requests/s and p99 of each, the ratio, and the master's CPU time per
# /metrics request.
#
#   tests/bench/status_cost.sh [BUILD_DIR]   (default: build/ in the checkout)
#
# Environment: ROUNDS (3), DURATION (5), WARMUP (1), CONNS (50),
# CHILDREN (2), POLL_HZ (10).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
POLL_HZ=${POLL_HZ:-10}
closed_loop_setup "/metrics polled at $POLL_HZ/s or not"

STATUS_PORT=$(free_port)
TINE_PORT=$(free_port)
start_tine "$CHILDREN" tine "$ECHO_SCRIPT" --port "$TINE_PORT" \
  --start-server "$CHILDREN" --max-server "$CHILDREN" \
  --status-listen "127.0.0.1:$STATUS_PORT"
curl -sf -o /dev/null "http://127.0.0.1:$STATUS_PORT/metrics" ||
  { echo "no /metrics on 127.0.0.1:$STATUS_PORT" >&2; exit 1; }

# The master's CPU time so far, in clock ticks (utime + stime).
master_ticks() { awk '{print $14 + $15}' "/proc/$TINE_PID/stat"; }

# Fetch /metrics POLL_HZ times a second until killed: one curl process
# (URL ranges, --rate) on one kept-alive connection, so the poller's own
# cost stays small; each answer's status is a line of WORK/polls.log
# (written to standard error, which is not buffered).
poll() {
  exec curl -s -o /dev/null -w '%{stderr}%{http_code}\n' --rate "${POLL_HZ}/s" \
    "http://127.0.0.1:$STATUS_PORT/metrics?n=[1-1000000]" 2>"$WORK/polls.log"
}

plain=() polled=() plain_p99=() polled_p99=() per_req=()
for round in $(seq "$ROUNDS"); do
  read -r rps p99 < <(rps_of "$TINE_PORT")
  plain+=("$rps") plain_p99+=("$p99")
  echo "round $round: without polling $rps rps, p99 $p99 us"
  : >"$WORK/polls.log"
  before=$(master_ticks)
  poll & POLLER=$!
  read -r rps p99 < <(rps_of "$TINE_PORT")
  kill "$POLLER" 2>/dev/null; wait "$POLLER" 2>/dev/null || true
  ticks=$(( $(master_ticks) - before ))
  polls=$(grep -c '^200$' "$WORK/polls.log" || true)
  polled+=("$rps") polled_p99+=("$p99")
  per_req+=("$(awk -v t="$ticks" -v n="$polls" -v hz="$(getconf CLK_TCK)" \
               'BEGIN { printf "%.3f", n ? t * 1000 / hz / n : 0 }')")
  echo "round $round: with /metrics at ${POLL_HZ}/s $rps rps, p99 $p99 us;" \
       "$polls polls, master CPU ${per_req[-1]} ms per poll"
done
a=$(median "${plain[@]}") b=$(median "${polled[@]}")
echo
echo "| load | requests/s (median) | p99 us (median) |"
echo "|---|--:|--:|"
echo "| line echo alone | $a | $(median "${plain_p99[@]}") |"
echo "| line echo, /metrics at ${POLL_HZ}/s | $b | $(median "${polled_p99[@]}") |"
echo
awk -v a="$a" -v b="$b" 'BEGIN { printf "with/without: %.3f\n", a ? b / a : 0 }'
echo "master CPU per /metrics request (median): $(median "${per_req[@]}") ms"
