-- The log: one line per message whatever a client or a script puts in it.
local T = require "spec.helpers.server"

describe("a log line", function()
  after_each(function() T.stop_all() end)

  local SCRIPT = [[
Filter = "stream"
function ClientInput(client, data)
  print("got: " .. data)
  client:write("ok\n")
end
]]

  it("escapes what a client sends, so it cannot forge lines", function()
    local server = T.start{script = SCRIPT, children = 1}
    local c = server:connect()
    local forged = "x\n2026-01-01 00:00:00.000 [1] error: forged\r\27[31mred\0nul\255"
    c:send(forged)
    assert.equal("ok", c:receive("*l"))
    c:close()
    local line
    assert.truthy(T.wait_until(function()
      for l in server:log_text():gmatch("[^\n]+") do
        if l:find("got: x", 1, true) then line = l end
      end
      return line
    end, 5), server:log_text())
    assert.equal(
      "got: x\\n2026-01-01 00:00:00.000 [1] error: forged\\r\\x1b[31mred\\x00nul\\xff",
      line:match("info: (.*)$"))
    for l in server:log_text():gmatch("[^\n]+") do
      assert.truthy(l:match("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d%.%d%d%d %[%d+%] %a+: "),
                    "not a log record: " .. l)
      assert.falsy(l:find("\27", 1, true))
    end
  end)

  it("keeps a traceback in one record and marks a cut message", function()
    local server = T.start{script = [[
function ClientInput(client, line)
  if line == "long" then tine.log("warn", ("z"):rep(10000)) return end
  error("boom on purpose")
end
]], children = 1}
    local c = server:connect()
    c:send("long\nboom\n")
    local _, err = c:receive("*l")
    assert.equal("closed", err)
    local log
    assert.truthy(T.wait_until(function()
      log = server:log_text()
      return log:find("stack traceback", 1, true) and log:find("[truncated]", 1, true)
    end, 5), server:log_text())
    local record = log:match("[^\n]*boom on purpose[^\n]*")
    assert.truthy(record:find("\\nstack traceback:\\n\\t", 1, true), record)
    assert.truthy(log:find("zzz...[truncated]\n", 1, true))
  end)
end)
