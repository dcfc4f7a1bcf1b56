#!/usr/bin/env bash
# run.sh: tine against the C floor server, on loopback.
#
#   tests/bench/run.sh [BUILD_DIR]        (or BUILD_DIR=...; default: build/ in the checkout)
#
# Builds nothing. Starts the floor server (2 workers) and tine
# (echo_bench.lua, 2 children, MaxServer 2 so the pool stays at 2) on free
# loopback ports; for each mode (persistent: 50 connections, 32-byte
# lines; new connection per request: 50 at once) runs floor and tine
# alternately for ROUNDS rounds of DURATION s after WARMUP s; prints the
# medians. Then the spread check: tine with 4 children and 200 persistent
# connections, connections counted per child with ss; and the same for the
# floor with 4 workers and three accept strategies, for reference.
#
# Environment: ROUNDS (3), DURATION (5), WARMUP (1), CONNS (50), SIZE (32),
# SPREAD_ROUNDS (3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNS=${CONNS:-50}
SIZE=${SIZE:-32}
SPREAD_ROUNDS=${SPREAD_ROUNDS:-3}

print_machine
echo "method: closed loop, $CONNS connections, $SIZE-byte lines, --expect-echo;" \
     "$ROUNDS rounds of ${DURATION} s after ${WARMUP} s warm-up, floor and tine alternately"
echo

start_floor 2
TINE_PORT=$(free_port)
start_tine 2 tine "$ECHO_SCRIPT" --port "$TINE_PORT" --start-server 2 --max-server 2
MAIN_TINE_PID=$TINE_PID
FLOOR_PIDS="$FLOOR_PID,$(children_of "$FLOOR_PID" | paste -sd,)"
TINE_PIDS="$MAIN_TINE_PID,$(children_of "$MAIN_TINE_PID" | paste -sd,)"
echo "floor pid $FLOOR_PID port $FLOOR_PORT; tine master $MAIN_TINE_PID port $TINE_PORT," \
     "children $(children_of "$MAIN_TINE_PID" | tr '\n' ' ')"
echo

# One loadgen run; prints its RESULT line (the full output goes to WORK).
# usage: load PORT SERVER_PIDS TAG [loadgen flags...]
load() {
  local port=$1 pids=$2 tag=$3
  shift 3
  local out=$WORK/$tag.out
  timeout $((${DURATION%.*} + ${WARMUP%.*} + 30)) \
    "$LOADGEN" --port "$port" --conns "$CONNS" --size "$SIZE" \
    --duration "$DURATION" --warmup "$WARMUP" --expect-echo --cpu-pids "$pids" \
    "$@" >"$out" 2>&1 || true
  grep '^RESULT' "$out" || echo "RESULT rps=0 p99_us=0 errors=-1 (loadgen failed: $(tail -1 "$out"))"
}

err_summary() {  # sum the error fields over RESULT lines on stdin
  awk '{for (i=1;i<=NF;i++) {split($i,kv,"="); if (kv[1] ~ /^(connect_fail|reset|timeout|eof|mismatch|other)$/) s[kv[1]]+=kv[2]}}
       END {printf "cf=%d rst=%d to=%d eof=%d mm=%d oth=%d", s["connect_fail"], s["reset"], s["timeout"], s["eof"], s["mismatch"], s["other"]}'
}

declare -A ROW
for mode in persistent new-conn; do
  flags=()
  [ "$mode" = new-conn ] && flags=(--new-conn)
  : >"$WORK/$mode.floor" ; : >"$WORK/$mode.tine"
  for r in $(seq "$ROUNDS"); do
    f=$(load "$FLOOR_PORT" "$FLOOR_PIDS" "$mode-floor-$r" "${flags[@]}")
    echo "$f" >>"$WORK/$mode.floor"
    t=$(load "$TINE_PORT" "$TINE_PIDS" "$mode-tine-$r" "${flags[@]}")
    echo "$t" >>"$WORK/$mode.tine"
    printf '%-10s round %d: floor %7s rps p99 %6s us cpu %5s us/req (loadgen %3s%%) | tine %7s rps p99 %6s us cpu %5s us/req (loadgen %3s%%)\n' \
      "$mode" "$r" "$(field rps "$f")" "$(field p99_us "$f")" \
      "$(field server_cpu_us_per_req "$f")" "$(field loadgen_cpu_pct "$f")" \
      "$(field rps "$t")" "$(field p99_us "$t")" \
      "$(field server_cpu_us_per_req "$t")" "$(field loadgen_cpu_pct "$t")"
  done
  fcpu=$(median $(while read -r l; do field server_cpu_us_per_req "$l"; done <"$WORK/$mode.floor"))
  tcpu=$(median $(while read -r l; do field server_cpu_us_per_req "$l"; done <"$WORK/$mode.tine"))
  cratio=$(awk -v t="$tcpu" -v f="$fcpu" 'BEGIN {printf "%.2f", (t > 0 ? f / t : 0)}')
  frps=$(median $(while read -r l; do field rps "$l"; done <"$WORK/$mode.floor"))
  trps=$(median $(while read -r l; do field rps "$l"; done <"$WORK/$mode.tine"))
  fp99=$(median $(while read -r l; do field p99_us "$l"; done <"$WORK/$mode.floor"))
  tp99=$(median $(while read -r l; do field p99_us "$l"; done <"$WORK/$mode.tine"))
  ratio=$(awk -v t="$trps" -v f="$frps" 'BEGIN {printf "%.2f", (f > 0 ? t / f : 0)}')
  ROW[$mode]=$(printf '| %-10s | %8.0f | %8.0f | %5s | %7.0f | %7.0f | %6.2f | %6.2f | %5s | %s | %s |' \
    "$mode" "$frps" "$trps" "$ratio" "$fp99" "$tp99" "$fcpu" "$tcpu" "$cratio" \
    "$(err_summary <"$WORK/$mode.floor")" "$(err_summary <"$WORK/$mode.tine")")
