-- HTTP mode (SPEC "HTTP"): Filter = "http", Handlers, the request and the
-- response objects, over raw sockets so that the bytes are seen exactly.
-- Connections, keep-alive and stopping: http_connection_spec.lua;
-- refusals and limits: http_refusals_spec.lua.
local T = require "spec.helpers.server"
local H = require "spec.helpers.http"

local start, expect = H.start, H.expect

describe("HTTP routing", function()
  after_each(function() T.stop_all() end)

  -- The functions Handlers holds by value are defined before it (an
  -- undefined global there would be nil).
  local ROUTES = [[
function GotBar(req) return "bar" end
function GotMain(req, res) return 200, "hello\n", { ["Content-Type"] = "text/plain" } end
function GotUser(req, res)
  res:header("Content-Type", "application/json")
  res:write('{"id":', req.captures[1], '}')
end
function Late() return "one" end
function Swap() Late = function() return "two" end; return "swapped" end
Handlers = {
  { "^/bar/",        "GotBar" },
  { "^/bar/baz",     function() return "second" end },
  { "^/$",           GotMain },
  { "^/user/(%d+)$", GotUser },
  { "^/two/(%a+)/(%d+)$", function(req) return req.captures[1] .. "|" .. req.captures[2] end },
  { "^/late$",       "Late" },
  { "^/swap$",       "Swap" },
  { "^/q$",          function(req) return "q:" .. req.query end },
  { "^/a b$",        function() return "decoded" end },
  { "^/broken$",     "NoSuchFunction" },
}
]]

  it("answers HTTP on the Port listener and on Listen entries alike, without ClientInput", function()
    local other = T.free_port()
    local server = start(ROUTES .. ("Listen = { '127.0.0.1:%d' }\n"):format(other))
    local r = H.request(server, H.get("/"))
    expect(200, r)
    assert.equal("hello\n", r.body)
    local c = T.connect(other)
    c:settimeout(2)
    r = H.exchange(c, H.get("/"))
    expect(200, r)
    assert.equal("hello\n", r.body)
  end)

  it("does not call ClientInput", function()
    local server = start(ROUTES .. [[
function ClientInput(c, line) c:write("ClientInput ran\n") end
]])
    local r = H.request(server, H.get("/"))
    expect(200, r)
    assert.equal("hello\n", r.body)
    assert.is_nil(server:log_text():find("ClientInput", 1, true))
  end)

  it("runs a handler given as a function, with its status, body and headers", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/"))
    assert.equal("HTTP/1.1 200 OK", r.status_line)
    assert.equal("hello\n", r.body)
    assert.equal("text/plain", r.headers["content-type"])
  end)

  it("runs a handler given by a global function's name", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/bar/x"))
    expect(200, r)
    assert.equal("bar", r.body)
  end)

  it("takes the first pattern that matches", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/bar/baz"))
    expect(200, r)
    assert.equal("bar", r.body)
  end)

  it("resolves a handler's name at request time", function()
    local server = start(ROUTES)
    local c = H.connect(server)
    assert.equal("one", H.exchange(c, H.get("/late")).body)
    assert.equal("swapped", H.exchange(c, H.get("/swap")).body)
    assert.equal("two", H.exchange(c, H.get("/late")).body)
  end)

  it("passes the pattern's captures in req.captures", function()
    local server = start(ROUTES)
    local c = H.connect(server)
    local r = H.exchange(c, H.get("/user/42"))
    expect(200, r)
    assert.equal('{"id":42}', r.body)
    assert.equal("application/json", r.headers["content-type"])
    assert.equal("abc|7", H.exchange(c, H.get("/two/abc/7")).body)
  end)

  it("matches patterns against the path without its query", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/q?x=1"))
    expect(200, r)
    assert.equal("q:x=1", r.body)
  end)

  it("matches patterns against the percent-decoded path", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/a%20b"))
    expect(200, r)
    assert.equal("decoded", r.body)
  end)

  it("falls back to HttpRequest when no pattern matches", function()
    local server = start(ROUTES .. [[
function HttpRequest(req, res) return "fallback " .. req.path end
]])
    local r = H.request(server, H.get("/nowhere"))
    expect(200, r)
    assert.equal("fallback /nowhere", r.body)
    assert.equal("bar", H.request(server, H.get("/bar/")).body)
  end)

  it("uses HttpRequest for everything when there is no Handlers", function()
    local server = start([[
function HttpRequest(req, res) return "all " .. req.path end
]])
    local r = H.request(server, H.get("/any/thing"))
    expect(200, r)
    assert.equal("all /any/thing", r.body)
  end)

  it("answers 404 when nothing matches and there is no HttpRequest", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/nowhere"))
    expect(404, r)
  end)

  it("answers 404 when there is neither Handlers nor HttpRequest", function()
    local server = start("")
    local r = H.request(server, H.get("/"))
    expect(404, r)
  end)

  it("answers 500 for a handler name that names no function, and logs it", function()
    local server = start(ROUTES)
    local r = H.request(server, H.get("/broken"))
    expect(500, r)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("NoSuchFunction", 1, true)
    end, 3), server:log_text())
  end)

  it("gives Handlers no flag", function()
    local server = T.start{script = "Filter = 'http'\n", args = {"--handlers", "x"},
                           wait = false}
    assert.equal(2, server:wait_exit(10))
  end)
end)

