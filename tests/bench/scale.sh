#!/usr/bin/env bash
# scale.sh: scale curves, tine side by side with the C floor (line echo)
# and with nginx + lua (HTTP), on loopback.
#
#   tests/bench/scale.sh [BUILD_DIR]   (or BUILD_DIR=...; default: build-rel/, else build/)
#
# Builds nothing. Curves (CURVES picks them, in this order):
#   conns     line echo (echo_bench.lua; the floor accepting by load as
#             tine does, FLOOR_AS_TINE in lib.sh), 2 children / 2 workers,
#             persistent, at each of POINTS connections
#   children  line echo at CHILDREN_CONNS persistent connections with each
#             of CHILDREN_POINTS children / workers
#   newconn   line echo, a new connection per request (loadgen --new-conn),
#             NEWCONN_CONNS at once, with each of CHILDREN_POINTS children
#   http      HTTP keep-alive GET /hello (http_routes.lua; nginx + lua from
#             nginx_http.conf.in) with wrk -tTHREADS, 2 workers each side,
#             at each of POINTS connections
# At every point the two sides run alternately (tine first in odd rounds)
# for ROUNDS rounds of DURATION s after WARMUP s (loadgen starts the warm-up
# once every connection is open; wrk opens its connections in the run).
# Prints each round, then per curve a table of medians, and for the largest
# of POINTS the throughput there over that at the smallest, per side.
# Writes OUT/<curve>.tsv (x, tine req/s, tine p99 ms, other req/s, other
# p99 ms, errors each side: summed over rounds, -1 if a run failed) and
# OUT/<curve>.txt (the table), and each run's output in OUT/runs/;
# scale_plot.sh turns the TSVs into PNGs.
#
# Environment: ROUNDS (3), DURATION (3), WARMUP (1), POINTS
# ("50 500 2000 10000"), CHILDREN_POINTS ("2 8 32"), CHILDREN_CONNS (500),
# NEWCONN_CONNS (50), THREADS (2), CURVES ("conns children newconn http"),
# OUT (kept; default a temp dir that is removed). RLIMIT_NOFILE is raised
# to its hard limit, which must exceed the most connections asked for.
set -euo pipefail
DEFAULT_BUILD=build-rel
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
WARMUP=${WARMUP:-1}
THREADS=${THREADS:-2}
CHILDREN_CONNS=${CHILDREN_CONNS:-500}
NEWCONN_CONNS=${NEWCONN_CONNS:-50}
read -r -a POINTS <<<"${POINTS:-50 500 2000 10000}"
read -r -a CHILDREN_POINTS <<<"${CHILDREN_POINTS:-2 8 32}"
read -r -a CURVES <<<"${CURVES:-conns children newconn http}"
OUT=${OUT:-$WORK/out}
mkdir -p "$OUT/runs"
HTTP_SCRIPT=$BENCH_DIR/http_routes.lua

MOST=$(printf '%s\n' "${POINTS[@]}" "$CHILDREN_CONNS" "$NEWCONN_CONNS" | sort -n | tail -1)
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -le $((MOST + 256)) ]; then
  echo "RLIMIT_NOFILE $(ulimit -n) is too low for $MOST connections (raise the hard limit)" >&2
  exit 2
fi
wants() { [[ " ${CURVES[*]} " == *" $1 "* ]]; }
wants http && need_http_tools wrk

print_machine
echo "method: ROUNDS=$ROUNDS alternating rounds of ${DURATION} s after ${WARMUP} s per point;" \
     "line: loadgen, 32-byte lines, --expect-echo, the floor ${FLOOR_AS_TINE[*]}; http: wrk -t$THREADS --latency GET /hello keep-alive;" \
     "RLIMIT_NOFILE $(ulimit -n); OUT=$OUT"
echo

# Run ROUNDS alternating rounds of MEASURE on tine and on the other side,
# print each round, append the medians as a row of OUT/CURVE.tsv.
# MEASURE TARGET TAG prints "rps p99_ms errors".
# usage: point CURVE X MEASURE TINE_TARGET OTHER_NAME OTHER_TARGET
point() {
  local curve=$1 x=$2 fn=$3 other=$5 r s rps p99 err line
  local -A target=([tine]=$4 [$5]=$6) R P E
  for r in $(seq "$ROUNDS"); do
    local order=(tine "$other")
    [ $((r % 2)) = 0 ] && order=("$other" tine)
    line=$(printf '%-8s %6s round %d:' "$curve" "$x" "$r")
    for s in "${order[@]}"; do
      read -r rps p99 err <<<"$("$fn" "${target[$s]}" "$curve-$x-$s-$r")"
      cp "$WORK/$curve-$x-$s-$r".* "$OUT/runs/" 2>/dev/null || true
      R[$s]+=" $rps" P[$s]+=" $p99" E[$s]+=" $err"
      line+=$(printf '  %s %8.0f req/s p99 %8.2f ms errors %s' "$s" "$rps" "$p99" "$err")
    done
    echo "$line"
  done
  printf '%s\t%.0f\t%.3f\t%.0f\t%.3f\t%s\t%s\n' "$x" \
    "$(median ${R[tine]})" "$(median ${P[tine]})" \
    "$(median ${R[$other]})" "$(median ${P[$other]})" \
    "$(errsum ${E[tine]})" "$(errsum ${E[$other]})" >>"$OUT/$curve.tsv"
}

# Sum of error counts; -1 if any run failed (-1).
errsum() { printf '%s\n' "$@" | awk '$1 < 0 {bad = 1} {s += $1} END {print bad ? -1 : s}'; }

