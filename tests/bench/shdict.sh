#!/usr/bin/env bash
# shdict.sh: a line echo whose ClientInput adds 1 to one shared counter,
# in a shared dictionary (tine.shared.counts:incr) against an INCR round
# trip to a local redis-server (through tine.tcp, keep-alive), with the
# plain echo as the ceiling; same children, same load, in one run.
#
#   tests/bench/shdict.sh [BUILD_DIR]
#
# Environment: ROUNDS (3), DURATION (5), WARMUP (1), CONNS (50),
# CHILDREN (2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

closed_loop_setup "one incr of one key per line"

start_redis

# Start tine as NAME on SCRIPT with INCR_BACKEND=BACKEND; its port goes
# into PORT[NAME], its pid into PIDS.
declare -A PORT
PIDS=()
start_one() {
  local name=$1 script=$2 backend=$3
  PORT[$name]=$(free_port)
  INCR_BACKEND=$backend start_tine "$CHILDREN" "$name" "$script" \
    --port "${PORT[$name]}" --start-server "$CHILDREN" --max-server "$CHILDREN"
  PIDS+=("$TINE_PID")
}

start_one shdict "$BENCH_DIR/shdict_incr.lua" shdict
start_one redis "$BENCH_DIR/shdict_incr.lua" redis
start_one echo "$ECHO_SCRIPT" none
LABELS=(shdict redis echo)

declare -A RPS P99
for r in $(seq "$ROUNDS"); do
  line="round $r:"
  for l in "${LABELS[@]}"; do
    read -r a ap <<<"$(rps_of "${PORT[$l]}")"
    RPS[$l]+="$a " P99[$l]+="$ap "
    line+=" $l $a rps (p99 $ap us) |"
  done
  echo "${line% |}"
done
for p in "${PIDS[@]}"; do stop_pid "$p"; done

# shellcheck disable=SC2086
s=$(median ${RPS[shdict]}) rd=$(median ${RPS[redis]}) e=$(median ${RPS[echo]})
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print (b > 0 ? a / b : 0)}'; }
echo
echo "| ClientInput | requests/s | p99 us | vs redis INCR |"
echo "|---|--:|--:|--:|"
# shellcheck disable=SC2086
printf '| tine.shared.counts:incr("hits", 1, 0) | %.0f | %.0f | %.2f |\n' \
  "$s" "$(median ${P99[shdict]})" "$(ratio "$s" "$rd")"
# shellcheck disable=SC2086
printf '| INCR to redis-server (tine.tcp, keep-alive) | %.0f | %.0f | 1.00 |\n' \
  "$rd" "$(median ${P99[redis]})"
# shellcheck disable=SC2086
printf '| echo only (the ceiling) | %.0f | %.0f | %.2f |\n' \
  "$e" "$(median ${P99[echo]})" "$(ratio "$e" "$rd")"
