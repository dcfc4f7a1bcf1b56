-- lua/tine/prelude.lua, the Lua half of the tine module, on its own.
package.path = (os.getenv("TINE_SOURCE_DIR") or ".") .. "/lua/?.lua;" .. package.path
local prelude = require "tine.prelude"

describe("tine.prelude", function()
  describe("readonly", function()
    local view = prelude.readonly({Port = 10, Listen = {"a", "b"}}, "tine.settings")

    it("reads through to the table, nested tables too", function()
      assert.equal(10, view.Port)
      assert.equal("b", view.Listen[2])
      assert.is_nil(view.Nothing)
    end)

    it("refuses assignment, naming the view and the key", function()
      assert.has_error(function() view.Port = 11 end,
                       "tine.settings is read-only (tried to set Port)")
      assert.has_error(function() view.Listen[1] = "c" end,
                       "tine.settings.Listen is read-only (tried to set 1)")
      assert.equal(10, view.Port)
    end)

    it("lets no rawset through", function()
      assert.has_error(function() rawset(view, "Port", 11) end)
      assert.equal(10, view.Port)
    end)

    it("hides its metatable", function()
      assert.is_false(getmetatable(view))
    end)

    it("builds its table from a function on the first read, once", function()
      local builds = 0
      local lazy = prelude.readonly(function()
        builds = builds + 1
        return {Port = 12, Listen = {"x"}}
      end, "tine.settings")
      assert.equal(0, builds)
      assert.equal("tine.settings", tostring(lazy))
      assert.equal(0, builds)
      assert.equal(12, lazy.Port)
      assert.equal("x", lazy.Listen[1])
      assert.equal(0, #lazy)
      assert.equal(1, builds)
    end)
  end)

  describe("print_line", function()
    it("joins tostring of every argument with tabs, nils included", function()
      assert.equal("a\t1\tnil\ttrue", prelude.print_line("a", 1, nil, true))
      assert.equal("", prelude.print_line())
    end)
  end)

  describe("install", function()
    it("builds the module from core, sets the globals and routes print", function()
      local logged = {}
      local core = {pid = 42, log = function(level, msg)
        logged[#logged + 1] = level .. ":" .. msg end}
      local env = {}
      local saved = package.loaded.tine
      local tine = prelude.install(core, {Port = 7}, env)
      assert.equal(tine, env.tine)
      assert.equal(tine, package.loaded.tine)
      assert.equal(42, tine.pid)
      assert.equal(7, tine.settings.Port)
      env.print("hello", 2)
      assert.same({"info:hello\t2"}, logged)
      package.loaded.tine = saved
    end)

    -- In a child nothing holds the prelude's table after install, so it
    -- and the functions only install uses are collected (2 KiB of every
    -- child's heap): what install leaves must not refer to it.
    it("leaves nothing that holds the prelude's table", function()
      local copy = dofile((os.getenv("TINE_SOURCE_DIR") or ".") ..
                          "/lua/tine/prelude.lua")
      local core = {log = function() end, client = {methods = {write = print}},
                    wait_mark = {}, task_threads = {}}
      local env = {coroutine = {resume = coroutine.resume,
                                yield = coroutine.yield,
                                create = coroutine.create,
                                running = coroutine.running,
                                status = coroutine.status}}
      local saved = package.loaded.tine
      local tine = copy.install(core, {Port = 7, Nested = {a = 1}}, env)
      package.loaded.tine = saved
      assert.equal(1, tine.settings.Nested.a)  -- a nested view made
      local held = setmetatable({copy}, {__mode = "v"})
      copy = nil
      collectgarbage()
      collectgarbage()
      assert.is_nil(held[1])
      assert.equal(7, tine.settings.Port)      -- what install made still works
    end)
  end)
end)

describe("tine.prelude.wrap_coroutines", function()
  local prelude = require "tine.prelude"
  -- A copy of the coroutine table with the wrappers, and a stand-in for
  -- tine's task: a thread in `tasks` run by `run_task`, which answers
  -- each wait (a yield of `mark`) with "answer" .. n.
  local mark, tasks = {}, setmetatable({}, {__mode = "k"})
  local co = {}
  for k, v in pairs(coroutine) do co[k] = v end
  prelude.wrap_coroutines(co, mark, tasks)
  local function wait() return coroutine.yield(mark) end
  local function run_task(fn)
    local thread = coroutine.create(fn)
    tasks[thread] = true
    local waits = 0
    local ok, first = coroutine.resume(thread)
    while ok and first == mark do
      waits = waits + 1
      ok, first = coroutine.resume(thread, "answer" .. waits)
    end
    return ok, first, waits
  end

  it("passes a wait inside the script's own coroutine up to the task", function()
    local ok, result, waits = run_task(function()
      local inner = co.create(function(a)
        local got = wait()
        local b = co.yield(a .. "+" .. got)
        return b .. "+" .. wait()
      end)
      local _, first = co.resume(inner, "x")
      local _, second = co.resume(inner, "y")
      return first .. "|" .. second
    end)
    assert.is_true(ok)
    assert.equal("x+answer1|y+answer2", result)
    assert.equal(2, waits)
  end)

  it("passes waits through coroutine.wrap, and its errors", function()
    local ok, result = run_task(function()
      local gen = co.wrap(function() co.yield(wait()) co.yield("two") end)
      return gen() .. "," .. gen()
    end)
    assert.is_true(ok)
    assert.equal("answer1,two", result)
    local ok2, err = run_task(function() co.wrap(function() error("inner") end)() end)
    assert.is_false(ok2)
    assert.truthy(err:find("inner"))
  end)

  it("refuses a yield of the script's own from the task's thread", function()
    local ok, err = run_task(function() co.yield(1) end)
    assert.is_false(ok)
    assert.truthy(err:find("attempt to yield from outside a coroutine"))
  end)
  describe("client:write's fast path", function()
    local ffi = require "ffi"
    -- A client as lua_api.c makes one: a table holding, under a light key,
    -- a handle userdata whose first word is the connection. The handle
    -- here is a file handle (a userdata whose first word is its FILE *,
    -- standing for the connection). write_pair records and answers
    -- `answer`; the slow path records.
    local function client_with(answer)
      local rec = {pairs = {}, slow = {}}
      local handle_mt, key = {}, {}
      local handle = io.tmpfile()
      debug.setmetatable(handle, handle_mt)
      rec.conn = ffi.cast("void **", handle)[0]
      local parts = {
        methods = {write = function(_, ...)
          rec.slow[#rec.slow + 1] = select("#", ...)
          return nil, "slow"
        end},
        handle_key = key, handle_mt = handle_mt,
        write_pair = ffi.cast("int (*)(void *, const char *, size_t, const char *, size_t)",
          function(c, a, alen, b, blen)
            rec.pairs[#rec.pairs + 1] = {c, ffi.string(a, alen), ffi.string(b, blen)}
            return answer
          end)}
      prelude.install_fast_write(parts)
      return parts.methods.write, {[key] = handle}, rec, handle_mt
    end

    before_each(function() jit.off() end)  -- FFI callbacks: interpreter only
    after_each(function() jit.on() end)

    it("queues one or two strings with one call, through the handle's pointer", function()
      local write, client, rec = client_with(0)
      assert.is_true(write(client, "line", "\n"))
      assert.is_true(write(client, "alone"))
      assert.equal(2, #rec.pairs)
      assert.is_true(rec.pairs[1][1] == rec.conn)
      assert.same({"line", "\n"}, {rec.pairs[1][2], rec.pairs[1][3]})
      assert.same({"alone", ""}, {rec.pairs[2][2], rec.pairs[2][3]})
      assert.same({}, rec.slow)
    end)

    it("is built on the first write, which puts it in the methods table", function()
      local parts = {methods = {write = function() return "slow" end},
                     handle_key = {}, handle_mt = {},
                     write_pair = ffi.cast("void *", nil)}
      prelude.install_fast_write(parts)
      local stub = parts.methods.write
      assert.equal("slow", stub(42))            -- not a client: the C function
      local fast = parts.methods.write
      assert.is_not.equal(stub, fast)
      assert.equal("slow", fast(42))
      assert.equal("slow", stub(43))            -- a kept stub still answers
      assert.equal(fast, parts.methods.write)
    end)

    it("leaves everything else to the C function, arguments intact", function()
      local write, client, rec, handle_mt = client_with(0)
      write(client, "a", "b", "c")      -- three pieces
      write(client, 42)                 -- a number
      write(client, "a", nil)           -- a nil piece: the C function's error
      write(client)                     -- nothing
      write({}, "x")                    -- not a client
      local forged = {}
      for k in pairs(client) do forged[k] = newproxy(false) end
      write(forged, "x")                -- a handle without its metatable
      assert.same({}, rec.pairs)
      assert.same({3, 1, 2, 0, 1, 1}, rec.slow)
      assert.is_table(handle_mt)
    end)

    it("takes the C function when the connection refuses the write", function()
      local write, client, rec = client_with(-1)
      local ok, err = write(client, "late\n")
      assert.is_nil(ok)
      assert.equal("slow", err)
      assert.equal(1, #rec.pairs)
      assert.same({1}, rec.slow)
    end)

    it("takes the C function once the handle holds no connection", function()
      local write, client, rec = client_with(0)
      local _, handle = next(client)
      ffi.cast("void **", handle)[0] = nil  -- as a detached client's handle
      write(client, "x")
      assert.same({}, rec.pairs)
      assert.same({1}, rec.slow)
    end)
  end)
end)
