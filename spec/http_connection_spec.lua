-- HTTP mode (SPEC "HTTP"): connections: keep-alive, pipelining, HEAD,
-- bodiless statuses, Expect: 100-continue, KeepAliveTimeout,
-- MaxKeepAliveRequests, AccessLog, and what a stopping child does.
local T = require "spec.helpers.server"
local H = require "spec.helpers.http"

local SCRIPT = [[
Filter = "http"
StartServer = 1
MaxServer = 1
Handlers = {
  { "^/slow$", function() tine.sleep(0.3); return "slow" end },
  { "^/sleep$", function() tine.sleep(0.5); return "slept" end },
  { "^/echo$", function(req) return "got " .. req.body end },
  { "^/204$", function() return 204 end },
  { "^/304$", function() return 304 end },
  { "^/pid$", function() return tostring(tine.pid) end },
  { "^/block$", function()  -- holds the whole child (no waiting) for 0.5 s
      local till = os.clock() + 0.5
      while os.clock() < till do end
      return "blocked"
    end },
  { "^/recycle$", function() tine.recycle(); tine.sleep(0.2); return "recycling" end },
}
function HttpRequest(req) return "path " .. req.path end
]]

local function start(args, extra)
  return T.start{script = SCRIPT .. (extra or ""), children = 1, args = args}
end

local expect = H.expect

