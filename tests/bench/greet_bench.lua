-- greet_bench.lua: the script tests/bench/memory.sh runs. Each client is
-- greeted with one line on connect and its lines are echoed back. With
-- TINE_BENCH_READY_FILE set, children note when they are ready (ready.lua).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "ready.lua")

function ClientConnected(client)
  client:write("hello\n")
end

function ClientInput(client, line)
  client:write(line, "\n")
end
