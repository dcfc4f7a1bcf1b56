#!/bin/sh
# The master's memory across child recycles: children recycle themselves
# from a timer right after they start, and the master's memory is read
# (1) as VmRSS / VmData from /proc without valgrind, at 10, 100 and N
# recycles, and (2) under valgrind memcheck, as the master's heap in use at
# exit after 10 and after N recycles (flat: the same figure).
# usage: tests/bench/master-memory.sh BUILD_DIR [N]    (default N 1000)
set -e
build=$(cd "${1:-build}" && pwd)
n=${2:-1000}
work=$(mktemp -d)
master=""
trap '[ -n "$master" ] && kill -QUIT $master 2>/dev/null; rm -rf "$work"' EXIT
port=$(luajit -e 'local s=require"socket".bind("127.0.0.1",0) local _,p=s:getsockname() print(p) s:close()')
cat > "$work/recycler.lua" <<LUA
Port = $port
StartServer = 2
MaxServer = 4
MasterHeartBeatTime = 1
function ChildStart()
  local f = io.open("$work/starts", "a")   -- one line per child started
  f:write(tine.pid, "\\n")
  f:close()
  tine.timer(0.01, function() tine.recycle() end)
end
function ClientInput() end
LUA

# Children started since the counter was last reset, less the first two:
# the recycles so far (the log cuts floods of like lines, so it cannot count).
recycles() { echo $(( $(cat "$work/starts" 2>/dev/null | wc -l) - 2 )); }

# Wait until at least $2 recycles (bounded: 20 minutes); $1 is unused.
wait_recycles() {
  i=0
  while [ "$(recycles "$1")" -lt "$2" ] && [ $i -lt 12000 ]; do
    sleep 0.1; i=$((i + 1))
  done
}

echo "== without valgrind: the master's VmRSS and VmData"
rm -f "$work/starts"
"$build/tine" "$work/recycler.lua" >"$work/plain.log" 2>&1 &
master=$!
for at in 10 100 "$n"; do
  wait_recycles "$work/plain.log" "$at"
  printf "after %5s recycles: %s %s\n" "$(recycles "$work/plain.log")" \
    "$(grep VmRSS /proc/$master/status | tr -s ' \t' ' ')" \
    "$(grep VmData /proc/$master/status | tr -s ' \t' ' ')"
done
kill -TERM $master; wait $master || true; master=""

echo "== under valgrind: the master's heap in use at exit"
for at in 10 "$n"; do
  rm -f "$work/starts"
  valgrind --tool=memcheck --leak-check=full --log-file="$work/vg.%p" \
    "$build/tine" "$work/recycler.lua" >"$work/vg-$at.log" 2>&1 &
  master=$!
  wait_recycles "$work/vg-$at.log" "$at"
  kill -TERM $master; wait $master || true
  printf "after %5s recycles: " "$(recycles "$work/vg-$at.log")"
  grep -h -E "in use at exit|definitely lost" "$work/vg.$master" | sed 's/^==[0-9]*== *//' | tr '\n' ' '
  echo
  master=""
done