describe("HTTP connections", function()
  after_each(function() T.stop_all() end)

  it("keeps an HTTP/1.1 connection alive by default", function()
    local server = start()
    local c = H.connect(server)
    local r1 = H.exchange(c, H.get("/a"))
    expect(200, r1)
    assert.is_false(H.says_close(r1))
    local r2 = H.exchange(c, H.get("/b"))
    expect(200, r2)
    assert.equal("path /b", r2.body)
  end)

  it("closes an HTTP/1.0 connection after the response by default", function()
    local server = start()
    local r, c = H.request(server, H.build{version = "1.0", target = "/a"})
    expect(200, r, "1%.[01]")
    assert.equal("path /a", r.body)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
  end)

  it("keeps an HTTP/1.0 connection alive on Connection: keep-alive", function()
    local server = start()
    local c = H.connect(server)
    local keep = {version = "1.0", target = "/a", headers = {"Connection: keep-alive"}}
    local r1 = H.exchange(c, H.build(keep))
    expect(200, r1, "1%.[01]")
    assert.is_false(H.says_close(r1))
    keep.target = "/b"
    local r2 = H.exchange(c, H.build(keep))
    expect(200, r2, "1%.[01]")
    assert.equal("path /b", r2.body)
  end)

  it("honours Connection: close in HTTP/1.1", function()
    local server = start()
    local r, c = H.request(server, H.get("/a", {"Connection: close"}))
    expect(200, r)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
  end)

  it("answers pipelined requests in order", function()
    local server = start()
    local c = H.connect(server)
    assert(H.send(c, H.get("/one") .. H.get("/two") .. H.get("/three")))
    assert.equal("path /one", H.read_response(c).body)
    assert.equal("path /two", H.read_response(c).body)
    assert.equal("path /three", H.read_response(c).body)
  end)

  it("holds a pipelined request's answer while the one before it waits", function()
    local server = start()
    local c = H.connect(server)
    assert(H.send(c, H.get("/slow") .. H.get("/fast")))
    local r1 = H.read_response(c)
    expect(200, r1)
    assert.equal("slow", r1.body)
    local r2 = H.read_response(c)
    expect(200, r2)
    assert.equal("path /fast", r2.body)
  end)

  it("keeps request bodies apart in a pipeline", function()
    local server = start()
    local c = H.connect(server)
    assert(H.send(c, H.build{method = "POST", target = "/echo", body = "GET /x HTTP/1.1\r\n\r\n"}
                  .. H.build{method = "POST", target = "/echo",
                             headers = {"Transfer-Encoding: chunked"}, body = "2\r\nab\r\n0\r\n\r\n"}
                  .. H.get("/last")))
    assert.equal("got GET /x HTTP/1.1\r\n\r\n", H.read_response(c).body)
    assert.equal("got ab", H.read_response(c).body)
    assert.equal("path /last", H.read_response(c).body)
  end)

  it("answers HEAD without a body but with the Content-Length a GET would have", function()
    local server = start()
    local c = H.connect(server)
    local r = H.exchange(c, H.build{method = "HEAD", target = "/abc"}, {method = "HEAD"})
    expect(200, r)
    assert.equal("9", r.headers["content-length"])  -- #"path /abc"
    local r2 = H.exchange(c, H.get("/next"))  -- no body bytes were left before it
    assert.equal("HTTP/1.1 200 OK", r2.status_line)
    assert.equal("path /next", r2.body)
  end)

  it("answers 204 and 304 without a body", function()
    local server = start()
    local c = H.connect(server)
    for _, code in ipairs{204, 304} do
      local r = H.exchange(c, H.get("/" .. code))
      expect(code, r)
      assert.is_nil(r.headers["transfer-encoding"])
      if code == 204 then assert.is_nil(r.headers["content-length"]) end
    end
    local r = H.exchange(c, H.get("/next"))
    assert.equal("HTTP/1.1 200 OK", r.status_line)
    assert.equal("path /next", r.body)
  end)

  it("answers Expect: 100-continue with 100 Continue before the body is sent", function()
    local server = start()
    local c = H.connect(server)
    assert(H.send(c, H.build{method = "POST", target = "/echo",
                             headers = {"Content-Length: 5", "Expect: 100-continue"}}))
    local interim = H.read_response(c)
    assert.equal("HTTP/1.1 100 Continue", interim.status_line)
    assert(H.send(c, "hello"))
    local r = H.read_response(c)
    expect(200, r)
    assert.equal("got hello", r.body)
  end)

  it("answers Expect: 100-continue with a 413 at once when the body is too large", function()
    local server = start{"--max-body-size", "100"}
    local c = H.connect(server)
    assert(H.send(c, H.build{method = "POST", target = "/echo",
                             headers = {"Content-Length: 1000", "Expect: 100-continue"}}))
    local r = H.read_response(c)
    expect(413, r)
    assert.is_true(H.closed(c))
  end)

  it("closes an idle keep-alive connection after KeepAliveTimeout", function()
    local server = start{"--keep-alive-timeout", "1"}
    local c = H.connect(server)
    expect(200, H.exchange(c, H.get("/a")))
    local t0 = H.gettime()
    assert.is_true(H.closed(c, 3))
    local idle = H.gettime() - t0
    assert.is_true(idle > 0.8 and idle < 2.5, "closed after " .. idle .. " s")
  end)

  it("keeps a keep-alive connection that is used within KeepAliveTimeout", function()
    local server = start{"--keep-alive-timeout", "1"}
    local c = H.connect(server)
    for i = 1, 3 do
      local r = H.exchange(c, H.get("/n" .. i))
      assert.equal("path /n" .. i, r.body)
      H.sleep(0.6)
    end
  end)

  it("closes the connection after MaxKeepAliveRequests, saying so in the last response", function()
    local server = start{"--max-keep-alive-requests", "3"}
    local c = H.connect(server)
    for i = 1, 2 do
      local r = H.exchange(c, H.get("/n" .. i))
      expect(200, r)
      assert.is_false(H.says_close(r))
    end
    local r = H.exchange(c, H.get("/n3"))
    expect(200, r)
    assert.equal("path /n3", r.body)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
  end)

  it("sets no limit with MaxKeepAliveRequests 0", function()
    local server = start{"--max-keep-alive-requests", "0"}
    local c = H.connect(server)
    for i = 1, 30 do
      local r = H.exchange(c, H.get("/n" .. i))
      assert.equal("path /n" .. i, r.body)
      assert.is_false(H.says_close(r))
    end
  end)

  it("writes one combined-log line per request, with the time taken, to AccessLog", function()
    local dir = T.tmpdir()
    local path = dir .. "/access.log"
    local server = start{"--access-log", path}
    local c = H.connect(server)
    expect(200, H.exchange(c, H.get("/logged?x=1", {"Referer: http://ref.example/",
                                                      "User-Agent: spec-agent/1"})))
    expect(200, H.exchange(c, H.get("/second")))
    local text = T.wait_until(function()
      local t = T.read_file(path)
      return t and select(2, t:gsub("\n", "")) >= 2 and t
    end, 3)
    assert.truthy(text, "no access log lines: " .. tostring(T.read_file(path)))
    local first = text:match("^[^\n]*")
    assert.matches('^127%.0%.0%.1 %- %S+ %[%d%d/%a%a%a/%d%d%d%d:%d%d:%d%d:%d%d [%+%-]%d%d%d%d%] '
                   .. '"GET /logged%?x=1 HTTP/1%.1" 200 12 "http://ref%.example/" "spec%-agent/1"', first)
    assert.matches(" [%d%.]+%a*$", first)  -- the time taken
    assert.equal(2, select(2, text:gsub("\n", "")))
  end)
end)

