-- What a hostile client, a careless script and a busy operator broke
-- (issue 10), each kept fixed by a spec.
local socket = require "socket"
local T = require "spec.helpers.server"

local function ask(c, line)
  assert(c:send(line .. "\n"))
  return c:receive("*l")
end

describe("robustness", function()
  after_each(function() T.stop_all() end)

  it("a ClientError that writes to a client that never reads cannot crash the child", function()
    local server = T.start{script = [[
StartServer = 1
MaxServer = 1
MaxOutputBuffer = 1024
function ClientError(c, m)
  local ok, err = c:write("* error: ", m, "\n")
  tine.log("info", "ClientError: " .. m .. "; its write: " .. tostring(ok) .. " " .. tostring(err))
end
function ClientInput(c, line)
  if line == "flood" then
    tine.every(0.001, function() c:write(("x"):rep(65536)) end)
  else
    c:write("echo ", line, "\n")
  end
end
]], children = 1}
    local pid = server:children()[1]
    local sibling = server:connect()
    local hog = server:connect()
    hog:setoption("keepalive", true)
    hog:send("flood\n")  -- and never read
    assert.truthy(T.wait_until(function()
      return server:log_text():find("ClientError: output buffer full: the client does not read; its write: nil closed", 1, true)
    end, 5), server:log_text())
    socket.sleep(0.3)
    assert.same({pid}, server:children())
    assert.equal("echo alive", ask(sibling, "alive"))
    assert.is_nil(server:log_text():find("crashed", 1, true))
  end)

  it("refuses NaN, negative and infinite timer delays, naming the argument; cuts huge ones", function()
    local server = T.start{script = [[
StartServer = 1
local fired = false
function ClientInput(c, line)
  if line == "huge" then
    tine.timer(1e300, function() fired = true end)
    tine.sleep(0.2)
    return c:write(tostring(fired), "\n")
  end
  local f = ({inf = function() tine.every(math.huge, print) end,
              nan = function() tine.timer(0/0, print) end,
              neg = function() tine.timer(-1, print) end,
              zero = function() tine.every(0, print) end})[line]
  local ok, err = pcall(f)
  c:write(tostring(ok), " ", err, "\n")
end
]], children = 1}
    local c = server:connect()
    assert.truthy(ask(c, "inf"):find("^false .*bad argument #1 to 'every' %(seconds is infinite%)"))
    assert.truthy(ask(c, "nan"):find("^false .*bad argument #1 to 'timer' %(seconds is NaN%)"))
    assert.truthy(ask(c, "neg"):find("^false .*seconds must not be negative"))
    assert.truthy(ask(c, "zero"):find("^false .*seconds must be more than 0"))
    assert.equal("false", ask(c, "huge"))
  end)

  it("sends one large reply whole, and streams with ClientFlushed", function()
    local server = T.start{script = [[
StartServer = 1
local pieces = {}
function ClientInput(c, line)
  if line == "big" then return c:write(("b"):rep(4 * 1048576 + 1), "\n") end
  pieces[c] = 10
  c:write(("s"):rep(100000))
end
function ClientFlushed(c)
  local left = pieces[c]
  if not left then return end
  left = left - 1
  pieces[c] = left > 0 and left or nil
  c:write(left > 0 and ("s"):rep(100000) or "\ndone\n")
end
]], children = 1}
    local c = server:connect()
    c:settimeout(10)
    local big = ask(c, "big")
    assert.equal(4 * 1048576 + 1, #big)
    local streamed = ask(c, "stream")
    assert.equal(10 * 100000, #streamed)
    assert.equal("done", c:receive("*l"))
  end)

  it("a child told to stop closes what is left at GraceExpireTime itself, then runs ChildStop", function()
    local server = T.start{script = [[
StartServer = 1
GraceExpireTime = 0.5
function ChildStopping() tine.log("info", "stopping: " .. tostring(tine.stopping())) end
function ClientInput(c, line) c:write(tostring(tine.stopping()), "\n") end
function ClientDisconnected(c, reason) tine.log("info", "gone " .. reason) end
function ChildStop() tine.log("info", "ChildStop ran") end
]], children = 1}
    local c = server:connect()
    assert.equal("false", ask(c, "?"))
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(10))
    local log = server:log_text()
    local stopping = log:find("stopping: true", 1, true)
    local gone = log:find("gone stopping", 1, true)
    local stop = log:find("ChildStop ran", 1, true)
    assert.truthy(stopping and gone and stop, log)
    assert.is_true(stopping < gone and gone < stop)
    assert.is_nil(log:find("killed", 1, true))
  end)

  it("keeps the location of an error whose __tostring fails, and of a stack overflow", function()
    local server = T.start{script = [[
StartServer = 1
local function deep(n) return deep(n + 1) + 1 end
function ClientInput(c, line)
  if line == "tostring" then
    error(setmetatable({}, {__tostring = function() error("no") end}))
  end
  deep(1)
end
]], children = 1}
    local c = server:connect()
    c:send("tostring\n")
    c:receive("*l")
    local d = server:connect()
    d:send("deep\n")
    d:receive("*l")
    local log
    assert.truthy(T.wait_until(function()
      log = server:log_text()
      return select(2, log:gsub("ClientInput failed", "")) >= 2
    end, 5), server:log_text())
    assert.truthy(log:find("server%.lua:6: %(error object is not a string%)"), log)
    assert.truthy(log:find("server%.lua:3: stack overflow"), log)
    assert.is_nil(log:find("error in error handling", 1, true))
  end)

  it("bounds a callback's memory with MaxLuaMemory, and recycles the child", function()
    local server = T.start{script = [[
StartServer = 1
MasterHeartBeatTime = 0.2
MaxLuaMemory = 16
function ClientInput(c, line)
  if line == "grow" then
    local t = {}
    for i = 1, 1e8 do t[i] = ("x"):rep(64) .. i end
  end
  c:write("pid ", tine.pid, "\n")
end
]], children = 1}
    local pid = server:children()[1]
    local c = server:connect()
    c:send("grow\n")
    local _, err = c:receive("*l")
    assert.equal("closed", err)
    -- the child is replaced (a spare may have been forked meanwhile:
    -- the busy child left none idle)
    assert.truthy(T.wait_until(function()
      return not T.alive(pid) and #server:children() >= 1
    end, 10), server:log_text())
    local log = server:log_text()
    assert.truthy(log:find("ClientInput failed for client 1: not enough memory", 1, true), log)
    assert.truthy(log:find("reached MaxLuaMemory (16 MiB): recycling", 1, true), log)
    local d = server:connect()
    assert.truthy(ask(d, "again"):find("^pid %d+$"))
  end)

  it("closes connections idle for IdleTimeout, so idle ones cannot lock out new clients", function()
    local server = T.start{script = [[
StartServer = 1
MaxServer = 1
MaxSessionPerServer = 3
IdleTimeout = 0.3
function ClientInput(c, line) c:write("echo ", line, "\n") end
function ClientDisconnected(c, reason) tine.log("info", "gone " .. reason) end
]], children = 1}
    local idle = {}
    for i = 1, 3 do idle[i] = server:connect() end
    local busy = server:connect()  -- queued: the child is at its limit
    busy:settimeout(5)
    assert(busy:send("late\n"))
    assert.equal("echo late", busy:receive("*l"))
    for i = 1, 3 do
      local _, err = idle[i]:receive("*l")
      assert.equal("closed", err)
    end
    assert.truthy(server:log_text():find("gone idle", 1, true))
  end)

  it("lets no rawset into tine.settings", function()
    local server = T.start{script = [[
StartServer = 1
function ClientInput(c, line)
  local ok = pcall(rawset, tine.settings, "Port", 1)
  c:write(tostring(ok), " ", tostring(tine.settings.Port ~= 1), "\n")
end
]], children = 1}
    assert.equal("false true", ask(server:connect(), "x"))
  end)
end)
