-- tine.prelude: the Lua half of the `tine` module.
--
-- The runtime loads this file (compiled into the binary) in every Lua state
-- it makes and calls install() with the table of C functions and values
-- (`core`) and the effective settings (a plain table). It is also installed
-- as an ordinary module, so its helpers can be used and tested on their own.
local P = {}

-- A view of t that cannot be assigned to, nested tables included. Reading
-- goes through to t; assigning raises an error naming the view.
function P.readonly(t, name)
  local views = {}
  return setmetatable({}, {
    __index = function(_, key)
      local value = t[key]
      if type(value) ~= "table" then return value end
      views[key] = views[key] or P.readonly(value, name .. "." .. tostring(key))
      return views[key]
    end,
    __newindex = function(_, key)
      error(name .. " is read-only (tried to set " .. tostring(key) .. ")", 2)
    end,
    __metatable = false,
  })
end

-- The line print(...) writes: its arguments through tostring, tab-separated.
function P.print_line(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  return table.concat(parts, "\t")
end

-- Build the tine module from core and settings, make it the global `tine`
-- and package.loaded.tine, and route print() to the log at "info".
-- Returns the module.
function P.install(core, settings, env)
  env = env or _G
  local tine = {}
  for key, value in pairs(core) do tine[key] = value end
  tine.settings = P.readonly(settings, "tine.settings")
  env.tine = tine
  package.loaded.tine = tine
  env.print = function(...) core.log("info", P.print_line(...)) end
  return tine
end

return P
