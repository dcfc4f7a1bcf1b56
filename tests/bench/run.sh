#!/usr/bin/env bash
# run.sh: tine against the C floor server, on loadgen over loopback.
#
#   tests/bench/run.sh [BUILD_DIR]        (or BUILD_DIR=...; default: build/ in the checkout)
#
# Builds nothing. The floor accepts as tine does: a shared socket and an
# accept by load (--balance --balance-slack 16; tine's slack is 16 up to
# 256 connections), so both spread the connections over their processes
# the same way. tine runs echo_bench.lua with MaxServer equal to
# StartServer, so the pool stays put. Modes, each alternating floor and
# tine for ROUNDS rounds of DURATION s after WARMUP s, medians printed:
#   persistent      2 workers / 2 children, CONNS connections, SIZE-byte
#                   lines; each round also counts the connections per
#                   process (ss, halfway through);
#   persistent-1    the same with 1 worker / 1 child: the cost per request
#                   without two busy servers and loadgen sharing 2 cores;
#   new-conn        2 and 2, a new connection per request (CONNS at once).
# Beside persistent, for reference, the floor with a plain shared socket
# (no accept by load), which on this machine usually gives nearly every
# connection to one worker. Then the spread check: tine with 4 children
# and 200 persistent connections, connections counted per child with ss;
# and the same for the floor with 4 workers and three accept strategies.
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

# Connections per process of a server, as "n+n+..." (ss, established,
# server side). usage: split_of MASTER_PID PORT
split_of() {
  local c out=""
  ss -tnpH state established "( sport = :$2 )" >"$WORK/ss.txt"
  for c in $(children_of "$1"); do
    out="$out+$(grep -c "pid=$c," "$WORK/ss.txt" || true)"
  done
  echo "${out#+}"
}

# A server under test: SRV_PORT[name], SRV_PIDS[name] (master and
# children, for loadgen's CPU count), SRV_MASTER[name].
declare -A SRV_PORT SRV_PIDS SRV_MASTER
note_server() {  # usage: note_server NAME MASTER_PID PORT
  SRV_MASTER[$1]=$2 SRV_PORT[$1]=$3
  SRV_PIDS[$1]="$2,$(children_of "$2" | paste -sd,)"
}

