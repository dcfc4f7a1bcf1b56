-- echo_bench.lua: the script tine's benchmarks run (tests/bench/run.sh,
-- reload.sh, profile.sh). Each line comes back exactly as it was sent; no
-- greeting. Port and StartServer come from flags (--port, --start-server).
--
-- When TINE_BENCH_READY_FILE is set (reload.sh sets it), each child
-- appends "ready <pid> <unix time in microseconds>" to it once it is
-- serving: the master's log cannot be counted on for that, as it drops
-- floods of lines of one shape.
local ready_file = os.getenv("TINE_BENCH_READY_FILE")

if ready_file then
  local ffi = require "ffi"
  ffi.cdef [[
  struct bench_timeval { long tv_sec; long tv_usec; };
  int gettimeofday(struct bench_timeval *tv, void *tz);
  ]]
  function ChildStart()
    tine.timer(0, function()  -- runs once the child is in its loop
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
end

function ClientInput(client, line)
  client:write(line, "\n")
end