describe("HTTP request", function()
  after_each(function() T.stop_all() end)

  -- Each field on a line of its own, "name=value"; tables as sorted k:v.
  local DUMP = [[
local function show(v)
  if type(v) ~= "table" then return tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. ":" .. show(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end
function HttpRequest(req, res)
  local out = {}
  for _, f in ipairs{"method", "version", "target", "path", "query", "body",
                     "remote_ip", "remote_port", "local_port", "id"} do
    out[#out + 1] = f .. "=" .. show(req[f])
  end
  out[#out + 1] = "id_type=" .. type(req.id)
  out[#out + 1] = "args=" .. show(req.args)
  out[#out + 1] = "captures=" .. show(req.captures)
  out[#out + 1] = "x-thing=" .. show(req.headers["x-thing"])
  out[#out + 1] = "X-Thing=" .. show(req.headers["X-Thing"])
  out[#out + 1] = "header(X-SINGLE)=" .. show(req:header("X-SINGLE"))
  out[#out + 1] = "header(x-single)=" .. show(req:header("x-single"))
  out[#out + 1] = "header(Host)=" .. show(req:header("Host"))
  return table.concat(out, "\n") .. "\n"
end
]]

  local function fields(r)
    local t = {}
    for name, value in r.body:gmatch("([^=\n]+)=([^\n]*)\n") do t[name] = value end
    return t
  end

  it("gives method and version", function()
    local server = start(DUMP)
    local f = fields(H.request(server, H.get("/")))
    assert.equal("GET", f.method)
    assert.equal("1.1", f.version)
    local r = H.request(server, H.build{method = "POST", version = "1.0", body = "x"})
    expect(200, r, "1%.[01]")
    f = fields(r)
    assert.equal("POST", f.method)
    assert.equal("1.0", f.version)
  end)

  it("gives the target as sent, its path percent-decoded and its query as sent", function()
    local server = start(DUMP)
    local f = fields(H.request(server, H.get("/a%20b/c%2Fd?x=1%202&y")))
    assert.equal("/a%20b/c%2Fd?x=1%202&y", f.target)
    assert.equal("/a b/c/d", f.path)
    assert.equal("x=1%202&y", f.query)
  end)

  it("gives an empty query when there is none", function()
    local server = start(DUMP)
    local f = fields(H.request(server, H.get("/plain")))
    assert.equal("/plain", f.target)
    assert.equal("/plain", f.path)
    assert.equal("", f.query)
    assert.equal("{}", f.args)
  end)

  it("decodes the query into req.args, a list for a repeated name", function()
    local server = start(DUMP)
    local f = fields(H.request(server, H.get("/?a=1&b=x%20y&a=2&a=3")))
    assert.equal("{a:{1:1,2:2,3:3},b:x y}", f.args)
  end)

  it("names headers in lower case and joins repeated ones with ', '", function()
    local server = start(DUMP)
    local f = fields(H.request(server, H.get("/", {"X-Thing: a", "x-THING: b"})))
    assert.equal("a, b", f["x-thing"])
    assert.equal("nil", f["X-Thing"])
  end)

  it("gives one header in any case with req:header", function()
    local server = start(DUMP)
    local f = fields(H.request(server, H.get("/", {"x-Single: v1"})))
    assert.equal("v1", f["header(X-SINGLE)"])
    assert.equal("v1", f["header(x-single)"])
    assert.equal("localhost", f["header(Host)"])
  end)

  it("gives an empty body when there is none", function()
    local server = start(DUMP)
    assert.equal("", fields(H.request(server, H.get("/"))).body)
  end)

  it("gives a Content-Length body whole", function()
    local server = start(DUMP)
    local r = H.request(server, H.build{method = "POST", body = "hello world"})
    expect(200, r)
    assert.equal("hello world", fields(r).body)
  end)

  it("reads the whole body before the handler runs, however it arrives", function()
    local server = start(DUMP)
    local c = H.connect(server)
    assert(H.send(c, H.build{method = "POST", headers = {"Content-Length: 10"}}))
    H.sleep(0.3)
    assert(H.send(c, "hello"))
    H.sleep(0.3)
    assert(H.send(c, "world"))
    local r = H.read_response(c)
    expect(200, r)
    assert.equal("helloworld", fields(r).body)
  end)

  it("decodes a chunked request body", function()
    local server = start(DUMP)
    local r = H.request(server, H.build{method = "POST",
      headers = {"Transfer-Encoding: chunked"},
      body = "5\r\nhello\r\nA\r\n world 123\r\n0\r\n\r\n"})
    expect(200, r)
    assert.equal("hello world 123", fields(r).body)
  end)

  it("decodes a chunked body with chunk extensions and trailers (RFC 9112 7.1)", function()
    local server = start(DUMP)
    local r = H.request(server, H.build{method = "POST",
      headers = {"Transfer-Encoding: chunked"},
      body = "3;name=value\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n"})
    expect(200, r)
    assert.equal("abc", fields(r).body)
  end)

  it("gives remote_ip, remote_port and local_port as the client object's", function()
    local server = start(DUMP)
    local c = H.connect(server)
    local _, my_port = c:getsockname()
    local f = fields(H.exchange(c, H.get("/")))
    assert.equal("127.0.0.1", f.remote_ip)
    assert.equal(tostring(my_port), f.remote_port)
    assert.equal(tostring(server.port), f.local_port)
  end)

  it("gives a numeric req.id unique within the child", function()
    local server = start(DUMP)
    local c1, c2 = H.connect(server), H.connect(server)
    local f1 = fields(H.exchange(c1, H.get("/")))
    local f2 = fields(H.exchange(c2, H.get("/")))
    assert.equal("number", f1.id_type)
    assert.equal("number", f2.id_type)
    assert.are_not.equal(f1.id, f2.id)
  end)

  it("gives no captures to HttpRequest", function()
    local server = start(DUMP)
    assert.equal("{}", fields(H.request(server, H.get("/x"))).captures)
  end)
end)
