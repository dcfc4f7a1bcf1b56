-- tine.ngx: the part of OpenResty's `ngx` table that its pure-Lua
-- libraries use outside a request, over the tine module, so that
-- lua-resty-redis, lua-resty-lrucache and the like run unchanged:
--
--   ngx = require "tine.ngx"
--
-- A field it does not offer raises an error naming it.
local tine = require "tine"

local ngx = {}

-- Log levels, numbered as nginx numbers them.
local levels = {"STDERR", "EMERG", "ALERT", "CRIT", "ERR", "WARN", "NOTICE",
                "INFO", "DEBUG"}
local tine_level = {}
for i, name in ipairs(levels) do
  ngx[name] = i - 1
  tine_level[i - 1] = i <= 5 and "error" or i == 6 and "warn"
                      or i <= 8 and "info" or "debug"
end

-- ngx.log(level, ...): the arguments through tostring, concatenated.
function ngx.log(level, ...)
  local name = tine_level[level]
  if not name then error("ngx.log: bad log level " .. tostring(level), 2) end
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  tine.log(name, table.concat(parts))
end

ngx.null = tine.null
ngx.socket = {tcp = tine.tcp}
ngx.sleep = tine.sleep
ngx.now = tine.now
ngx.time = function() return os.time() end
ngx.update_time = function() end

-- ngx.timer.at(delay, fn, ...): fn(premature, ...) after delay seconds, in
-- a task of its own. premature is always false: a timer still pending when
-- its child stops is dropped, not run early.
ngx.timer = {
  at = function(delay, fn, ...)
    if type(fn) ~= "function" then
      error("ngx.timer.at: bad argument #2 (function expected)", 2)
    end
    local n, args = select("#", ...), {...}
    tine.timer(delay, function() fn(false, unpack(args, 1, n)) end)
    return true
  end,
}

ngx.worker = {
  pid = function() return tine.pid end,
  id = function() return tine.worker_id end,
  exiting = function() return tine.stopping() end,
}

ngx.shared = tine.shared

return setmetatable(ngx, {
  __index = function(_, key)
    error("tine.ngx: ngx." .. tostring(key) .. " is not offered by tine", 2)
  end,
})
