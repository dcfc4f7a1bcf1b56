#!/usr/bin/env bash
# memory.sh: a child's memory, idle and with 10,000 idle connections, and
# how fast children start.
#
#   tests/bench/memory.sh [BUILD_DIR]     (or BUILD_DIR=...; default: build/ in the checkout)
#
# 1. Idle child: Private_Dirty (/proc/<child>/smaps_rollup) of each child
#    of tine echo_bench.lua (StartServer 2, MaxServer 2), fresh, and again
#    idle after 2 s of load. Target <= 2 MiB.
# 2. 10,000 idle connections on one child (greet_bench.lua: one greeting
#    line per client; StartServer 1, MaxServer 1): loadgen --hold 10000
#    --greeting; Private_Dirty growth per connection; every client must be
#    greeted and none may fail. Target <= 3 KiB per connection.
# 3. Start-up: StartServer 32 (MaxServer 32), from the master's "tine master
#    N serving" line (logged just before the first fork) to the last child
#    ready. Target <= 200 ms. STARTUP_ROUNDS rounds (3).
# 4. Replacement: kill -9 a child of a pool of 2; from the kill to the new
#    child ready. Target <= 50 ms. REPLACE_ROUNDS isolated kills (3), each
#    of a child that has lived STABLE_AGE s (10.5), then RAPID_KILLS (3)
#    kills 0.5 s apart, which tine's crash-loop back-off delays.
#
# "Ready" is taken from the child: greet_bench.lua appends "ready PID
# MICROSECONDS" to $TINE_BENCH_READY_FILE from a zero-delay timer armed in
# ChildStart, which first runs once the child has sent READY and entered
# its loop. The master's debug "child N ready" lines are counted too, but
# its log flood filter drops all but LOG_BURST lines of one shape in a row.
#
# Environment: HOLD (10000), STARTUP_ROUNDS (3), REPLACE_ROUNDS (3),
# STABLE_AGE (10.5), RAPID_KILLS (3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HOLD=${HOLD:-10000}
STARTUP_ROUNDS=${STARTUP_ROUNDS:-3}
REPLACE_ROUNDS=${REPLACE_ROUNDS:-3}
GREET_SCRIPT=$BENCH_DIR/greet_bench.lua
READY_FILE=$WORK/ready.txt
export TINE_BENCH_READY_FILE=$READY_FILE

