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

    it("hides its metatable", function()
      assert.is_false(getmetatable(view))
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
  end)
end)
