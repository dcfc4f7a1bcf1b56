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

describe("LogFile rotation", function()
  after_each(function() T.stop_all() end)

  it("HUP reopens it first: master and children follow the new file at once, even when the reload fails", function()
    local server = T.start{script = [[
StartServer = 2
MasterHeartBeatTime = 0.2
LogFile = (os.getenv("TINE_LOG_DIR") or "/tmp") .. "/tine.log"
function ClientInput(c, line) print("from child " .. tine.pid .. ": " .. line) c:write("ok\n") end
]], children = 2, wrap = "export TINE_LOG_DIR=$DIR"}
    local log, rotated = server.dir .. "/tine.log", server.dir .. "/tine.log.1"
    assert.truthy(T.wait_until(function() return T.read_file(log) end, 5))
    os.rename(log, rotated)
    -- a script that no longer loads: the reload fails, the log is reopened
    local text = T.read_file(server.script)
    T.write_file(server.script, text .. "\nthis is not Lua\n")
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      local now = T.read_file(log)
      return now and now:find("reload failed", 1, true)
    end, 5), T.read_file(rotated))
    -- every child writes to the new file, without being replaced
    local pids = server:children()
    local held, now = {}, nil
    local function all_seen()
      now = T.read_file(log) or ""
      for _, pid in ipairs(pids) do
        if not now:find("from child " .. pid, 1, true) then return false end
      end
      return true
    end
    for _ = 1, 60 do  -- held open, so accepting spreads over both children
      local c = server:connect()
      c:send("hello\n")
      assert.equal("ok", c:receive("*l"))
      held[#held + 1] = c
      if all_seen() then break end
    end
    assert.truthy(all_seen(), now)
    for _, c in ipairs(held) do c:close() end
    assert.same(pids, server:children())
    assert.is_nil(T.read_file(rotated):find("from child", 1, true))
  end)
end)
