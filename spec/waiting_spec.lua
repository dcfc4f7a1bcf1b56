-- Callbacks that wait: tine.sleep, tine.tcp and tine.resolve suspend only
-- the callback; the child serves its other connections meanwhile.
local socket = require "socket"
local T = require "spec.helpers.server"
local B = require "spec.helpers.backends"

local function greeted(server)
  local c = server:connect()
  assert.equal("hi", c:receive("*l"))
  return c
end

local function ask(c, line)
  assert(c:send(line .. "\n"))
  return c:receive("*l")
end

describe("a callback that waits", function()
  after_each(function() T.stop_all(); B.stop_all() end)

  local SCRIPT = [[
StartServer = 1
MaxServer = 1
function ClientConnected(c) c:write("hi\n") end
function ClientInput(c, line)
  local cmd, arg = line:match("^(%S+)%s*(.*)$")
  if cmd == "sleep" then
    tine.sleep(tonumber(arg))
    c:write("woke ", arg, "\n")
  elseif cmd == "sleepfail" then
    tine.sleep(0.05)
    error("failed after a wait")
  elseif cmd == "leave" then
    tine.sleep(0.3)
    local ok, err = c:write("too late\n")
    tine.log("info", "write after leaving: " .. tostring(ok) .. " " .. tostring(err))
  else
    c:write("echo ", line, "\n")
  end
end
function ClientDisconnected(c, reason) tine.log("info", "disconnected " .. reason) end
]]

  it("does not hold up another connection of the same child", function()
    local server = T.start{script = SCRIPT, children = 1}
    local a, b = greeted(server), greeted(server)
    a:send("sleep 0.5\n")
    local t0 = socket.gettime()
    assert.equal("echo ping", ask(b, "ping"))
    assert.is_true(socket.gettime() - t0 < 0.4)
    assert.equal("woke 0.5", a:receive("*l"))
    assert.same(1, #server:children())
  end)

  it("keeps the connection's input in order", function()
    local server = T.start{script = SCRIPT, children = 1}
    local a = greeted(server)
    a:send("sleep 0.2\nfirst\nsleep 0.1\nsecond\n")
    assert.equal("woke 0.2", a:receive("*l"))
    assert.equal("echo first", a:receive("*l"))
    assert.equal("woke 0.1", a:receive("*l"))
    assert.equal("echo second", a:receive("*l"))
  end)

  it("runs on when its client leaves; ClientDisconnected comes after", function()
    local server = T.start{script = SCRIPT, children = 1}
    local a = greeted(server)
    a:send("leave\n")
    socket.sleep(0.05)
    a:setoption("linger", {on = true, timeout = 0})
    a:close()  -- a reset: the client is gone, not only done sending
    local log
    assert.truthy(T.wait_until(function()
      log = server:log_text()
      return log:find("disconnected error", 1, true)
    end, 5), server:log_text())
    local wrote = log:find("write after leaving: nil closed", 1, true)
    assert.truthy(wrote, log)
    assert.is_true(wrote < log:find("disconnected error", 1, true))
  end)

  it("after the client only stopped sending still gets its reply out", function()
    local server = T.start{script = SCRIPT, children = 1}
    local a = greeted(server)
    a:send("sleep 0.2\nafter\n")
    a:shutdown("send")
    assert.equal("woke 0.2", a:receive("*l"))
    assert.equal("echo after", a:receive("*l"))
    local _, err = a:receive("*l")
    assert.equal("closed", err)
  end)

  it("that fails after a wait closes only its connection", function()
    local server = T.start{script = SCRIPT, children = 1}
    local a, b = greeted(server), greeted(server)
    a:send("sleepfail\n")
    local _, err = a:receive("*l")
    assert.equal("closed", err)
    assert.equal("echo still", ask(b, "still"))
    local log = server:log_text()
    assert.truthy(log:find("ClientInput failed for client %d+: [^\n]*server%.lua:%d+: failed after a wait"), log)
  end)

  it("is waiting, not hung: a long wait outlives MaxServerExpireTime, a busy loop does not", function()
    local server = T.start{script = [[
StartServer = 1
MaxServer = 1
MasterHeartBeatTime = 0.2
MaxServerExpireTime = 0.6
function ClientConnected(c) c:write("hi\n") end
function ClientInput(c, line)
  if line == "wait" then tine.sleep(1.5) c:write("waited\n")
  elseif line == "spin" then while true do end end
end
]], children = 1}
    local pid = server:children()[1]
    local a = greeted(server)
    assert.equal("waited", ask(a, "wait"))
    assert.same({pid}, server:children())
    a:send("spin\n")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("killed: no heartbeat[^\n]*in ClientInput")
    end, 5), server:log_text())
  end)

  it("may be ChildStart: the child is ready once it ends", function()
    local server = T.start{script = [[
StartServer = 1
local started
function ChildStart() tine.sleep(0.2) started = "after a sleep" end
function ClientConnected(c) c:write(started, "\n") end
function ClientInput() end
]], children = 1}
    local c = server:connect()
    assert.equal("after a sleep", c:receive("*l"))
  end)

  it("may be a timer's function or a spawned one; a script's own coroutines still work", function()
    local server = T.start{script = [[
StartServer = 1
local log = {}
function ChildStart()
  tine.timer(0, function() tine.sleep(0.05) log[#log + 1] = "timer" end)
  tine.spawn(function(x) tine.sleep(0.1) log[#log + 1] = x end, "spawned")
end
function ClientInput(c, line)
  if line == "log" then c:write(table.concat(log, ","), "\n") end
  if line == "co" then
    local gen = coroutine.wrap(function()
      coroutine.yield("a")
      tine.sleep(0.01)
      coroutine.yield("b")
    end)
    c:write(gen(), gen(), "\n")
  end
  if line == "bad" then
    local ok, err = pcall(coroutine.yield, 1)
    c:write(tostring(ok), " ", tostring(err), "\n")
  end
end
]], children = 1}
    local c = server:connect()
    socket.sleep(0.3)
    assert.equal("timer,spawned", ask(c, "log"))
    assert.equal("ab", ask(c, "co"))
    assert.equal("false attempt to yield from outside a coroutine", ask(c, "bad"))
  end)
end)
