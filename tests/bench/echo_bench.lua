-- echo_bench.lua: the script tine's benchmarks run (tests/bench/run.sh,
-- reload.sh, profile.sh). Each line comes back exactly as it was sent; no
-- greeting. Port and StartServer come from flags (--port, --start-server).
-- With TINE_BENCH_READY_FILE set, children note when they are ready
-- (ready.lua).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "ready.lua")

function ClientInput(client, line)
  client:write(line, "\n")
end
