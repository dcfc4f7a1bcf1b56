-- The tine module and the script's environment in a running child.
local T = require "spec.helpers.server"

local SCRIPT = [[
StartServer = 2
MaxSessionPerServer = 1
LogLevel = "info"
local ticks, ticker = 0, nil
local cancelled_ran = false
function ChildStart()
  ticker = tine.every(0.05, function() ticks = ticks + 1 end)
  local h = tine.timer(0.05, function() cancelled_ran = true end)
  h:cancel()
end
function ClientConnected(c) c:write(math.random(1, 2^30), "\n") end
function ClientInput(c, line)
  local reply
  if line == "module" then
    reply = tostring(require("tine") == tine) .. " " .. tine.master_pid ..
            " " .. tine.generation .. " " .. tine.settings.StartServer ..
            " " .. tine.settings.Filter .. " " .. #tine.settings.Listen
  elseif line == "readonly" then
    local assign = function() tine.settings.Port = 1 end
    local ok, err = pcall(assign)
    local info = debug.getinfo(assign, "S")  -- the error names this line
    local where = info.short_src .. ":" .. info.linedefined .. ": "
    reply = tostring(ok) .. " " .. tostring(err:sub(1, #where) == where) ..
            " " .. err:sub(#where + 1)
  elseif line == "print" then
    print("printed", 42, nil)
    tine.log("debug", "hidden debug line")
    tine.log("warn", "shown warn line")
    reply = "done"
  elseif line == "badlevel" then
    reply = tostring(pcall(tine.log, "loud", "x"))
  elseif line == "ticks" then
    local before = ticks
    tine.timer(0.2, function()
      ticker:cancel()
      local stopped = ticks
      tine.timer(0.2, function()
        c:write(tostring(stopped > before), " ", tostring(ticks == stopped),
                " ", tostring(cancelled_ran), "\n")
      end)
    end)
    return
  elseif line == "pause" then
    tine.pause(); reply = "paused"
  elseif line == "resume" then
    tine.resume(); reply = "resumed"
  end
  c:write(reply, "\n")
end
]]

describe("in a child, the script", function()
  local server
  before_each(function() server = T.start{script = SCRIPT, children = 2} end)
  after_each(function() T.stop_all() end)

  local function ask(c, line)
    c:send(line .. "\n")
    return c:receive("*l")
  end

  it("gets math.random seeded differently in each child", function()
    local a, b = server:connect(), server:connect()
    assert.are_not.equal(a:receive("*l"), b:receive("*l"))
  end)

  it("sees the tine module as a global and through require", function()
    local c = server:connect()
    c:receive("*l")
    assert.equal("true " .. server.pid .. " 0 2 line 0", ask(c, "module"))
  end)

  it("cannot change tine.settings, and says so at the script's line", function()
    local c = server:connect()
    c:receive("*l")
    assert.equal("false true tine.settings is read-only (tried to set Port)",
                 ask(c, "readonly"))
  end)

  it("logs through print and tine.log, at LogLevel and above", function()
    local c = server:connect()
    c:receive("*l")
    assert.equal("done", ask(c, "print"))
    local log = server:log_text()
    assert.truthy(log:find("info: printed\\t42\\tnil", 1, true), log)
    assert.truthy(log:find("warn: shown warn line"))
    assert.is_nil(log:find("hidden debug line"))
    assert.equal("false", ask(c, "badlevel"))
  end)

  it("runs tine.every until cancelled, and never a cancelled tine.timer", function()
    local c = server:connect()
    c:receive("*l")
    assert.equal("true true false", ask(c, "ticks"))
  end)

  it("stops this child accepting with tine.pause, until tine.resume", function()
    local server1 = T.start{script = "StartServer = 1\nMaxServer = 1\n" ..
                            SCRIPT:gsub("StartServer = 2\n", ""), children = 1}
    local c = server1:connect()
    c:receive("*l")
    assert.equal("paused", ask(c, "pause"))
    local waiting = server1:connect()
    waiting:settimeout(0.3)
    assert.is_nil((waiting:receive("*l")))
    -- MaxSessionPerServer = 1 holds too: close ours after resuming
    assert.equal("resumed", ask(c, "resume"))
    c:close()
    waiting:settimeout(5)
    assert.is_not_nil(waiting:receive("*l"))
  end)
end)
