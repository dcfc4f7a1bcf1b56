-- redis_echo_blocking.lua: the same as redis_echo_async.lua through a
-- plain blocking socket (luasocket), one connection per child: the child
-- waits for every PING and serves nobody meanwhile.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "ready.lua")
local socket = require "socket"
local port = tonumber(os.getenv("REDIS_PORT"))
-- REDIS_WAIT_MS set: BLPOP on an empty list for that long instead of PING,
-- a backend that takes that long to answer while redis itself stays free.
local wait_ms = tonumber(os.getenv("REDIS_WAIT_MS") or "")
local request = wait_ms and ("BLPOP tine-bench-empty %.3f\r\n"):format(wait_ms / 1000)
                or "PING\r\n"
local reply = wait_ms and "*-1" or "+PONG"
local sock

function ClientInput(client, line)
  if not sock then sock = assert(socket.connect("127.0.0.1", port)) end
  sock:send(request)
  assert(sock:receive() == reply)
  client:write(line, "\n")
end
