#!/usr/bin/env bash
# profile.sh: where a tine child spends its instructions and system calls
# on the echo path.
#
#   tests/bench/profile.sh [BUILD_DIR]    (or BUILD_DIR=...; default: build/ in the checkout)
#
# 1. callgrind: tine (echo_bench.lua, StartServer 1, MaxServer 1) runs
#    under valgrind --tool=callgrind with collection only inside
#    event_base_loop (so start-up and teardown are left out; the fork
#    follows into the child, whose profile is its own file). loadgen sends
#    exactly REQUESTS requests on 50 persistent connections, then tine is
#    stopped; Ir of the child / REQUESTS = instructions per request. The
#    same again with --new-conn and NEWCONN_REQUESTS requests (connect,
#    one line, close): instructions per connection.
# 2. strace -c on the one child (not under valgrind) for STRACE_REQUESTS
#    persistent requests, and on a one-worker floor: system calls per
#    request.
# perf is used only if hardware counters work (`perf stat -e instructions
# true`); on this kind of VM they usually do not.
#
# Environment: REQUESTS (100000), NEWCONN_REQUESTS (20000),
# STRACE_REQUESTS (20000), TOP (15): functions listed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REQUESTS=${REQUESTS:-100000}
NEWCONN_REQUESTS=${NEWCONN_REQUESTS:-20000}
STRACE_REQUESTS=${STRACE_REQUESTS:-20000}
TOP=${TOP:-15}
# functions listed by name in the inclusive breakdown
FOCUS='on_accept|conn_open|api_client_new|describe_peer|inet_ntop|bufferevent_socket_new|on_read|deliver_lines|framing_next_line|evbuffer_pullup|evbuffer_drain|host_client_call|host_pcall|lua_pcall|lua_getfield|lua_pushlstring|client_write|check_client|conn_write|evbuffer_add|evbuffer_invoke_callbacks_|bufferevent_add_event_|on_write|evbuffer_write_atmost|evbuffer_read|event_add|event_del|on_event|conn_finish|bufferevent_free|api_client_detach|child_conn_opened|child_conn_closed|clock_now|malloc|free|calloc'

print_machine
if perf stat -e instructions true 2>&1 | grep -q 'not supported'; then
  echo "perf: hardware counters not supported here; callgrind only"
else
  echo "perf: hardware counters available (not used by this script)"
fi
echo

# callgrind_profile NAME N [loadgen flags...]
callgrind_profile() {
  local name=$1 n=$2 port i
  shift 2
  port=$(free_port)
  local out=$WORK/cg-$name
  mkdir -p "$out"
  valgrind --tool=callgrind --smc-check=all-non-file \
    --toggle-collect=event_base_loop \
    --callgrind-out-file="$out/callgrind.out.%p" \
    "$TINE" "$ECHO_SCRIPT" --port "$port" --start-server 1 --max-server 1 \
    --log-level debug >"$out/tine.log" 2>&1 &
  local vg=$!
  STARTED_PIDS+=("$vg")
  for i in $(seq 300); do
    grep -q ' ready$' "$out/tine.log" && break
    sleep 0.1
  done
  local child
  child=$(children_of "$vg" | head -1)
  timeout 900 "$LOADGEN" --port "$port" --requests "$n" --duration 800 \
    --expect-echo "$@" >"$out/loadgen.out" 2>&1 || true
  stop_pid "$vg"
  local file=$out/callgrind.out.$child
  local ir served
  ir=$(cg_total "$file")
  served=$(field requests "$(grep '^RESULT' "$out/loadgen.out")")
  echo "== callgrind, $name: child $child, $served requests ($(grep -o 'errors=[0-9]*' "$out/loadgen.out")), Ir in the loop $ir"
  awk -v ir="$ir" -v n="$served" 'BEGIN {printf "   instructions per request: %.0f\n", ir / n}'
  echo "   self cost by object:"
  callgrind_annotate --threshold=100 "$file" 2>/dev/null |
    awk -v ir="$ir" -v n="$served" '/^ *[0-9,]+ \(/ && /\[/ {
        v = $1; gsub(",", "", v); o = $NF; gsub(/[\[\]]/, "", o); sub(/.*\//, "", o); s[o] += v }
      END {for (o in s) printf "     %-28s %6.0f Ir/request %5.1f%%\n", o, s[o] / n, 100 * s[o] / ir}' |
    sort -k2 -n -r
  echo "   top $TOP functions by self cost (Ir per request, share):"
  callgrind_annotate "$file" 2>/dev/null |
    awk -v n="$served" -v top="$TOP" '/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ && c < top {
        v = $1; gsub(",", "", v); $1 = ""; printf "     %7.0f %s\n", v / n, $0; c++ }'
  echo "   top $TOP functions by inclusive cost, below event_base_loop (Ir per request, share):"
  callgrind_annotate --inclusive=yes "$file" 2>/dev/null |
    awk -v n="$served" -v top="$TOP" '/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ && !/\(100.0%\)/ && c < top {
        v = $1; gsub(",", "", v); $1 = ""; printf "     %7.0f %s\n", v / n, $0; c++ }'
  echo "   tine's own functions and the library calls they make (inclusive, Ir per request):"
  callgrind_annotate --inclusive=yes --threshold=100 "$file" 2>/dev/null |
    awk -v n="$served" -v re="$FOCUS" '/^ *[0-9,]+ \(/ {
        f = $(NF - 1); sub(/^[^:]*:/, "", f)
        if (f ~ ("^(" re ")$")) { v = $1; gsub(",", "", v); printf "     %7.0f  %s\n", v / n, f } }'
  cp "$file" "/tmp/tine-callgrind-$name.out"
  echo "   (profile kept as /tmp/tine-callgrind-$name.out for callgrind_annotate)"
  echo
}

callgrind_profile persistent "$REQUESTS"
callgrind_profile new-conn "$NEWCONN_REQUESTS" --new-conn

# strace_count NAME PID PORT: syscalls of PID while loadgen sends
# STRACE_REQUESTS persistent requests.
strace_count() {
  local name=$1 pid=$2 port=$3 i
  strace -c -f -p "$pid" -o "$WORK/strace-$name.txt" 2>/dev/null &
  local st=$!
  STARTED_PIDS+=("$st")
  sleep 0.5
  timeout 120 "$LOADGEN" --port "$port" --requests "$STRACE_REQUESTS" \
    --duration 100 --expect-echo >"$WORK/strace-$name.lg" 2>&1 || true
  kill -INT "$st" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$st" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$st"
  local served
  served=$(field requests "$(grep '^RESULT' "$WORK/strace-$name.lg")")
  echo "== system calls per request, $name ($served requests, 50 persistent connections):"
  # rows: % time, seconds, usecs/call, calls, [errors], syscall
  awk -v n="$served" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
      calls = $4; errs = (NF == 6) ? $5 : 0
      note = (errs > 0) ? sprintf(" (%d failed)", errs) : ""
      printf "     %-16s %6.2f per request%s\n", $NF, calls / n, note }' "$WORK/strace-$name.txt"
}

port=$(free_port)
start_tine 1 strace "$ECHO_SCRIPT" --port "$port" --start-server 1 --max-server 1
strace_count tine "$(children_of "$TINE_PID" | head -1)" "$port"
stop_pid "$TINE_PID"
start_floor 1
strace_count floor "$(children_of "$FLOOR_PID" | head -1)" "$FLOOR_PORT"
stop_pid "$FLOOR_PID"
