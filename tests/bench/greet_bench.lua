-- greet_bench.lua: the script tests/bench/memory.sh runs. Each client is
-- greeted with one line on connect and its lines are echoed back.
--
-- When TINE_BENCH_READY_FILE is set, each child appends
-- "ready <pid> <unix time in microseconds>" to it from a zero-delay timer
-- armed in ChildStart: the timer first runs once the child has reported
-- READY and entered its event loop with accepting on, so the line marks
-- the child being ready, seen from the child. (memory.sh uses it beside
-- the master's debug "child N ready" lines.)
local ffi = require "ffi"
ffi.cdef [[
struct bench_timeval { long tv_sec; long tv_usec; };
int gettimeofday(struct bench_timeval *tv, void *tz);
]]

local ready_file = os.getenv("TINE_BENCH_READY_FILE")

function ChildStart()
  if not ready_file then return end
  tine.timer(0, function()
    local tv = ffi.new("struct bench_timeval")
    ffi.C.gettimeofday(tv, nil)
    local f = io.open(ready_file, "a")
    if f then
      f:write(string.format("ready %d %d%06d\n", tine.pid,
                            tonumber(tv.tv_sec), tonumber(tv.tv_usec)))
      f:close()
    end
  end)
end

function ClientConnected(client)
  client:write("hello\n")
end

function ClientInput(client, line)
  client:write(line, "\n")
end