done
stop_pid "$FLOOR_PID"
stop_pid "$MAIN_TINE_PID"

# Spread: 4 processes, 200 persistent connections; connections counted per
# process with ss. tine first; then, for reference, the floor with tine's
# accept strategy (shared socket, batches of 16), with a load-aware accept
# (--balance --balance-slack 16) and with SO_REUSEPORT.
# spread_check LABEL MASTER_PID PORT: prints each round; sets SPREAD_MED
# and SPREAD_WORST (busiest / least busy).
spread_check() {
  local label=$1 master=$2 port=$3 r lg per_child c n ratio ratios=()
  for r in $(seq "$SPREAD_ROUNDS"); do
    timeout 30 "$LOADGEN" --port "$port" --conns 200 --size "$SIZE" \
      --duration 3 --expect-echo >"$WORK/spread.out" 2>&1 &
    lg=$!
    STARTED_PIDS+=("$lg")
    sleep 1.5
    # established server-side sockets on the port, by owning pid
    ss -tnpH state established "( sport = :$port )" >"$WORK/ss.txt"
    per_child=""
    for c in $(children_of "$master"); do
      n=$(grep -c "pid=$c," "$WORK/ss.txt" || true)
      per_child="$per_child $n"
    done
    wait "$lg" || true
    forget_pid "$lg"
    ratio=$(printf '%s\n' $per_child | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {if (lo > 0) printf "%.2f", hi / lo; else print "inf"}')
    ratios+=("$ratio")
    printf '%-40s round %d: connections per process:%s  busiest/least %s  (%s)\n' \
      "$label" "$r" "$per_child" "$ratio" \
      "$(grep -o 'rps=[0-9]*.*errors=[0-9]*' "$WORK/spread.out" | awk '{print $1, $NF}')"
  done
  SPREAD_WORST=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
  SPREAD_MED=$(median "${ratios[@]/inf/1e9}")
  [ "$(awk -v m="$SPREAD_MED" 'BEGIN {print (m >= 1e9)}')" = 1 ] && SPREAD_MED=inf
  return 0
}

echo
SPREAD_PORT=$(free_port)
start_tine 4 spread "$ECHO_SCRIPT" --port "$SPREAD_PORT" --start-server 4 --max-server 4
spread_check "tine, 4 children" "$TINE_PID" "$SPREAD_PORT"
stop_pid "$TINE_PID"
SPREAD_ROWS=("| tine, 4 children | $SPREAD_MED | $SPREAD_WORST |")
for variant in "" "--balance --balance-slack 16" "--reuseport"; do
  start_floor 4 $variant
  spread_check "floor ${variant:-(shared socket, batch 16)}" "$FLOOR_PID" "$FLOOR_PORT"
  stop_pid "$FLOOR_PID"
  SPREAD_ROWS+=("| floor, 4 workers, ${variant:-shared socket, batch 16 (as tine)} | $SPREAD_MED | $SPREAD_WORST |")
done

echo
echo "| mode | floor rps | tine rps | tine/floor rps | floor p99 us | tine p99 us | floor CPU us/req | tine CPU us/req | floor/tine CPU | floor errors | tine errors |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|"
echo "${ROW[persistent]}"
echo "${ROW[new-conn]}"
echo
echo "| spread, 200 persistent connections | busiest/least, median of $SPREAD_ROUNDS | worst |"
echo "|---|--:|--:|"
printf '%s\n' "${SPREAD_ROWS[@]}"
echo "(target for tine: busiest <= 1.5 x least busy)"
echo "targets: persistent and new-conn tine/floor >= 0.85 (rps; CPU us/req is the server's"
echo "CPU time, master included, per request in the measured window; floor/tine CPU is"
echo "the efficiency ratio, which does not depend on the load generator keeping up)"
