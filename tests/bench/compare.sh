#!/usr/bin/env bash
# compare.sh: two builds of tine side by side on the line echo, to see
# what a change costs.
#
#   tests/bench/compare.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR
#
# Starts both (echo_bench.lua, 2 children each) on free loopback ports;
# for each mode (persistent: 50 connections; new connection per request)
# runs them alternately for ROUNDS rounds of DURATION s after WARMUP s and
# prints the medians and after/before. The load generator and floor come
# from AFTER_BUILD_DIR.
#
# Environment: ROUNDS (5), DURATION (5), WARMUP (1), CONNS (50), SIZE (32).
set -euo pipefail
BEFORE=$(cd "$1" && pwd)/tine
source "$(dirname "$0")/lib.sh" "$2"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-50}
SIZE=${SIZE:-32}

print_machine
echo "before: $BEFORE ($(stat -c %y "$BEFORE" | cut -d. -f1))"
echo "method: closed loop, $CONNS connections, $SIZE-byte lines; $ROUNDS" \
     "alternating rounds of ${DURATION} s after ${WARMUP} s warm-up"

AFTER=$TINE
TINE=$BEFORE
PORT_B=$(free_port)
start_tine 2 before "$ECHO_SCRIPT" --port "$PORT_B" --start-server 2 --max-server 2
PIDS_B="$TINE_PID,$(children_of "$TINE_PID" | paste -sd,)"
TINE=$AFTER
PORT_A=$(free_port)
start_tine 2 after "$ECHO_SCRIPT" --port "$PORT_A" --start-server 2 --max-server 2
PIDS_A="$TINE_PID,$(children_of "$TINE_PID" | paste -sd,)"

# One loadgen run against PORT; prints its rps.
rps_of() {
  local port=$1 pids=$2 out=$WORK/run.out
  shift 2
  timeout $((${DURATION%.*} + ${WARMUP%.*} + 30)) \
    "$LOADGEN" --port "$port" --conns "$CONNS" --size "$SIZE" \
    --duration "$DURATION" --warmup "$WARMUP" --expect-echo --cpu-pids "$pids" \
    "$@" >"$out" 2>&1 || true
  field rps "$(grep '^RESULT' "$out" || echo 'RESULT rps=0')"
}

echo
echo "| mode | before rps | after rps | after/before |"
echo "|---|--:|--:|--:|"
for mode in persistent new-conn; do
  flags=()
  [ "$mode" = new-conn ] && flags=(--new-conn)
  before=() after=()
  for r in $(seq "$ROUNDS"); do
    before+=("$(rps_of "$PORT_B" "$PIDS_B" "${flags[@]}")")
    after+=("$(rps_of "$PORT_A" "$PIDS_A" "${flags[@]}")")
    echo "  $mode round $r: before ${before[-1]} after ${after[-1]}" >&2
  done
  b=$(median "${before[@]}")
  a=$(median "${after[@]}")
  printf '| %s | %.0f | %.0f | %.3f |\n' "$mode" "$b" "$a" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN {print (b > 0 ? a / b : 0)}')"
done
