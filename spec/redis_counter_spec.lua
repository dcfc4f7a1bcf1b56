-- scripts/redis_counter.lua, the example, against a real redis-server.
local T = require "spec.helpers.server"
local B = require "spec.helpers.backends"

describe("scripts/redis_counter.lua", function()
  after_each(function() T.stop_all(); B.stop_all() end)

  it("counts in redis across children and connections", function()
    local redis = B.redis()
    local text = T.read_file(T.source_dir .. "/scripts/redis_counter.lua")
    text = text:gsub("\nPort = %d+", "\n")
    local server = T.start{script = text, children = 2,
                           wrap = "export REDIS_PORT=" .. redis.port}
    for i = 1, 4 do
      local c = server:connect()
      assert.truthy(c:receive("*l"):find("counters"))
      c:send("incr visits\r\n")
      assert.equal("visits = " .. i, c:receive("*l"))
      c:close()
    end
    local c = server:connect()
    c:receive("*l")
    c:send("get visits\r\nget nothing\r\nbogus\r\n")
    assert.equal("visits = 4", c:receive("*l"))
    assert.equal("nothing = 0", c:receive("*l"))
    assert.truthy(c:receive("*l"):find("^%?"))
  end)

  it("answers with an error line when redis is away", function()
    local port = B.refusing()
    local text = T.read_file(T.source_dir .. "/scripts/redis_counter.lua")
    text = text:gsub("\nPort = %d+", "\n")
    local server = T.start{script = text, children = 1,
                           wrap = "export REDIS_PORT=" .. port}
    local c = server:connect()
    c:receive("*l")
    c:send("incr x\r\n")
    assert.equal("! redis: connection refused", c:receive("*l"))
  end)
end)
