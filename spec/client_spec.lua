-- Clients against the running binary: errors stay with one connection,
-- framing limits, the client object, filters and listener kinds.
local T = require "spec.helpers.server"
local socket = require "socket"

local SCRIPT = [[
StartServer = 1
MaxServer = 1
MaxLineLength = 16
function ClientConnected(c) c:write("hi ", c.id, "\n") end
function ClientInput(c, line)
  if line == "boom" then error("boom on purpose") end
  if line == "who" then
    c:write(c.remote_ip, " ", c.remote_port, " ", c.local_port, "\n")
  elseif line:match("^set ") then
    c.name = line:sub(5)
    c:write("ok\n")
  elseif line == "get" then
    c:write(tostring(c.name), "\n")
  elseif line == "multi" then
    c:write("a", 1, "b", 2.5, "\n")
  elseif line == "big" then
    c:write(string.rep("x", 5000), "\n")  -- over 4 KiB: given back once sent
  elseif line == "empty" then
    c:write(""); c:write("", ""); c:write("", "", "")
    c:write("after empty\n")
  elseif line == "badwrite" then
    c:write({})
  elseif line == "close" then
    c:write("closing\n"); c:close()
    local ok, err = c:write("late")
    tine.log("info", "write after close: " .. tostring(ok) .. " " .. tostring(err))
  elseif line == "later" then
    tine.timer(0.05, function() c:write("timer fired\n") end)
  elseif line == "nap" then
    c:pause()
    tine.timer(0.2, function() c:resume() end)
  elseif line == "count" then
    c:write(tine.connections(), "\n")
  else
    c:write("echo ", line, "\n")
  end
end
function ClientError(c, message) tine.log("warn", "ClientError: " .. message) end
function ClientDisconnected(c, reason) tine.log("info", "gone " .. c.id .. " " .. reason) end
]]

local function greeted(server)
  local c = server:connect()
  assert.truthy(assert(c:receive("*l")):find("^hi "))
  return c
end