describe("AccessLog", function()
  after_each(function() T.stop_all() end)

  it("escapes what a client sends, so it cannot forge a line", function()
    local dir = T.tmpdir()
    local path = dir .. "/access.log"
    local server = start{"--access-log", path}
    local c = H.connect(server)
    expect(200, H.exchange(c, H.get("/x", {'User-Agent: a" 200 0 "-" "forged'})))
    local text = T.wait_until(function() return T.read_file(path) end, 3)
    assert.truthy(text)
    assert.equal(1, select(2, text:gsub("\n", "")))
    assert.truthy(text:find('"a\\x22 200 0 \\x22-\\x22 \\x22forged"', 1, true), text)
  end)

  it("logs a refused request, and is reopened on HUP (log rotation)", function()
    local dir = T.tmpdir()
    local path = dir .. "/access.log"
    local server = start{"--access-log", path}
    local c = H.connect(server)
    expect(200, H.exchange(c, H.get("/before")))
    c:close()
    assert.truthy(T.wait_until(function()
      return (T.read_file(path) or ""):find("/before", 1, true) end, 3))
    os.rename(path, path .. ".1")
    T.signal(server.pid, "HUP")
    -- every process follows the file the master opened anew (a request
    -- served before a child has read the master's message may still land
    -- in the old one); once one line is there, all later lines are
    assert.truthy(T.wait_until(function()
      local c2 = H.connect(server)
      local r = H.exchange(c2, H.get("/after"))
      c2:close()
      return r and (T.read_file(path) or ""):find("/after", 1, true)
    end, 10), server:log_text())
    for i = 1, 5 do
      local c2 = H.connect(server)
      expect(200, H.exchange(c2, H.get("/later" .. i)))
      c2:close()
    end
    local c3 = H.connect(server)
    H.send(c3, "GET / HTTP/1.1\r\n\r\n")  -- no Host: a 400
    H.read_response(c3)
    assert.truthy(T.wait_until(function()
      local text = T.read_file(path) or ""
      return text:find('"-" 400 0', 1, true) and text:find("/later5", 1, true)
    end, 3))
    assert.is_nil(T.read_file(path .. ".1"):find("/later", 1, true))
  end)
end)

describe("HTTP in a stopping child", function()
  after_each(function() T.stop_all() end)

  it("on TERM, closes idle keep-alive connections at once and answers a begun request with Connection: close", function()
    local server = start()
    local idle = H.connect(server)
    expect(200, H.exchange(idle, H.get("/a")))
    local busy = H.connect(server)
    assert(H.send(busy, H.get("/sleep")))
    H.sleep(0.15)  -- the handler is running
    local t0 = H.gettime()
    T.signal(server.pid, "TERM")
    assert.is_true(H.closed(idle, 0.4), "the idle connection was not closed at once")
    assert.is_true(H.gettime() - t0 < 0.4)
    local r = H.read_response(busy)
    expect(200, r)
    assert.equal("slept", r.body)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(busy))
  end)

  it("on TERM, answers the first request of a connection accepted just before, still unread", function()
    local server = start()
    local blocker = H.connect(server)
    assert(H.send(blocker, H.get("/block")))
    H.sleep(0.15)  -- the child is held: what follows waits for its loop
    local c = H.connect(server)
    assert(H.send(c, H.get("/a")))
    H.sleep(0.1)
    -- the stop comes after the connection and its request, so the child
    -- accepts the connection, then learns of the stop, then reads
    T.signal(server.pid, "TERM")
    expect(200, H.read_response(blocker))
    local r = H.read_response(c)
    expect(200, r)
    assert.equal("path /a", r.body)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
  end)

  it("on TERM, accepts no new request", function()
    local server = start()
    local busy = H.connect(server)
    assert(H.send(busy, H.get("/sleep")))
    H.sleep(0.15)
    T.signal(server.pid, "TERM")
    H.sleep(0.1)
    local c = require("socket").tcp()
    c:settimeout(1)
    if c:connect("127.0.0.1", server.port) then
      c:send(H.get("/new"))
      local data, err, partial = c:receive(1)
      assert.is_nil(data, "a new connection was answered")
      assert.equal("", partial or "")
    end
    local r = H.read_response(busy)
    assert.equal("slept", r.body)
  end)

  it("on recycle, answers the request begun with Connection: close and closes idle keep-alive connections", function()
    local server = start()
    local idle = H.connect(server)
    local pid = H.exchange(idle, H.get("/pid")).body
    local c = H.connect(server)
    local r = H.exchange(c, H.get("/recycle"))
    expect(200, r)
    assert.equal("recycling", r.body)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
    assert.is_true(H.closed(idle, 1))
    assert.truthy(T.wait_until(function() return not T.alive(tonumber(pid)) end, 5))
  end)

  it("on reload (HUP), closes idle keep-alive connections at once", function()
    local server = start()
    local idle = H.connect(server)
    expect(200, H.exchange(idle, H.get("/a")))
    T.signal(server.pid, "HUP")
    assert.is_true(H.closed(idle, 1.5))
  end)
end)
