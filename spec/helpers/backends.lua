-- Real servers for the specs that talk to other servers, on loopback:
-- redis-server, HAProxy, a listener that accepts and never answers, and a
-- port that refuses. Each is stopped by stop_all().
local socket = require "socket"
local T = require "spec.helpers.server"

local M = {}
local running = {}

-- Start redis-server on a free port without persistence; wait (bounded)
-- until it answers PING. Returns {port = ..., pid = ...}.
function M.redis()
  local port, dir = T.free_port(), T.tmpdir()
  T.sh(("cd %s && redis-server --port %d --bind 127.0.0.1 --save '' "
        .. "--appendonly no --daemonize no >%s/redis.log 2>&1 & echo $! > %s/pid")
       :format(dir, port, dir, dir))
  local pid = tonumber(T.read_file(dir .. "/pid"))
  local up = T.wait_until(function()
    local c = socket.connect("127.0.0.1", port)
    if not c then return false end
    c:settimeout(1)
    c:send("PING\r\n")
    local line = c:receive("*l")
    c:close()
    return line == "+PONG"
  end, 10)
  assert(up, "redis-server did not start: " .. (T.read_file(dir .. "/redis.log") or ""))
  local r = {port = port, pid = pid, dir = dir}
  running[#running + 1] = r
  return r
end

-- Run one redis command (inline form) and return its reply line.
function M.redis_command(r, command)
  local c = assert(socket.connect("127.0.0.1", r.port))
  c:settimeout(5)
  c:send(command .. "\r\n")
  local line = c:receive("*l")
  c:close()
  return line
end

-- The number of clients redis-server has connected now.
function M.redis_clients(r)
  local c = assert(socket.connect("127.0.0.1", r.port))
  c:settimeout(5)
  c:send("INFO clients\r\n")
  local header = c:receive("*l")
  local body = c:receive(tonumber(header:match("%d+")) + 2)
  c:close()
  return tonumber(body:match("connected_clients:(%d+)")) - 1  -- not this one
end

-- A listener that accepts nobody and answers nothing: connections to it
-- wait in its queue. Returns its port and the socket (kept open).
function M.silent()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  running[#running + 1] = {sock = s}
  return tonumber(port), s
end

-- Start the fake nameserver (spec/helpers/fake_dns.lua) for `names`, for
-- at most 60 s; its "127.0.0.1:port", for the Resolver setting.
function M.fake_dns(names)
  local port, dir = T.free_port(), T.tmpdir()
  T.sh(("luajit %s/spec/helpers/fake_dns.lua %d 60 %s >%s/dns.log 2>&1 & echo $! > %s/pid")
       :format(T.source_dir, port, table.concat(names, " "), dir, dir))
  local pid = tonumber(T.read_file(dir .. "/pid"))
  running[#running + 1] = {pid = pid, dir = dir}
  socket.sleep(0.2)  -- bound; a query before it listens is retried by evdns
  return "127.0.0.1:" .. port
end

-- A port nobody listens on.
function M.refusing() return T.free_port() end

-- Start HAProxy (foreground) with config text, where @PORT@ stands for
-- the free port it listens on; wait (bounded) until that port accepts.
-- Returns {port = ..., pid = ...}.
function M.haproxy(config)
  local port, dir = T.free_port(), T.tmpdir()
  T.write_file(dir .. "/haproxy.cfg", (config:gsub("@PORT@", tostring(port))))
  T.sh(("haproxy -db -f %s/haproxy.cfg >%s/haproxy.log 2>&1 & echo $! > %s/pid")
       :format(dir, dir, dir))
  local pid = tonumber(T.read_file(dir .. "/pid"))
  local up = T.wait_until(function()
    local c = socket.connect("127.0.0.1", port)
    if c then c:close() end
    return c ~= nil
  end, 10)
  assert(up, "haproxy did not start: " .. (T.read_file(dir .. "/haproxy.log") or ""))
  local r = {port = port, pid = pid, dir = dir}
  running[#running + 1] = r
  return r
end

function M.stop_all()
  for _, r in ipairs(running) do
    if r.pid then T.signal(r.pid, "KILL") end
    if r.sock then r.sock:close() end
    if r.dir then os.execute("rm -rf " .. r.dir) end
  end
  running = {}
end

return M
