-- lua/tine/http.lua, the Lua half of HTTP mode, on its own.
package.path = (os.getenv("TINE_SOURCE_DIR") or ".") .. "/lua/?.lua;" .. package.path
local H = require "tine.http"

describe("tine.http", function()
  it("percent-decodes, with + as a space only in queries", function()
    assert.equal("a b/c+d", H.unescape("a%20b%2Fc+d"))
    assert.equal("a b c", H.unescape("a+b%20c", true))
    assert.equal("%zz", H.unescape("%zz"))
  end)

  it("decodes query arguments: strings, lists for repeats, true alone", function()
    local args = H.parse_args("a=1&b=x%20y&a=2&flag&c=&a=3&d=e=f")
    assert.same({"1", "2", "3"}, args.a)
    assert.equal("x y", args.b)
    assert.is_true(args.flag)
    assert.equal("", args.c)
    assert.equal("e=f", args.d)
    assert.same({}, H.parse_args(""))
  end)

  describe("route", function()
    local env = {}
    function env.GotBar() end
    local function main() end
    local handlers = {
      {"^/bar/", "GotBar"},
      {"^/$", main},
      {"^/user/(%d+)/(%a+)$", main},
      {"^/broken", "NoSuchFunction"},
    }

    it("takes the first match, resolving names at request time", function()
      local fn, captures = H.route(handlers, "/bar/x", env)
      assert.equal(env.GotBar, fn)
      assert.same({}, captures)
      local old = env.GotBar
      env.GotBar = function() end
      assert.equal(env.GotBar, (H.route(handlers, "/bar/", env)))
      env.GotBar = old
    end)

    it("passes the pattern's captures", function()
      local fn, captures = H.route(handlers, "/user/42/bob", env)
      assert.equal(main, fn)
      assert.same({"42", "bob"}, captures)
      assert.same({}, select(2, H.route(handlers, "/", env)))
    end)

    it("says when a handler name names no function", function()
      local fn, err = H.route(handlers, "/broken", env)
      assert.is_nil(fn)
      assert.truthy(err:find("NoSuchFunction", 1, true))
    end)

    it("falls back to HttpRequest, else to nothing (a 404)", function()
      local fn, err = H.route(handlers, "/elsewhere", env)
      assert.is_nil(fn)
      assert.is_nil(err)
      env.HttpRequest = function() end
      assert.equal(env.HttpRequest, (H.route(handlers, "/elsewhere", env)))
      assert.equal(env.HttpRequest, (H.route(nil, "/", env)))
    end)
  end)
end)
