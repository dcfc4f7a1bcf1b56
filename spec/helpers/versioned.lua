-- A versioned test script for the reload and signal specs: its greeting
-- says which version of the script, which child and which generation
-- serves, so a spec can tell old children from new.
local T = require "spec.helpers.server"

local M = {}

-- The script text of `version`, with `extra` Lua at its top. Besides the
-- echo ("v<version> <line>"), "recycle" calls tine.recycle() and "grow"
-- makes the child's memory grow by about 90 MiB.
function M.script(version, extra)
  return ([[
StartServer = 2
MasterHeartBeatTime = 0.2
%s
function ClientConnected(c) c:write("v%d ", tine.pid, " ", tine.generation, "\n") end
function ClientInput(c, line)
  if line == "recycle" then tine.recycle() end
  if line == "grow" then
    _G.hog = {}
    for i = 1, 1000000 do _G.hog[i] = {i} end
  end
  c:write("v%d ", line, "\n")
end
]]):format(extra or "", version, version)
end

-- Rewrite a running server's script in place (keeping its Port).
function M.rewrite(server, text)
  T.write_file(server.script, ("Port = %d\n"):format(server.port) .. text)
end

-- Connect and read the greeting: (client, version, pid, generation).
function M.hello(server)
  local c = server:connect()
  local v, pid, gen = assert(c:receive("*l")):match("^v(%d+) (%d+) (%d+)$")
  return c, tonumber(v), tonumber(pid), tonumber(gen)
end

return M