# smaps_rollup field (kB) of a pid
smaps() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/smaps_rollup"; }
kib_to_mib() { awk -v k="$1" 'BEGIN {printf "%.2f", k / 1024}'; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# milliseconds since the epoch of a log line's "YYYY-mm-dd HH:MM:SS.mmm"
log_ms() { date -d "$(cut -c1-23 <<<"$1")" +%s%3N; }

print_machine
echo

# ---- 1. idle child ----------------------------------------------------
echo "== 1. idle child private memory (echo_bench.lua, StartServer 2)"
port=$(free_port)
start_tine 2 idle "$ECHO_SCRIPT" --port "$port" --start-server 2 --max-server 2
sleep 0.5
idle_max=0
for c in $(children_of "$TINE_PID"); do
  pd=$(smaps "$c" Private_Dirty)
  printf '  child %s fresh: Private_Dirty %s KiB (%s MiB), Rss %s KiB, Pss %s KiB\n' \
    "$c" "$pd" "$(kib_to_mib "$pd")" "$(smaps "$c" Rss)" "$(smaps "$c" Pss)"
  [ "$pd" -gt "$idle_max" ] && idle_max=$pd
done
printf '  master %s: Private_Dirty %s KiB, Rss %s KiB\n' "$TINE_PID" \
  "$(smaps "$TINE_PID" Private_Dirty)" "$(smaps "$TINE_PID" Rss)"
timeout 20 "$LOADGEN" --port "$port" --conns 50 --duration 2 --expect-echo >"$WORK/idle-load.out" 2>&1 || true
sleep 1
after_max=0
for c in $(children_of "$TINE_PID"); do
  pd=$(smaps "$c" Private_Dirty)
  printf '  child %s idle after 2 s of load (%s): Private_Dirty %s KiB (%s MiB)\n' \
    "$c" "$(grep -o 'requests=[0-9]*' "$WORK/idle-load.out")" "$pd" "$(kib_to_mib "$pd")"
  [ "$pd" -gt "$after_max" ] && after_max=$pd
done
stop_pid "$TINE_PID"

# ---- 2. 10,000 idle connections -----------------------------------------
echo
echo "== 2. one child holding $HOLD idle connections (greet_bench.lua, StartServer 1)"
port=$(free_port)
start_tine 1 hold "$GREET_SCRIPT" --port "$port" --start-server 1 --max-server 1
child=$(children_of "$TINE_PID" | head -1)
sleep 0.3
before=$(smaps "$child" Private_Dirty)
sock_before=$(awk '/^TCP:/ {print $NF}' /proc/net/sockstat)
"$LOADGEN" --port "$port" --hold "$HOLD" --greeting --duration 60 >"$WORK/hold.out" 2>&1 &
lg=$!
STARTED_PIDS+=("$lg")
for _ in $(seq 900); do  # up to 90 s to open them all
  grep -q '^HOLDING' "$WORK/hold.out" && break
  kill -0 "$lg" 2>/dev/null || break
  sleep 0.1
done
sleep 1
after=$(smaps "$child" Private_Dirty)
fds=$(find "/proc/$child/fd" -lname 'socket:*' | wc -l)
sock_after=$(awk '/^TCP:/ {print $NF}' /proc/net/sockstat)
stop_pid "$lg"
hold_res=$(grep '^RESULT' "$WORK/hold.out" || echo "RESULT held=0 greeted=0 errors=-1")
per_conn=$(awk -v a="$after" -v b="$before" -v n="$HOLD" 'BEGIN {printf "%.2f", (a - b) / n}')
kernel_per_conn=$(awk -v a="$sock_after" -v b="$sock_before" -v n="$HOLD" \
  'BEGIN {printf "%.2f", (a - b) * 4 / n}')
grep -E '^(HOLDING|hold:|  )' "$WORK/hold.out" | sed 's/^/  loadgen: /'
printf '  child %s: Private_Dirty %s KiB idle, %s KiB holding (%s sockets open): %s KiB per connection\n' \
  "$child" "$before" "$after" "$fds" "$per_conn"
printf '  kernel TCP buffer memory (/proc/net/sockstat, both ends): %s KiB per connection\n' \
  "$kernel_per_conn"
stop_pid "$TINE_PID"

# ---- 3. start-up of 32 children ----------------------------------------
echo
echo "== 3. StartServer 32: from \"serving\" to the last child ready"
startups=()
for r in $(seq "$STARTUP_ROUNDS"); do
  : >"$READY_FILE"
  port=$(free_port)
  t_launch=$(now_us)
  start_tine 1 "start32-$r" "$GREET_SCRIPT" --port "$port" --start-server 32 --max-server 32
  for _ in $(seq 200); do
    [ "$(wc -l <"$READY_FILE")" -ge 32 ] && break
    sleep 0.05
  done
  n_ready=$(wc -l <"$READY_FILE")
  serving_ms=$(log_ms "$(grep -m1 'serving' "$TINE_LOG")")
  last_us=$(awk '{print $3}' "$READY_FILE" | sort -n | tail -1)
  first_us=$(awk '{print $3}' "$READY_FILE" | sort -n | head -1)
  ms=$(awk -v l="$last_us" -v s="$serving_ms" 'BEGIN {printf "%.1f", l / 1000 - s}')
  startups+=("$ms")
  log_ready=$(grep -c ' ready$' "$TINE_LOG" || true)
  # CPU time the children have used (all of it start-up: they are idle)
  cpu_ms=$(for c in $(children_of "$TINE_PID"); do cat "/proc/$c/schedstat"; done |
           awk '{s += $1; n++} END {printf "%.2f", n ? s / n / 1e6 : 0}')
  printf '  round %d: %s/32 children ready; first %.1f ms, last %s ms after "serving" (%.1f ms after launch); %s ms CPU per child; master log shows %s of the 32 "child N ready" lines\n' \
    "$r" "$n_ready" "$(awk -v f="$first_us" -v s="$serving_ms" 'BEGIN {print f / 1000 - s}')" \
    "$ms" "$(awk -v l="$last_us" -v t="$t_launch" 'BEGIN {print (l - t) / 1000}')" "$cpu_ms" "$log_ready"
  stop_pid "$TINE_PID"
done

# ---- 4. replacement of a killed child -----------------------------------
# tine's crash-loop back-off counts failures in a row and forgets them
# only when the child that dies had lived POOL_STABLE_SECONDS (10 s): an
# isolated crash is a kill of a child older than that. So (a) kills the
# oldest child once it has lived STABLE_AGE s; (b) then kills RAPID_KILLS
# children 0.5 s apart, to show the back-off.
STABLE_AGE=${STABLE_AGE:-10.5}
RAPID_KILLS=${RAPID_KILLS:-3}
echo
echo "== 4. kill -9 a child (pool of 2): from the kill to its replacement ready"
: >"$READY_FILE"
port=$(free_port)
start_tine 2 replace "$GREET_SCRIPT" --port "$port" --start-server 2 --max-server 2
for _ in $(seq 100); do
  [ "$(wc -l <"$READY_FILE")" -ge 2 ] && break
  sleep 0.05
done

# kill_one VICTIM LABEL: kill it, wait (bounded) for a new ready line,
# print and return (in KILL_MS) the time from kill to ready.
kill_one() {
  local victim=$1 label=$2 lines t_kill new ready_us log_line log_ms_v=""
  lines=$(wc -l <"$READY_FILE")
  t_kill=$(now_us)
  kill -KILL "$victim"
  for _ in $(seq 1000); do
    [ "$(wc -l <"$READY_FILE")" -gt "$lines" ] && break
    sleep 0.01
  done
  new=$(tail -1 "$READY_FILE")
  ready_us=$(awk '{print $3}' <<<"$new")
  KILL_MS=$(awk -v r="$ready_us" -v k="$t_kill" 'BEGIN {printf "%.1f", (r - k) / 1000}')
  log_line=$(grep " child $(awk '{print $2}' <<<"$new") ready$" "$TINE_LOG" || true)
  [ -n "$log_line" ] && log_ms_v=$(awk -v l="$(log_ms "$log_line")" -v k="$t_kill" 'BEGIN {printf "%.0f", l - k / 1000}')
  printf '  %s: killed %s, replacement %s ready after %s ms (master log: %s ms)\n' \
    "$label" "$victim" "$(awk '{print $2}' <<<"$new")" "$KILL_MS" "${log_ms_v:-n/a}"
}

# the oldest live child of the pool and its ready time (us), from READY_FILE
oldest_child() {
  local c best="" best_us=""
  for c in $(children_of "$TINE_PID"); do
    local us
    us=$(awk -v p="$c" '$2 == p {print $3}' "$READY_FILE" | tail -1)
    [ -z "$us" ] && continue
    if [ -z "$best" ] || [ "$us" -lt "$best_us" ]; then best=$c; best_us=$us; fi
  done
  echo "$best $best_us"
}

replaces=()
for r in $(seq "$REPLACE_ROUNDS"); do
  read -r victim born <<<"$(oldest_child)"
  wait_s=$(awk -v b="$born" -v n="$(now_us)" -v a="$STABLE_AGE" 'BEGIN {w = a - (n - b) / 1e6; printf "%.2f", (w > 0 ? w : 0)}')
  sleep "$wait_s"
  kill_one "$victim" "isolated kill $r (child had lived >= $STABLE_AGE s)"
  replaces+=("$KILL_MS")
done
rapid=()
for r in $(seq "$RAPID_KILLS"); do
  sleep 0.5
  read -r victim born <<<"$(oldest_child)"
  kill_one "$victim" "rapid kill $r (0.5 s after the last)"
  rapid+=("$KILL_MS")
done
stop_pid "$TINE_PID"

# ---- summary -------------------------------------------------------------
verdict() { awk -v x="$1" -v t="$2" 'BEGIN {print (x <= t) ? "met" : "MISSED"}'; }
st_med=$(median "${startups[@]}")
st_max=$(printf '%s\n' "${startups[@]}" | sort -g | tail -1)
rp_med=$(median "${replaces[@]}")
rp_max=$(printf '%s\n' "${replaces[@]}" | sort -g | tail -1)
held=$(field held "$hold_res")
greeted=$(field greeted "$hold_res")
errs=$(field errors "$hold_res")
hold_ok=met
[ "$held" = "$HOLD" ] && [ "$greeted" = "$HOLD" ] && [ "$errs" = 0 ] || hold_ok=MISSED
echo
echo "| measure | figure | target | verdict |"
echo "|---|--:|--:|---|"
printf '| idle child Private_Dirty (fresh, worst child) | %s KiB (%s MiB) | <= 2 MiB | %s |\n' \
  "$idle_max" "$(kib_to_mib "$idle_max")" "$(verdict "$idle_max" 2048)"
printf '| idle child Private_Dirty (after load, worst child) | %s KiB (%s MiB) | <= 2 MiB | %s |\n' \
  "$after_max" "$(kib_to_mib "$after_max")" "$(verdict "$after_max" 2048)"
printf '| per idle connection, %s held | %s KiB | <= 3 KiB | %s |\n' \
  "$HOLD" "$per_conn" "$(verdict "$per_conn" 3)"
printf '| %s connections: held / greeted / errors | %s / %s / %s | all, all, 0 | %s |\n' \
  "$HOLD" "$held" "$greeted" "$errs" "$hold_ok"
printf '| StartServer 32 all ready (median, worst of %s) | %s ms, %s ms | <= 200 ms | %s |\n' \
  "$STARTUP_ROUNDS" "$st_med" "$st_max" "$(verdict "$st_med" 200)"
printf '| killed child replaced and ready, isolated kill (median, worst of %s) | %s ms, %s ms | <= 50 ms | %s |\n' \
  "$REPLACE_ROUNDS" "$rp_med" "$rp_max" "$(verdict "$rp_med" 50)"
printf '| killed child replaced and ready, kills 0.5 s apart | %s ms | (back-off) | - |\n' \
  "$(printf '%s, ' "${rapid[@]}" | sed 's/, $//')"
