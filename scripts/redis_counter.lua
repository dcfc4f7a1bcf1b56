-- redis_counter.lua: named counters kept in redis, one line per command.
-- Each command waits on redis without blocking its child: while one
-- client's request is on its way to redis, the child serves the others.
--
--   $ redis-server --port 6379 &
--   $ ./build/tine scripts/redis_counter.lua
--   $ nc 127.0.0.1 10001
--   incr visits          ->  visits = 1
--   incr visits          ->  visits = 2
--   get visits           ->  visits = 2
--
-- It talks to redis with tine.tcp(), OpenResty's cosocket API, and keeps
-- its connections in the child's keep-alive pool. The same code runs with
-- Debian's lua-resty-redis (`require "nginx.redis"`, after
-- `ngx = require "tine.ngx"`).
Port = 10001
StartServer = 2

REDIS_HOST = os.getenv("REDIS_HOST") or "127.0.0.1"
REDIS_PORT = tonumber(os.getenv("REDIS_PORT") or "6379")

-- Send one command (a list of words) in redis's protocol and read its
-- reply: an integer, a string, nil for a missing key; or nil, err.
local function redis(...)
  local sock = tine.tcp()
  sock:settimeout(1000)
  local ok, err = sock:connect(REDIS_HOST, REDIS_PORT)
  if not ok then return nil, "redis: " .. err end
  local words = {...}
  local request = {"*", #words, "\r\n"}
  for _, w in ipairs(words) do
    w = tostring(w)
    request[#request + 1] = {"$", #w, "\r\n", w, "\r\n"}
  end
  local _, send_err = sock:send(request)
  if send_err then return nil, "redis: " .. send_err end
  local line, read_err = sock:receive("*l")
  if not line then return nil, "redis: " .. read_err end
  local kind, rest = line:sub(1, 1), line:sub(2)
  local value
  if kind == ":" then
    value = tonumber(rest)
  elseif kind == "$" then
    if tonumber(rest) >= 0 then value = sock:receive(tonumber(rest) + 2):sub(1, -3) end
  elseif kind == "-" then
    sock:close()
    return nil, "redis: " .. rest
  else
    value = rest
  end
  sock:setkeepalive(30000, 16)
  return value
end

function ClientConnected(client)
  client:write("counters: incr NAME | get NAME | quit\r\n")
end

function ClientInput(client, line)
  local cmd, name = line:match("^(%a+)%s+([%w_.:-]+)$")
  if line == "quit" then return client:close() end
  if cmd ~= "incr" and cmd ~= "get" then
    return client:write("? incr NAME | get NAME | quit\r\n")
  end
  local value, err = redis(cmd == "incr" and "INCR" or "GET", "counter:" .. name)
  if err then return client:write("! ", err, "\r\n") end
  client:write(name, " = ", tostring(value or 0), "\r\n")
end
