#!/usr/bin/env bash
# reload.sh: does tine refuse or drop connections while it replaces
# children? (issue 3)
#
#   tests/bench/reload.sh [BUILD_DIR]     (or BUILD_DIR=...; default: build/ in the checkout)
#
# Closed-loop load, a new connection per request (50 at once, 32-byte
# lines, --expect-echo), against tine (echo_bench.lua, StartServer 2,
# MaxServer 2, MasterHeartBeatTime 0.5) for DURATION s after WARMUP s,
# three ways, each on a fresh tine:
#   (a) baseline
#   (b) HUP to the master every HUP_EVERY s (a reload: every child replaced)
#   (c) --max-server-life-times LIFETIMES (each child recycled after that
#       many connections)
# Prints for each: requests, rps, failed connects, resets, timeouts, other
# errors, reloads / children forked, and (b)/(a), (c)/(a) throughput.
# Targets: zero failed connects, zero resets, throughput >= 80% of (a).
#
# ROUNDS rounds (3), the three ways interleaved; the table gives the median
# rps of each way and the errors summed over the rounds.
#
# Environment: DURATION (10), WARMUP (1), CONNS (50), HUP_EVERY (0.5),
# LIFETIMES (100), ROUNDS (3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-50}
HUP_EVERY=${HUP_EVERY:-0.5}
LIFETIMES=${LIFETIMES:-100}
ROUNDS=${ROUNDS:-3}

export TINE_BENCH_READY_FILE=$WORK/ready.txt  # echo_bench.lua: a line per child ready

print_machine
echo "method: loadgen --new-conn --conns $CONNS --size 32 --expect-echo," \
     "${DURATION} s after ${WARMUP} s warm-up; tine echo_bench.lua StartServer 2," \
     "MaxServer 2, MasterHeartBeatTime 0.5; a fresh tine for each way"
echo

# run_way NAME [tine flags...]: start tine, load it (sending HUPs if NAME
# is hup), stop it; prints one summary line and keeps the RESULT.
run_way() {
  local name=$1
  shift
  local port hupper=""
  port=$(free_port)
  : >"$TINE_BENCH_READY_FILE"
  : >"$WORK/hups"
  start_tine 2 "reload-$name" "$ECHO_SCRIPT" --port "$port" --start-server 2 \
    --max-server 2 --master-heart-beat-time 0.5 "$@"
  local out=$WORK/$name.out
  "$LOADGEN" --port "$port" --new-conn --conns "$CONNS" --size 32 \
    --duration "$DURATION" --warmup "$WARMUP" --expect-echo >"$out" 2>&1 &
  local lg=$!
  STARTED_PIDS+=("$lg")
  if [ "$name" = hup ]; then
    local n
    n=$(awk -v d="$DURATION" -v w="$WARMUP" -v e="$HUP_EVERY" 'BEGIN {print int((d + w) / e)}')
    ( for _ in $(seq "$n"); do
        sleep "$HUP_EVERY"
        kill -HUP "$TINE_PID" 2>/dev/null || exit 0
        echo hup >>"$WORK/hups"
      done ) &
    hupper=$!
    STARTED_PIDS+=("$hupper")
  fi
  # loadgen is bounded by --duration; this wait is bounded too
  local i
  for i in $(seq $(( (${DURATION%.*} + ${WARMUP%.*} + 30) * 10 ))); do
    kill -0 "$lg" 2>/dev/null || break
    sleep 0.1
  done
  stop_pid "$lg"
  [ -n "$hupper" ] && stop_pid "$hupper"
  stop_pid "$TINE_PID"
  local res
  res=$(grep '^RESULT' "$out" || echo "RESULT rps=0 requests=0 errors=-1")
  echo "$res" >>"$WORK/$name.results"
  local log=$TINE_LOG
  # children that reached their loop (from echo_bench.lua's ready lines;
  # the log drops floods of like lines, so its counts are lower bounds)
  local hups ready died killed
  hups=$(wc -l <"$WORK/hups")
  ready=$(wc -l <"$TINE_BENCH_READY_FILE")
  died=$(grep -Ec 'died of signal|exited with status|exited on its own|could not start' "$log" || true)
  killed=$(grep -c ' killed' "$log" || true)
  printf '%-9s round %s: requests %7s  rps %6s  connect_fail %s  reset %s  timeout %s  eof %s  mismatch %s  other %s  p99 %s us  max %s us | HUPs sent %s, children started %s, abnormal exits / kills logged %s / %s\n' \
    "$name" "$ROUND" "$(field requests "$res")" "$(field rps "$res")" \
    "$(field connect_fail "$res")" "$(field reset "$res")" \
    "$(field timeout "$res")" "$(field eof "$res")" "$(field mismatch "$res")" \
    "$(field other "$res")" "$(field p99_us "$res")" "$(field max_us "$res")" \
    "$hups" "$ready" "$died" "$killed"
  grep -E ' (error|warn): ' "$log" | grep -v 'similar message(s) suppressed' |
    head -5 | sed 's/^/    tine log: /' || true
}

for ROUND in $(seq "$ROUNDS"); do
  run_way baseline
  run_way hup
  run_way lifetimes --max-server-life-times "$LIFETIMES"
done

echo
median_of() { median $(while read -r l; do field "$1" "$l"; done <"$WORK/$2.results"); }
sum_of() { local t=0 l; while read -r l; do t=$((t + $(field "$1" "$l"))); done <"$WORK/$2.results"; echo $t; }
base=$(median_of rps baseline)
verdict() {
  local name=$1 rps ratio cf rst
  rps=$(median_of rps "$name")
  ratio=$(awk -v x="$rps" -v b="$base" 'BEGIN {printf "%.2f", (b > 0 ? x / b : 0)}')
  cf=$(sum_of connect_fail "$name")
  rst=$(sum_of reset "$name")
  local ok=met
  awk -v r="$ratio" 'BEGIN {exit !(r >= 0.8)}' || ok=MISSED
  [ "$cf" = 0 ] && [ "$rst" = 0 ] || ok=MISSED
  printf '| %-30s | %6.0f | %5s | %s | %s | %s | %s | %s | %s |\n' "$2" "$rps" "$ratio" \
    "$(sum_of requests "$name")" "$cf" "$rst" "$(sum_of timeout "$name")" "$(sum_of errors "$name")" "$ok"
}
echo "| way | median rps | vs baseline | requests (all rounds) | failed connects | resets | timeouts | all errors | target (0 failed, 0 reset, >= 0.80) |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|---|"
verdict baseline "(a) baseline"
verdict hup "(b) HUP every ${HUP_EVERY} s"
verdict lifetimes "(c) MaxServerLifeTimes $LIFETIMES"
