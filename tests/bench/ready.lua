-- ready.lua: loaded by the benchmark scripts. When TINE_BENCH_READY_FILE is
-- set, defines a ChildStart that arms a zero-delay timer; the timer first
-- runs once the child has reported READY and entered its event loop with
-- accepting on, and appends "ready <pid> <unix time in microseconds>" to
-- the file: the moment a child is ready, seen from the child.
local ready_file = os.getenv("TINE_BENCH_READY_FILE")
if not ready_file then return end

local ffi = require "ffi"
ffi.cdef [[
struct bench_timeval { long tv_sec; long tv_usec; };
int gettimeofday(struct bench_timeval *tv, void *tz);
]]

function ChildStart()
  tine.timer(0, function()
    local tv = ffi.new("struct bench_timeval")
    ffi.C.gettimeofday(tv, nil)
    local f = io.open(ready_file, "a")
    if f then
      f:setvbuf("no")  -- no 4 KiB stdio buffer in the child being measured
      f:write(string.format("ready %d %d%06d\n", tine.pid,
                            tonumber(tv.tv_sec), tonumber(tv.tv_usec)))
      f:close()
    end
  end)
end
