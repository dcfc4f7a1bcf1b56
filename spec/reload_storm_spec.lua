-- Reloads that overlap: HUPs faster than a canary can start must still
-- leave the pool at the newest generation and within its limits.
local T = require "spec.helpers.server"
local socket = require "socket"

local V = require "spec.helpers.versioned"

local HUPS = 50

-- ChildStart takes longer than the gap between two HUPs (sleeping, so
-- fifty canaries do not load the machine), and no child is killed for
-- silence meanwhile.
local SETTINGS = [[
StartServer = 3
MaxServer = 3
MaxServerExpireTime = 5
GraceExpireTime = 1
function ChildStart()
  local ffi = require "ffi"
  ffi.cdef "int usleep(unsigned int usec);"
  ffi.C.usleep(50000)
end
]]

-- A short-lived connection: the generation that greeted it, or nil.
local function generation_of(server)
  local c = socket.tcp()
  c:settimeout(2)
  if not c:connect("127.0.0.1", server.port) then c:close() return nil end
  local line = c:receive("*l")
  c:close()
  return line and tonumber(line:match("^v%d+ %d+ (%d+)$"))
end

-- Does every one of `tries` connections reach generation `gen`?
local function all_served_by(server, gen, tries)
  for _ = 1, tries do
    if generation_of(server) ~= gen then return false end
  end
  return true
end

-- The newest generation the log says is up (0 if none).
local function newest_generation(server)
  local newest = 0
  for g in server:log_text():gmatch("generation (%d+) is up") do
    newest = math.max(newest, tonumber(g))
  end
  return newest
end

describe("overlapping reloads", function()
  after_each(function() T.stop_all() end)

  it("settle to the newest generation within MaxServer", function()
    local server = T.start{script = V.script(1, SETTINGS),
                           children = 3}
    -- a connection held across each HUP makes a different child the
    -- least busy one, so successive canaries pick different children
    local held
    for _ = 1, HUPS do
      local c = socket.tcp()
      c:settimeout(2)
      if c:connect("127.0.0.1", server.port) then c:receive("*l") end
      T.signal(server.pid, "HUP")
      socket.sleep(0.02)
      if held then held:close() end
      held = c
    end
    held:close()
    local settled = T.wait_until(function()
      return #server:children() <= 3 and newest_generation(server) > 0 and
             all_served_by(server, newest_generation(server), 8)
    end, 15)
    local seen = {}
    for i = 1, 8 do seen[i] = tostring(generation_of(server)) end
    assert.truthy(settled, ("%d children, generation %d is the newest, " ..
      "connections met generations %s"):format(#server:children(),
      newest_generation(server), table.concat(seen, " ")))
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(10))
  end)
end)
