-- The key-value store example, scripts/kvstore.lua.
local T = require "spec.helpers.server"

describe("scripts/kvstore.lua", function()
  local server, c
  before_each(function()
    local text = T.read_file(T.source_dir .. "/scripts/kvstore.lua")
    server = T.start{script = text:gsub("\nPort = %d+\n", "\n"), children = 1}
    c = server:connect()
  end)
  after_each(function() T.stop_all() end)

  local function ask(line)
    c:send(line .. "\r\n")
    return assert(c:receive("*l"))
  end

  it("sets, gets and deletes keys", function()
    assert.equal("NOT_FOUND", ask("GET colour"))
    assert.equal("OK", ask("SET colour dark blue"))
    assert.equal("VALUE dark blue", ask("GET colour"))
    assert.equal("COUNT 1", ask("COUNT"))
    assert.equal("DELETED", ask("DEL colour"))
    assert.equal("NOT_FOUND", ask("DEL colour"))
    assert.equal("COUNT 0", ask("count"))
  end)

  it("shares the child's store between clients", function()
    assert.equal("OK", ask("SET k v"))
    local other = server:connect()
    other:send("GET k\n")
    assert.equal("VALUE v", other:receive("*l"))
  end)

  it("expires keys from its timer", function()
    assert.equal("OK", ask("SET short lived"))
    assert.equal("OK", ask("EXPIRE short 0"))
    assert.truthy(T.wait_until(function()
      return ask("GET short") == "NOT_FOUND" end, 3))
  end)

  it("answers errors and counts commands in STATS", function()
    assert.equal("ERROR unknown command", ask("FROB x"))
    assert.equal("ERROR usage: SET key value", ask("SET lonely"))
    assert.equal("ERROR usage: EXPIRE key seconds", ask("EXPIRE k soon"))
    local pid, keys, n = ask("STATS"):match("^STATS pid (%d+) keys (%d+) commands (%d+)$")
    assert.equal(server:children()[1], tonumber(pid))
    assert.equal("0", keys)
    assert.equal("4", n)
  end)

  it("says BYE and closes on QUIT", function()
    assert.equal("BYE", ask("QUIT"))
    local _, err = c:receive("*l")
    assert.equal("closed", err)
  end)
end)
