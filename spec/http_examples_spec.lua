-- scripts/hello_http.lua and scripts/json_api.lua, the HTTP examples, as
-- a user would try them (luasocket's HTTP client).
local T = require "spec.helpers.server"
local http = require "socket.http"
local ltn12 = require "ltn12"

-- Start the example at path on a free port.
local function start(path)
  local text = T.read_file(T.source_dir .. "/scripts/" .. path)
  text = text:gsub("\nPort = %d+", "\n")
  return T.start{script = text, children = 2}
end

-- One request; the body, the status and the headers.
local function fetch(server, path, body)
  local out = {}
  local _, status, headers = http.request{
    url = ("http://127.0.0.1:%d%s"):format(server.port, path),
    method = body and "POST" or "GET", sink = ltn12.sink.table(out),
    source = body and ltn12.source.string(body) or nil,
    headers = body and {["content-length"] = #body} or nil}
  return table.concat(out), status, headers
end

describe("the HTTP examples", function()
  after_each(function() T.stop_all() end)

  it("hello_http.lua routes as the seed's HANDLERS example", function()
    local server = start("hello_http.lua")
    local body, status, headers = fetch(server, "/")
    assert.equal(200, status)
    assert.truthy(body:match("^hello from child %d+\n$"), body)
    assert.equal("text/plain; charset=utf-8", headers["content-type"])
    assert.equal("bar: /bar/baz\n", (fetch(server, "/bar/baz")))
    body, _, headers = fetch(server, "/foo/42")
    assert.equal("foo number 42\n", body)
    assert.equal("chunked", headers["transfer-encoding"])
    body, status = fetch(server, "/anything/else")
    assert.equal(404, status)
    assert.equal("nothing at /anything/else\n", body)
  end)

  it("json_api.lua sums arguments, reads bodies and counts per child", function()
    local server = start("json_api.lua")
    local body, status, headers = fetch(server, "/sum?a=2&a=3&a=4")
    assert.equal(200, status)
    assert.equal("application/json", headers["content-type"])
    assert.equal('{"sum":9}\n', body)
    body, status = fetch(server, "/sum?a=x")
    assert.equal(400, status)
    assert.truthy(body:find("not a number: x", 1, true))
    assert.equal('{"greeting":"hello, tine"}\n',
                 (fetch(server, "/greet", '{"name":"tine"}')))
    body, status = fetch(server, "/greet", "not json")
    assert.equal(400, status)
    body = fetch(server, "/stats")
    assert.truthy(body:find('"served":%d+'), body)
    body, status = fetch(server, "/nope")
    assert.equal(404, status)
    assert.equal('{"error":"no such endpoint"}\n', body)
  end)
end)