# Start OUT/CURVE.tsv with its header: X's name, then the columns.
# usage: begin_curve CURVE XNAME OTHER
begin_curve() {
  printf '# %s\ttine_rps\ttine_p99_ms\t%s_rps\t%s_p99_ms\ttine_errors\t%s_errors\n' \
    "$2" "$3" "$3" "$3" >"$OUT/$1.tsv"
  echo "== $1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
}

# The measures: "rps p99_ms errors" of one run against PORT or URL with
# CONNS connections; the run's output is kept in WORK/TAG.out (.wrk).
# usage: line_measure PORT TAG [loadgen flags...]
line_measure() {
  local port=$1 tag=$2 r
  shift 2
  r=$(loadgen_result "$port" "$@")
  cp "$WORK/loadgen.out" "$WORK/$tag.out"
  echo "$(field rps "$r") $(awk -v u="$(field p99_us "$r")" 'BEGIN {print u / 1000}') $(field errors "$r")"
}
newconn_measure() { line_measure "$1" "$2" --new-conn; }
http_measure() { wrk_result "$1" "$2"; }

# Start the floor (accepting by load, as tine does) and tine's line echo
# with N workers / children each.
start_line_pair() {
  start_floor "$1" "${FLOOR_AS_TINE[@]}"
  TINE_PORT=$(free_port)
  start_tine "$1" "tine-$1" "$ECHO_SCRIPT" --port "$TINE_PORT" --start-server "$1" --max-server "$1"
}

curve_conns() {
  begin_curve conns connections floor
  start_line_pair 2
  local x
  for x in "${POINTS[@]}"; do
    CONNS=$x point conns "$x" line_measure "$TINE_PORT" floor "$FLOOR_PORT"
  done
  stop_pid "$TINE_PID"
  stop_pid "$FLOOR_PID"
}

# The children and newconn curves share each pair of servers.
curve_children() {
  wants children && begin_curve children children floor
  wants newconn && begin_curve newconn children floor
  local n
  for n in "${CHILDREN_POINTS[@]}"; do
    start_line_pair "$n"
    if wants children; then
      CONNS=$CHILDREN_CONNS point children "$n" line_measure "$TINE_PORT" floor "$FLOOR_PORT"
    fi
    if wants newconn; then
      CONNS=$NEWCONN_CONNS point newconn "$n" newconn_measure "$TINE_PORT" floor "$FLOOR_PORT"
    fi
    stop_pid "$TINE_PID"
    stop_pid "$FLOOR_PID"
  done
}

curve_http() {
  begin_curve http connections nginx
  start_nginx 2 $((MOST + 1024))
  TINE_PORT=$(free_port)
  start_tine 2 tine-http "$HTTP_SCRIPT" --port "$TINE_PORT" --start-server 2 --max-server 2
  local why x
  why=$(wait_http "$TINE_PORT" "$TINE_PID") || { echo "tine does not answer HTTP: $why" >&2; exit 1; }
  for x in "${POINTS[@]}"; do
    CONNS=$x point http "$x" http_measure "http://127.0.0.1:$TINE_PORT/hello" \
      nginx "http://127.0.0.1:$NGINX_PORT/hello"
  done
  stop_pid "$TINE_PID"
  stop_pid "$NGINX_PID"
}

# The table of OUT/CURVE.tsv, also kept as OUT/CURVE.txt.
# usage: table CURVE TITLE
table() {
  local other
  other=$(head -1 "$OUT/$1.tsv" | cut -f4 | sed 's/_rps$//')
  {
    echo "$2"
    echo
    awk -F'\t' -v o="$other" '
      NR == 1 { sub(/^# /, "", $1)
                printf "| %s | tine req/s | %s req/s | tine/%s | tine p99 ms | %s p99 ms | errors tine / %s |\n|--:|--:|--:|--:|--:|--:|---|\n", $1, o, o, o, o; next }
      { printf "| %s | %s | %s | %.2f | %.2f | %.2f | %s / %s |\n", $1, $2, $4, ($4 > 0 ? $2 / $4 : 0), $3, $5, $6, $7 }' "$OUT/$1.tsv"
    echo
  } | tee "$OUT/$1.txt"
}

# Throughput at the largest x over that at the smallest, per side.
# usage: ratio CURVE
ratio() {
  awk -F'\t' -v c="$1" -v other="$(head -1 "$OUT/$1.tsv" | cut -f4 | sed 's/_rps$//')" '
    NR == 2 { x0 = $1; t0 = $2; o0 = $4 }
    NR > 1 { x1 = $1; t1 = $2; o1 = $4 }
    END { printf "%s: req/s at %s connections / at %s: tine %.2f, %s %.2f\n",
          c, x1, x0, (t0 > 0 ? t1 / t0 : 0), other, (o0 > 0 ? o1 / o0 : 0) }' "$OUT/$1.tsv"
}

wants conns && curve_conns
if wants children || wants newconn; then curve_children; fi
wants http && curve_http
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
wants conns && table conns "Line echo, 2 children / 2 workers, persistent connections:"
wants children && table children "Line echo, $CHILDREN_CONNS persistent connections, children / workers:"
wants newconn && table newconn "Line echo, a new connection per request, $NEWCONN_CONNS at once, children / workers:"
wants http && table http "HTTP keep-alive GET /hello, 2 workers each, wrk -t$THREADS, connections:"
for c in conns http; do
  if wants "$c"; then ratio "$c"; fi
done