describe("a client", function()
  local server
  before_each(function() server = T.start{script = SCRIPT, children = 1} end)
  after_each(function() T.stop_all() end)

  it("with a Lua error is closed, its siblings and the child carry on", function()
    local pid = server:children()[1]
    local sibling = greeted(server)
    local c = greeted(server)
    c:send("boom\n")
    local _, err = c:receive("*l")
    assert.equal("closed", err)
    sibling:send("still\n")
    assert.equal("echo still", sibling:receive("*l"))
    assert.same({pid}, server:children())
    local log = server:log_text()
    assert.truthy(log:find("ClientInput failed for client %d+: [^\n]*server%.lua:%d+: boom on purpose"), log)
    assert.truthy(log:find("stack traceback"), log)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("gone %d+ script error") end, 2))
  end)

  it("with an over-long line gets ClientError and is closed; the child survives",
     function()
    local pid = server:children()[1]
    local sibling = greeted(server)
    local c = greeted(server)
    c:send(string.rep("x", 100) .. "\n")
    local _, err = c:receive("*l")
    assert.equal("closed", err)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("ClientError: line longer than MaxLineLength %(16 bytes%)")
    end, 2))
    sibling:send("fine\n")
    assert.equal("echo fine", sibling:receive("*l"))
    assert.same({pid}, server:children())
  end)

  it("with an over-long line and no newline yet is closed too", function()
    local c = greeted(server)
    c:send(string.rep("y", 40))
    local _, err = c:receive("*l")
    assert.equal("closed", err)
  end)

  it("may send a line of exactly MaxLineLength, in pieces", function()
    local c = greeted(server)
    c:send("0123456")
    socket.sleep(0.05)
    c:send("789abcdef\r")
    socket.sleep(0.05)
    c:send("\n")
    assert.equal("echo 0123456789abcdef", c:receive("*l"))
  end)

  it("knows its peer and our port", function()
    local c = greeted(server)
    c:send("who\n")
    local ip, rport, lport = c:receive("*l"):match("^(%S+) (%d+) (%d+)$")
    local _, my_port = c:getsockname()
    assert.equal("127.0.0.1", ip)
    assert.equal(tonumber(my_port), tonumber(rport))
    assert.equal(server.port, tonumber(lport))
  end)

  it("keeps the script's own fields for the connection's life", function()
    local c = greeted(server)
    c:send("set bob\nget\n")
    assert.equal("ok", c:receive("*l"))
    assert.equal("bob", c:receive("*l"))
    local other = greeted(server)
    other:send("get\n")
    assert.equal("nil", other:receive("*l"))
  end)

  it("write takes strings and numbers in order, and refuses a table", function()
    local c = greeted(server)
    c:send("multi\n")
    assert.equal("a1b2.5", c:receive("*l"))
    c:send("badwrite\n")
    local _, err = c:receive("*l")
    assert.equal("closed", err)
    assert.truthy(server:log_text():find("string expected, got table"))
  end)

  it("takes an empty write as nothing written, with or without an output buffer", function()
    local c = greeted(server)
    c:send("big\n")
    assert.equal(5000, #c:receive("*l"))
    c:send("empty\n")
    assert.equal("after empty", c:receive("*l"))
    c:send("who\n")
    assert.truthy(c:receive("*l"))
    assert.falsy(server:log_text():find("ClientError", 1, true))
  end)

  it("close sends what is queued first; write then answers nil, closed", function()
    local c = greeted(server)
    c:send("close\n")
    assert.equal("closing", c:receive("*l"))
    local _, err = c:receive("*l")
    assert.equal("closed", err)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("write after close: nil closed") end, 2))
    assert.truthy(T.wait_until(function()
      return server:log_text():find("gone %d+ closed") end, 2))
  end)

  it("hears from timers, and tine.connections counts open connections", function()
    local a = greeted(server)
    local b = greeted(server)
    b:send("later\n")
    assert.equal("timer fired", b:receive("*l"))
    a:send("count\n")
    assert.equal("2", a:receive("*l"))
  end)

  it("paused by the script gets its lines later, even after half-closing", function()
    local c = greeted(server)
    c:send("nap\nfirst\nsecond\n")
    c:shutdown("send")
    assert.equal("echo first", c:receive("*l"))
    assert.equal("echo second", c:receive("*l"))
    local _, err = c:receive("*l")
    assert.equal("closed", err)
  end)

  it("that leaves is reported to ClientDisconnected as eof", function()
    local c = greeted(server)
    c:close()
    assert.truthy(T.wait_until(function()
      return server:log_text():find("gone %d+ eof") end, 2))
  end)
end)

describe("Filter = \"stream\"", function()
  after_each(function() T.stop_all() end)

  it("hands bytes over as they arrive, newlines and all", function()
    local server = T.start{script = [[
StartServer = 1
Filter = "stream"
function ClientInput(c, data) c:write("[", #data, "]") end
]], children = 1}
    local c = server:connect()
    c:send("ab\ncd")
    assert.equal("[5]", c:receive(3))
  end)
end)

describe("listeners", function()
  after_each(function() T.stop_all() end)

  it("serve on a unix socket and on IPv6 loopback besides Port", function()
    local dir = T.tmpdir()
    local path = dir .. "/t.sock"
    local v6port = T.free_port()
    local server = T.start{script = ([[
StartServer = 1
Listen = { "unix:%s", "[::1]:%d" }
function ClientConnected(c) c:write("hi ", c.remote_ip, " ", c.local_port, "\n") end
function ClientInput(c, line) end
]]):format(path, v6port), children = 1}
    local v4 = server:connect()
    assert.equal("hi 127.0.0.1 " .. server.port, v4:receive("*l"))
    local v6 = assert(socket.tcp6())
    v6:settimeout(5)
    assert(v6:connect("::1", v6port))
    assert.equal("hi ::1 " .. v6port, v6:receive("*l"))
    local unix = require("socket.unix")
    local u = assert(unix())
    u:settimeout(5)
    assert(u:connect(path))
    assert.equal("hi unix 0", u:receive("*l"))
    u:close()
    v4:close()
    v6:close()
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(10))
    assert.is_nil(T.read_file(path))   -- the socket file is removed at exit
  end)
end)
