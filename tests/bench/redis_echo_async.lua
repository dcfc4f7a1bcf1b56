-- redis_echo_async.lua: each line makes one round trip to redis
-- through tine.tcp() with keep-alive, then comes back as it was sent. The
-- child serves its other connections while a PING is on its way.
-- REDIS_PORT from the environment; Port and StartServer from flags.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "ready.lua")
local port = tonumber(os.getenv("REDIS_PORT"))
-- REDIS_WAIT_MS set: BLPOP on an empty list for that long instead of PING,
-- a backend that takes that long to answer while redis itself stays free.
local wait_ms = tonumber(os.getenv("REDIS_WAIT_MS") or "")
local request = wait_ms and ("BLPOP tine-bench-empty %.3f\r\n"):format(wait_ms / 1000)
                or "PING\r\n"
local reply = wait_ms and "*-1" or "+PONG"

function ClientInput(client, line)
  local sock = tine.tcp()
  assert(sock:connect("127.0.0.1", port))
  sock:send(request)
  assert(sock:receive() == reply)
  sock:setkeepalive(60000, 64)
  client:write(line, "\n")
end
