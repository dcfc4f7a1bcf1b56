-- tine.prelude: the Lua half of the `tine` module.
--
-- The runtime loads this file (compiled into the binary) in every Lua state
-- it makes and calls install() with the table of C functions and values
-- (`core`) and the effective settings (a function that builds them as a
-- plain table). It is also installed as an ordinary module, so its
-- helpers can be used and tested on their own.
local P = {}

-- A view of t that cannot be assigned to, nested tables included: a
-- userdata, so not even rawset gets through. Reading goes through to t
-- (or, if t is a function, to the table it returns, called once on the
-- first read); assigning raises an error naming the view.
local function readonly(t, name)
  local views = {}
  local function source()
    if type(t) == "function" then t = t() end
    return t
  end
  local view = newproxy(true)
  local mt = getmetatable(view)
  mt.__index = function(_, key)
    local value = source()[key]
    if type(value) ~= "table" then return value end
    views[key] = views[key] or readonly(value, name .. "." .. tostring(key))
    return views[key]
  end
  mt.__newindex = function(_, key)
    error(name .. " is read-only (tried to set " .. tostring(key) .. ")", 2)
  end
  mt.__len = function() return #source() end
  mt.__tostring = function() return name end
  mt.__metatable = false
  return view
end
P.readonly = readonly

-- Make a script's own coroutines live inside tine's tasks. `mark` is what
-- tine's waits yield; `tasks` the weak set of task threads. A wait inside
-- a coroutine of the script's own is passed up to the task (which waits)
-- and its results back down; a yield of the script's own straight from a
-- task's thread is the error plain Lua gives outside a coroutine. Changes
-- the coroutine table `co` in place.
function P.wrap_coroutines(co, mark, tasks)
  local resume, yield, create, running = co.resume, co.yield, co.create,
                                         co.running
  local status = co.status
  local function pass(thread, ok, first, ...)
    if ok and first == mark and status(thread) == "suspended" then
      return pass(thread, resume(thread, yield(mark)))
    end
    return ok, first, ...
  end
  co.resume = function(thread, ...) return pass(thread, resume(thread, ...)) end
  co.yield = function(...)
    local thread = running()
    if thread == nil or tasks[thread] then
      error("attempt to yield from outside a coroutine", 2)
    end
    return yield(...)
  end
  local function unwrap(ok, ...)
    if not ok then error((...), 2) end
    return ...
  end
  co.wrap = function(f)
    local thread = create(f)
    return function(...) return unwrap(co.resume(thread, ...)) end
  end
end

-- The line print(...) writes: its arguments through tostring, tab-separated.
local function print_line(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  return table.concat(parts, "\t")
end
P.print_line = print_line

-- client:write's fast path: a write of one or two strings (the common
-- client:write(line, "\n")) goes through LuaJIT's FFI straight into the
-- connection's output (conn_write_pair, which never calls back into Lua);
-- anything else, and any write it refuses (closed, output over its cap,
-- no memory), takes the C function `slow`, which answers or fails exactly
-- as before. Returns the fast write.
local function fast_write(parts, slow)
  local ffi = require "ffi"
  local key, handle_mt = parts.handle_key, parts.handle_mt
  local conn_of = ffi.typeof("void **")
  local write_pair = ffi.cast(
    "int (*)(void *, const char *, size_t, const char *, size_t)",
    parts.write_pair)
  local cast, select, type, rawget = ffi.cast, select, type, rawget
  local getmetatable = debug.getmetatable
  return function(self, ...)
    local n = select("#", ...)
    local a, b = ...
    if (n == 1 or (n == 2 and type(b) == "string")) and type(a) == "string"
       and type(self) == "table" then
      local handle = rawget(self, key)
      if handle ~= nil and getmetatable(handle) == handle_mt then
        local c = cast(conn_of, handle)[0]
        if c ~= nil and write_pair(c, a, #a, b or "", n == 2 and #b or 0) == 0 then
          return true
        end
      end
    end
    return slow(self, ...)
  end
end
P.fast_write = fast_write

-- Replace parts.methods.write with the fast write, built on the first
-- call: a child that has written nothing has not loaded the FFI (13 KiB
-- of its Lua heap).
function P.install_fast_write(parts)
  local slow, fast = parts.methods.write, nil
  parts.methods.write = function(self, ...)
    if not fast then
      fast = fast_write(parts, slow)
      parts.methods.write = fast
    end
    return fast(self, ...)
  end
end

-- Build the tine module from core and settings (a table, or a function
-- that builds it when tine.settings is first read), make it the global
-- `tine` and package.loaded.tine, and route print() to the log at "info".
-- Returns the module. What it leaves behind refers to the local functions,
-- never to P, so once it returns nothing holds P and the functions only
-- it uses (2 KiB of every child's heap).
function P.install(core, settings, env)
  env = env or _G
  local tine = {}
  for key, value in pairs(core) do tine[key] = value end
  if core.client then
    P.install_fast_write(core.client)
    tine.client = nil
  end
  tine.settings = readonly(settings, "tine.settings")
  env.tine = tine
  package.loaded.tine = tine
  local log = core.log
  env.print = function(...) log("info", print_line(...)) end
  if core.wait_mark then
    P.wrap_coroutines(env.coroutine or coroutine, core.wait_mark, core.task_threads)
  end
  return tine
end

return P
