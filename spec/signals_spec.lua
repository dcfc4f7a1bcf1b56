-- Signals to the master and to one child; reload; recycling by time.
local T = require "spec.helpers.server"

local V = require "spec.helpers.versioned"
local script, rewrite, hello = V.script, V.rewrite, V.hello

describe("HUP", function()
  after_each(function() T.stop_all() end)

  it("brings the new script to new clients; an open connection to an old child is still served",
     function()
    local server = T.start{script = script(1), children = 2}
    local old, v, old_pid = hello(server)
    assert.equal(1, v)
    rewrite(server, script(2))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      local c, version, _, gen = hello(server)
      c:close()
      return version == 2 and gen == 1
    end, 10), server:log_text())
    old:send("still\n")
    assert.equal("v1 still", old:receive("*l"))
    old:close()
    -- its child, of the old generation, stops once its last client leaves
    assert.truthy(T.wait_until(function() return not T.alive(old_pid) end, 10))
  end)

  it("with a broken script keeps the old children serving and the master up", function()
    local server = T.start{script = script(1), children = 2}
    local before = server:children()
    rewrite(server, "this is not Lua\n")
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("reload failed, the running children keep serving") end, 5))
    assert.same(before, server:children())
    local c, v = hello(server)
    assert.equal(1, v)
    c:close()
  end)
end)

describe("TTIN and TTOU", function()
  after_each(function() T.stop_all() end)

  it("add and remove one child each", function()
    local server = T.start{script = script(1), children = 2}
    T.signal(server.pid, "TTIN")
    assert.truthy(T.wait_until(function() return #server:children() == 3 end, 5))
    T.signal(server.pid, "TTOU")
    assert.truthy(T.wait_until(function() return #server:children() == 2 end, 5))
    T.signal(server.pid, "TTOU")
    assert.truthy(T.wait_until(function() return #server:children() == 1 end, 5))
    assert.truthy(server:log_text():find("TTOU: MinServer 1, MaxServer 19"))
  end)

  it("outlive a reload, and undo each other", function()
    local server = T.start{script = script(1, "MaxServer = 2"), children = 2}
    T.signal(server.pid, "TTIN")
    T.signal(server.pid, "TTIN")
    assert.truthy(T.wait_until(function() return #server:children() == 4 end, 5))
    rewrite(server, script(2, "MaxServer = 2"))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("generation 1 is up") end, 10), server:log_text())
    -- the reload's MaxServer 2, moved up by the two TTINs: still 4
    assert.truthy(T.wait_until(function()
      local v2 = 0
      for _ = 1, 8 do
        local c, version = hello(server)
        c:close()
        if version == 2 then v2 = v2 + 1 end
      end
      return #server:children() == 4 and v2 == 8
    end, 10), server:log_text())
    T.signal(server.pid, "TTOU")
    T.signal(server.pid, "TTOU")
    assert.truthy(T.wait_until(function() return #server:children() == 2 end, 10))
    assert.truthy(server:log_text():find("TTOU: MinServer 2, MaxServer 2"), server:log_text())
  end)
end)

describe("USR1 and USR2", function()
  after_each(function() T.stop_all() end)

  it("to the master stop new clients being greeted until resumed", function()
    local server = T.start{script = script(1), children = 2}
    local c = hello(server)
    T.signal(server.pid, "USR1")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("USR1: pausing") end, 5))
    local waiting = server:connect()
    waiting:settimeout(0.5)
    assert.is_nil((waiting:receive("*l")))
    c:send("served\n")                     -- open connections carry on
    assert.equal("v1 served", c:receive("*l"))
    T.signal(server.pid, "USR2")
    waiting:settimeout(5)
    assert.truthy(waiting:receive("*l"):find("^v1 "))
  end)
end)

describe("a signal to one child", function()
  after_each(function() T.stop_all() end)

  it("TERM stops it gracefully and the master replaces it", function()
    local server = T.start{script = script(1), children = 2}
    local c, _, pid = hello(server)
    local before = #server:children()
    T.signal(pid, "TERM")
    -- its replacement comes first, while it still serves its client
    assert.truthy(T.wait_until(function()
      return server:log_text():find("child " .. pid .. " asked to be recycled") and
             #server:children() > before end, 5))
    c:send("draining\n")
    assert.equal("v1 draining", c:receive("*l"))
    c:close()
    assert.truthy(T.wait_until(function() return not T.alive(pid) end, 5))
  end)
end)

describe("recycling by time", function()
  after_each(function() T.stop_all() end)

  it("replaces a child older than MaxServerLifeTime", function()
    local server = T.start{script = "MaxServerLifeTime = 0.5\n" .. script(1),
                           children = 2}
    local first = server:children()
    assert.truthy(T.wait_until(function()
      local now = server:children()
      return #now == 2 and now[1] ~= first[1] and now[1] ~= first[2]
         and now[2] ~= first[1] and now[2] ~= first[2]
    end, 10))
    assert.truthy(server:log_text():find("older than MaxServerLifeTime"))
  end)

  it("replaces a child idle for MaxServerSpareTime, not a busy one", function()
    local server = T.start{script = "MaxServerSpareTime = 0.5\n" .. script(1),
                           children = 2}
    local c, _, busy = hello(server)
    local idle = server:children()[1] == busy and server:children()[2]
                 or server:children()[1]
    assert.truthy(T.wait_until(function() return not T.alive(idle) end, 10))
    assert.is_true(T.alive(busy))
    assert.truthy(server:log_text():find("idle for MaxServerSpareTime"))
    c:close()
  end)
end)
