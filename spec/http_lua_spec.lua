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

    it("matches an exact pattern (^/path$) by the whole path only", function()
      local exact = {{"^/hello$", main}, {"^/a.c$", main}}
      local _, captures = H.route(exact, "/hello", env)
      assert.same({}, captures)
      local _, again = H.route(exact, "/hello", env)
      assert.are_not.equal(captures, again)  -- a table of its own each time
      assert.is_nil(H.route(exact, "/hello/", env))
      assert.is_nil(H.route(exact, "/hellox", env))
      assert.is_nil(H.route(exact, "/HELLO", env))
      assert.equal(main, (H.route(exact, "/abc", env)))  -- "." stays magic
      exact[1][1] = "^/bye$"                             -- a pattern changed
      assert.is_nil(H.route(exact, "/hello", env))
      assert.equal(main, (H.route(exact, "/bye", env)))
      -- string.find stops reading a pattern at a NUL: "^/a\0b$" is "^/a"
      local nul = {{"^/a\0b$", main}}
      assert.equal(main, (H.route(nul, "/axyz", env)))
    end)

    it("compares an exact pattern without string.find", function()
      -- A copy of the module whose string.find counts its calls.
      local real_find, calls = string.find, 0
      string.find = function(...) calls = calls + 1; return real_find(...) end
      local ok, copy = pcall(dofile, (os.getenv("TINE_SOURCE_DIR") or ".") ..
                             "/lua/tine/http.lua")
      string.find = real_find
      assert.is_true(ok, copy)
      local routes = {{"^/hello$", main}, {"^/user/(%d+)$", main}}
      assert.equal(main, (copy.route(routes, "/hello", env)))
      assert.equal(0, calls)
      assert.same({"7"}, select(2, copy.route(routes, "/user/7", env)))
      assert.equal(1, calls)
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

  describe("serve", function()
    local saved_tine, saved_handlers = rawget(_G, "tine"), rawget(_G, "Handlers")
    local reason_calls, serve
    before_each(function()
      _G.tine = {settings = {MaxKeepAliveRequests = 0, KeepAliveTimeout = 5},
                 log = function() end, stopping = function() return false end,
                 now = os.clock}
      reason_calls = 0
      serve = H.bind(function() return "D" end, function(status)
        reason_calls = reason_calls + 1
        return "R" .. status
      end, nil)
    end)
    after_each(function()
      _G.tine, _G.Handlers = saved_tine, saved_handlers
    end)

    -- What serve writes for one GET of path whose handler answers status.
    local function answer(path, status)
      _G.Handlers = {{"^/", function() return status, "body" end}}
      local out = {}
      local client = {write = function(_, ...)
                        for i = 1, select("#", ...) do out[#out + 1] = select(i, ...) end
                        return true
                      end,
                      close = function() end}
      serve(client, "GET", path, "1.1", {}, "", true, 1, 1)
      return table.concat(out)
    end

    it("writes the status line from the status and its reason", function()
      assert.truthy(answer("/", 299):find("^HTTP/1.1 299 R299\r\nDate: D\r\n"))
      assert.truthy(answer("/", 1234):find("^HTTP/1.1 1234 R1234\r\n"))
    end)

    it("keeps reasons for three-digit statuses only", function()
      answer("/", 200)
      answer("/", 200)
      assert.equal(1, reason_calls)
      for i = 1, 50 do answer("/", 1000 + i) end  -- statuses a client might pick
      for i = 1, 50 do answer("/", 1000 + i) end
      assert.equal(101, reason_calls)
    end)
  end)
end)