# One loadgen run against server NAME; prints its RESULT line with
# split=<connections per process>, counted halfway through when the run
# is persistent (no loadgen flags given), else "-" (the full output goes
# to WORK). usage: load NAME TAG [loadgen flags...]
load() {
  local name=$1 tag=$2 split=- lg
  shift 2
  local out=$WORK/$tag.out
  timeout $((${DURATION%.*} + ${WARMUP%.*} + 30)) \
    "$LOADGEN" --port "${SRV_PORT[$name]}" --conns "$CONNS" --size "$SIZE" \
    --duration "$DURATION" --warmup "$WARMUP" --expect-echo \
    --cpu-pids "${SRV_PIDS[$name]}" "$@" >"$out" 2>&1 &
  lg=$!
  if [ $# = 0 ]; then
    sleep "$(awk -v w="$WARMUP" -v d="$DURATION" 'BEGIN {print w + d / 2}')"
    split=$(split_of "${SRV_MASTER[$name]}" "${SRV_PORT[$name]}")
  fi
  wait "$lg" || true
  echo "$(grep '^RESULT' "$out" || echo "RESULT rps=0 p99_us=0 errors=-1 (loadgen failed: $(tail -1 "$out"))") split=$split"
}

err_summary() {  # sum the error fields over RESULT lines on stdin
  awk '{for (i=1;i<=NF;i++) {split($i,kv,"="); if (kv[1] ~ /^(connect_fail|reset|timeout|eof|mismatch|other)$/) s[kv[1]]+=kv[2]}}
       END {printf "cf=%d rst=%d to=%d eof=%d mm=%d oth=%d", s["connect_fail"], s["reset"], s["timeout"], s["eof"], s["mismatch"], s["other"]}'
}

round_line() {  # usage: round_line LABEL "RESULT ..." -> one column group
  printf '%s %7s rps p99 %6s us cpu %5s us/req (loadgen %3s%%) split %s' "$1" \
    "$(field rps "$2")" "$(field p99_us "$2")" "$(field server_cpu_us_per_req "$2")" \
    "$(field loadgen_cpu_pct "$2")" "$(field split "$2")"
}

# median of field F over the RESULT lines of a file
med() { median $(while read -r l; do field "$1" "$l"; done <"$2"); }

# The modes: ROUNDS alternating rounds of the floor ("floor") and tine
# ("tine"), and of "ref" if REF names one, then the medians into ROW[mode].
# usage: compare MODE [loadgen flags...]
declare -A ROW
compare() {
  local mode=$1 r s f t
  shift
  for s in floor tine ${REF:-}; do : >"$WORK/$mode.$s"; done
  for r in $(seq "$ROUNDS"); do
    f=$(load floor "$mode-floor-$r" "$@"); echo "$f" >>"$WORK/$mode.floor"
    t=$(load tine "$mode-tine-$r" "$@"); echo "$t" >>"$WORK/$mode.tine"
    echo "$mode round $r: $(round_line floor "$f") | $(round_line tine "$t")"
    if [ -n "${REF:-}" ]; then
      f=$(load "$REF" "$mode-ref-$r" "$@"); echo "$f" >>"$WORK/$mode.$REF"
      echo "$mode round $r: $(round_line "$REF (reference)" "$f")"
    fi
  done
  ROW[$mode]=$(row "$mode" "$WORK/$mode.floor" "$WORK/$mode.tine")
  [ -n "${REF:-}" ] && ROW[$mode-$REF]=$(row "$mode, floor: $REF" "$WORK/$mode.$REF" "$WORK/$mode.tine")
  return 0
}

# One table row from the floor's and tine's RESULT files.
row() {  # usage: row LABEL FLOOR_FILE TINE_FILE
  local frps trps fcpu tcpu
  frps=$(med rps "$2") trps=$(med rps "$3")
  fcpu=$(med server_cpu_us_per_req "$2") tcpu=$(med server_cpu_us_per_req "$3")
  printf '| %s | %8.0f | %8.0f | %5s | %7.0f | %7.0f | %6.2f | %6.2f | %5s | %s | %s | %s | %s |' \
    "$1" "$frps" "$trps" "$(awk -v t="$trps" -v f="$frps" 'BEGIN {printf "%.2f", (f > 0 ? t / f : 0)}')" \
    "$(med p99_us "$2")" "$(med p99_us "$3")" "$fcpu" "$tcpu" \
    "$(awk -v t="$tcpu" -v f="$fcpu" 'BEGIN {printf "%.2f", (t > 0 ? f / t : 0)}')" \
    "$(while read -r l; do field split "$l"; done <"$2" | paste -sd' ')" \
    "$(while read -r l; do field split "$l"; done <"$3" | paste -sd' ')" \
    "$(err_summary <"$2")" "$(err_summary <"$3")"
}

# Two processes each: the floor accepting as tine does, tine, and the
# floor with a plain shared socket for reference.
start_floor 2 "${FLOOR_AS_TINE[@]}"
note_server floor "$FLOOR_PID" "$FLOOR_PORT"
start_floor 2
note_server shared-socket "$FLOOR_PID" "$FLOOR_PORT"
port=$(free_port)
start_tine 2 tine "$ECHO_SCRIPT" --port "$port" --start-server 2 --max-server 2
note_server tine "$TINE_PID" "$port"
echo "floor (${FLOOR_AS_TINE[*]}) pid ${SRV_MASTER[floor]}, floor (shared socket)" \
     "pid ${SRV_MASTER[shared-socket]}, tine master ${SRV_MASTER[tine]}"
echo
REF=shared-socket compare persistent
compare new-conn --new-conn
for s in floor shared-socket tine; do stop_pid "${SRV_MASTER[$s]}"; done

# One process each.
start_floor 1 "${FLOOR_AS_TINE[@]}"
note_server floor "$FLOOR_PID" "$FLOOR_PORT"
port=$(free_port)
start_tine 1 tine1 "$ECHO_SCRIPT" --port "$port" --start-server 1 --max-server 1
note_server tine "$TINE_PID" "$port"
compare persistent-1
stop_pid "${SRV_MASTER[floor]}"
stop_pid "${SRV_MASTER[tine]}"

# Spread: 4 processes, 200 persistent connections; connections counted per
# process with ss. tine first; then, for reference, the floor with tine's
# accept strategy (shared socket, batches of 16), with a load-aware accept
# (--balance --balance-slack 16) and with SO_REUSEPORT.
# spread_check LABEL MASTER_PID PORT: prints each round; sets SPREAD_MED
# and SPREAD_WORST (busiest / least busy).
spread_check() {
  local label=$1 master=$2 port=$3 r lg per_child ratio ratios=()
  for r in $(seq "$SPREAD_ROUNDS"); do
    timeout 30 "$LOADGEN" --port "$port" --conns 200 --size "$SIZE" \
      --duration 3 --expect-echo >"$WORK/spread.out" 2>&1 &
    lg=$!
    STARTED_PIDS+=("$lg")
    sleep 1.5
    per_child=$(split_of "$master" "$port")
    wait "$lg" || true
    forget_pid "$lg"
    ratio=$(tr + '\n' <<<"$per_child" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {if (lo > 0) printf "%.2f", hi / lo; else print "inf"}')
    ratios+=("$ratio")
    printf '%-40s round %d: connections per process: %s  busiest/least %s  (%s)\n' \
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
  SPREAD_ROWS+=("| floor, 4 workers, ${variant:-shared socket, batch 16} | $SPREAD_MED | $SPREAD_WORST |")
done

echo
echo "| mode | floor rps | tine rps | tine/floor rps | floor p99 us | tine p99 us | floor CPU us/req | tine CPU us/req | floor/tine CPU | floor split | tine split | floor errors | tine errors |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|---|"
for m in persistent persistent-1 new-conn persistent-shared-socket; do echo "${ROW[$m]}"; done
echo
echo "| spread, 200 persistent connections | busiest/least, median of $SPREAD_ROUNDS | worst |"
echo "|---|--:|--:|"
printf '%s\n' "${SPREAD_ROWS[@]}"
echo "(target for tine: busiest <= 1.5 x least busy)"
echo "targets: persistent and new-conn tine/floor >= 0.90 (rps; CPU us/req is the server's"
echo "CPU time, master included, per request in the measured window; floor/tine CPU is"
echo "the efficiency ratio, which does not depend on the load generator keeping up)"
