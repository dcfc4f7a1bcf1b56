#!/usr/bin/env bash
# redis.sh: a line echo whose ClientInput makes one round trip to a local
# redis-server per line, waiting without blocking (tine.tcp) against the
# same through a plain blocking socket (luasocket), with the same
# children, in one run.
#
#   tests/bench/redis.sh [BUILD_DIR]
#
# Two backends: PING, answered at once; and BLPOP on an empty list with a
# 2 ms timeout, a backend that takes about 2 ms to answer while redis
# itself stays free (redis runs with --hz 500, its finest timer: 2 ms).
#
# Environment: ROUNDS (3), DURATION (5), WARMUP (1), CONNS (50),
# CHILDREN (2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

closed_loop_setup "one PING to redis-server per line"

start_redis --hz 500

# One backend: both scripts started afresh, alternating rounds; adds two
# rows to ROWS. usage: backend LABEL (with REDIS_WAIT_MS set or not)
backend() {
  local label=$1 r a ap b bp port_async port_block async_pid
  local async=() blocking=() ap99=() bp99=()
  port_async=$(free_port)
  start_tine "$CHILDREN" async "$BENCH_DIR/redis_echo_async.lua" \
    --port "$port_async" --start-server "$CHILDREN" --max-server "$CHILDREN"
  async_pid=$TINE_PID
  port_block=$(free_port)
  start_tine "$CHILDREN" blocking "$BENCH_DIR/redis_echo_blocking.lua" \
    --port "$port_block" --start-server "$CHILDREN" --max-server "$CHILDREN"
  for r in $(seq "$ROUNDS"); do
    read -r a ap <<<"$(rps_of "$port_async")"
    read -r b bp <<<"$(rps_of "$port_block")"
    async+=("$a") ap99+=("$ap") blocking+=("$b") bp99+=("$bp")
    echo "$label round $r: tine.tcp $a rps (p99 $ap us) | luasocket $b rps (p99 $bp us)"
  done
  stop_pid "$async_pid"
  stop_pid "$TINE_PID"
  a=$(median "${async[@]}")
  b=$(median "${blocking[@]}")
  ROWS+=("$(printf '| %s | tine.tcp, waiting without blocking | %.0f | %.0f | %.2f |' \
    "$label" "$a" "$(median "${ap99[@]}")" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN {print (b > 0 ? a / b : 0)}')")")
  ROWS+=("$(printf '| %s | luasocket, blocking | %.0f | %.0f | 1.00 |' \
    "$label" "$b" "$(median "${bp99[@]}")")")
}

ROWS=()
unset REDIS_WAIT_MS
backend "PING"
export REDIS_WAIT_MS=2
backend "BLPOP, 2 ms"
echo
echo "| backend | way | requests/s | p99 us | vs blocking |"
echo "|---|---|--:|--:|--:|"
printf '%s\n' "${ROWS[@]}"
