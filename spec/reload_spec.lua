-- Reload, recycling and crash loops against the running binary.
local T = require "spec.helpers.server"
local socket = require "socket"

local V = require "spec.helpers.versioned"
local script, rewrite, hello = V.script, V.rewrite, V.hello

local function count(text, pattern)
  return select(2, text:gsub(pattern, ""))
end

describe("a reload", function()
  after_each(function() T.stop_all() end)

  it("starts one child of the new generation before replacing the rest", function()
    local server = T.start{script = script(1), children = 2}
    rewrite(server, script(2))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("generation 1 is up") end, 10))
    local log = server:log_text()
    local starting = log:find("generation 1's first child %d+ is starting")
    local up = log:find("generation 1 is up")
    assert.truthy(starting and up and starting < up, log)
    assert.truthy(T.wait_until(function()
      local c, v = hello(server)
      c:close()
      return v == 2
    end, 10))
  end)

  it("whose new children cannot start is abandoned; the old generation keeps serving",
     function()
    local server = T.start{script = script(1), children = 2}
    local before = server:children()
    rewrite(server, script(2, "function ChildStart() error('no config for v2') end"))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("reload abandoned") end, 10))
    assert.truthy(server:log_text():find(
      "reload abandoned: the new generation's first child could not start: " ..
      "[^\n]*no config for v2; generation 0 keeps serving"))
    assert.same(before, server:children())
    local c, v, _, gen = hello(server)
    assert.equal(1, v)
    assert.equal(0, gen)
    c:close()
  end)
end)

describe("a reload's top level", function()
  after_each(function() T.stop_all() end)

  -- A top level that misbehaves (ends or freezes its process) must neither
  -- end nor freeze the master: it runs in a reading process of its own.
  local function misbehaves(top, expect)
    local server = T.start{script = script(1), children = 2}
    -- both children up before the snapshot (start waits for the first)
    assert.truthy(T.wait_until(function()
      return #server:children() == 2 end, 10))
    local before = server:children()
    rewrite(server, script(2, top))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("reload failed") end, 10), server:log_text())
    assert.truthy(server:log_text():find(expect), server:log_text())
    assert.truthy(T.alive(server.pid))
    assert.same(before, server:children())
    local c, v = hello(server)
    assert.equal(1, v)
    c:close()
    -- the master still reloads, reaps and stops
    rewrite(server, script(3))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      local c3, v3 = hello(server)
      c3:close()
      return v3 == 3
    end, 10), server:log_text())
    T.signal(server.pid, "TERM")
    assert.truthy(server:wait_exit(10))
  end

  it("that calls os.exit does not end the master", function()
    misbehaves("os.exit(0)", "ended its process before the settings were read")
  end)

  it("that loops forever is killed at MaxServerExpireTime; the master serves on",
     function()
    misbehaves("while true do end",
               "took more than 1 s %(MaxServerExpireTime%)")
  end)

  it("that fails to load is reported with its file and line", function()
    misbehaves("error('cannot read the config')",
               "server%.lua:%d+: cannot read the config")
  end)
end)

describe("recycling", function()
  after_each(function() T.stop_all() end)

  it("by tine.recycle() gives a child running the script as it is on disk now", function()
    local server = T.start{script = "MaxServer = 1\n" .. script(1):gsub("StartServer = 2", "StartServer = 1"),
                           children = 1}
    local c, v, pid = hello(server)
    assert.equal(1, v)
    rewrite(server, "MaxServer = 1\n" .. script(3):gsub("StartServer = 2", "StartServer = 1"))
    c:send("recycle\n")
    assert.equal("v1 recycle", c:receive("*l"))
    c:close()
    assert.truthy(T.wait_until(function() return not T.alive(pid) end, 10))
    local c2, v2, pid2 = hello(server)
    assert.equal(3, v2)
    assert.are_not.equal(pid, pid2)
    c2:close()
  end)

  it("by MaxServerMemory replaces a child whose script grows past the limit", function()
    -- a slow heartbeat: growing the table must not look like a hang
    local server = T.start{script = script(1, "MaxServerMemory = 40\nMasterHeartBeatTime = 1"),
                           children = 2}
    local c, _, pid = hello(server)
    c:send("grow\n")
    assert.equal("v1 grow", c:receive("*l"))
    c:close()
    assert.truthy(T.wait_until(function() return not T.alive(pid) end, 10))
    -- the child sees it first, at its own heartbeat, else the master
    local log = server:log_text()
    assert.truthy(log:find("%[" .. pid .. "%] info: %d+ MiB resident, over MaxServerMemory %(40 MiB%): recycling")
                  or log:find("child " .. pid .. " is recycled: %d+ MiB resident, over MaxServerMemory %(40 MiB%)"),
                  log)
    -- and a fresh child serves in its place
    local c2, _, pid2 = hello(server)
    assert.are_not.equal(pid, pid2)
    c2:close()
  end)
end)

describe("a crash loop", function()
  after_each(function() T.stop_all() end)

  it("of a ChildStart that always fails forks with a doubling delay, and says why",
     function()
    local dir = T.tmpdir()
    local server = T.start{script = script(1, ([[
function ChildStart()
  if io.open(%q) then error("the database is down") end
end]]):format(dir .. "/down")):gsub("StartServer = 2", "StartServer = 1"), children = 1}
    -- the first child must be up before it is killed: a server whose first
    -- generation never starts gives up instead
    local c, _, pid = hello(server)
    c:close()
    T.write_file(dir .. "/down", "")
    T.signal(pid, "KILL")
    local t0 = socket.gettime()
    assert.truthy(T.wait_until(function()
      return server:log_text():find("forking again in 0%.8 s") end, 10),
      server:log_text())
    local elapsed = socket.gettime() - t0
    local log = server:log_text()
    -- the kill is replaced at once; then 0.2 + 0.4 s of waiting came
    -- before the fourth failure in a row
    assert.truthy(elapsed >= 0.6, elapsed)
    local fails = count(log, "could not start: [^\n]*the database is down")
    assert.truthy(fails >= 3 and fails <= 4, log)
    for _, wait in ipairs{"0.2", "0.4", "0.8"} do
      assert.truthy(log:find("forking again in " .. wait:gsub("%.", "%%.") .. " s"), log)
    end
    os.remove(dir .. "/down")
    assert.truthy(T.wait_until(function() return #server:children() == 1 end, 10))
  end)

  it("of script errors does not flood the log", function()
    local server = T.start{script = [[
StartServer = 1
function ClientInput(c, line) error("broken handler") end
]], children = 1}
    for _ = 1, 30 do
      local c = server:connect()
      c:send("x\n")
      c:receive("*l")
      c:close()
    end
    local c = server:connect()   -- one more, after the flood, to flush the count
    c:close()
    assert.truthy(T.wait_until(function()
      return count(server:log_text(), "ClientInput failed") >= 5 end, 5))
    local log = server:log_text()
    assert.truthy(count(log, "ClientInput failed") <= 10, log)
  end)
end)
