-- HTTP mode (SPEC "HTTP"): the response object, what tine adds to a
-- response, and a handler's errors; over raw sockets.
local T = require "spec.helpers.server"
local H = require "spec.helpers.http"

local start, expect = H.start, H.expect

local SCRIPT = [[
Handlers = {
  { "^/default$", function(req, res) res:write("x") end },
  { "^/status$", function(req, res) res:status(201); res:write("made") end },
  { "^/cookies$", function(req, res)
      res:header("Set-Cookie", { "a=1", "b=2" })
      res:header("X-One", "1")
      res:write("c")
    end },
  { "^/stream$", function(req, res)
      res:write("first,")
      tine.sleep(1)
      res:write("second")
    end },
  { "^/bigstream$", function(req, res)
      res:write(string.rep("a", 8000))  -- over 4 KiB: the output buffer
      tine.sleep(0.05)                  -- is given back once it is sent
      res:write(string.rep("b", 8000))
    end },
  { "^/sized$", function(req, res)
      res:header("Content-Length", "10")
      res:write("hello")
      res:write("world")
    end },
  { "^/finish$", function(req, res)
      res:finish("done")
      local ok, ret = pcall(res.write, res, "LATE")
      tine.log("info", "late write refused: " .. tostring((not ok) or ret == nil or ret == false))
    end },
  { "^/finish2$", function(req, res)
      res:write("a")
      res:finish("b", "c")
    end },
  { "^/triple$", function() return 201, "made\n", { ["X-A"] = "b" } end },
  { "^/mixed$", function(req, res)
      res:header("X-Own", 1)
      return 200, "m", { ["Set-Cookie"] = { "c=3", "d=4" }, ["X-N"] = 7 }
    end },
  { "^/lone$", function() return "lone body" end },
  { "^/typed$", function() return 200, "{}", { ["Content-Type"] = "application/json" } end },
  { "^/early$", function() error("secret-boom") end },
  { "^/late$", function(req, res)
      res:write("partial")
      tine.sleep(0.1)
      error("late-boom")
    end },
  { "^/returned$", function(req, res) res:write("a"); res:write("b") end },
}
]]

describe("HTTP response", function()
  after_each(function() T.stop_all() end)

  it("has status 200 unless the handler sets one", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/default"))
    assert.equal("HTTP/1.1 200 OK", r.status_line)
    assert.equal("x", r.body)
  end)

  it("takes the status from res:status", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/status"))
    expect(201, r)
    assert.equal("made", r.body)
  end)

  it("adds a header with res:header, a list as a repeated header", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/cookies"))
    expect(200, r)
    assert.same({"a=1", "b=2"}, H.all(r, "Set-Cookie"))
    assert.same({"1"}, H.all(r, "X-One"))
  end)

  it("sends the head with the first write, chunked in HTTP/1.1 when no Content-Length is set", function()
    local server = start(SCRIPT)
    local c = H.connect(server)
    local t0 = H.gettime()
    assert(H.send(c, H.get("/stream")))
    local r = H.read_response(c)
    expect(200, r)
    assert.equal("chunked", r.headers["transfer-encoding"])
    assert.is_nil(r.headers["content-length"])
    assert.equal("first,second", r.body)
    assert.equal("6\r\nfirst,\r\n6\r\nsecond\r\n0\r\n\r\n", r.raw_body)
    assert.is_nil(r.err)
    assert.is_true(H.gettime() - t0 >= 0.9)
  end)

  it("sends the first write before the handler ends", function()
    local server = start(SCRIPT)
    local c = H.connect(server)
    assert(H.send(c, H.get("/stream")))
    c:settimeout(0.7)  -- the handler sleeps 1 s between its writes
    local r = H.read_response(c)  -- times out in the body, after the head
    expect(200, r)
    assert.truthy(r.body:find("^first,"), r.body)
  end)

  it("streams large chunked writes whole, the output buffer given back between them", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/bigstream"))
    expect(200, r)
    assert.equal("chunked", r.headers["transfer-encoding"])
    assert.equal(string.rep("a", 8000) .. string.rep("b", 8000), r.body)
    assert.is_nil(r.err)
  end)

  it("keeps the handler's Content-Length, without chunking", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/sized"))
    expect(200, r)
    assert.equal("10", r.headers["content-length"])
    assert.is_nil(r.headers["transfer-encoding"])
    assert.equal("helloworld", r.body)
  end)

  it("ends a streamed HTTP/1.0 response by closing, with Connection: close", function()
    local server = start(SCRIPT)
    local r, c = H.request(server, H.build{version = "1.0", target = "/stream"})
    expect(200, r, "1%.[01]")
    assert.is_nil(r.headers["transfer-encoding"])
    assert.is_nil(r.headers["content-length"])
    assert.equal("close", r.headers["connection"])
    assert.equal("first,second", r.body)
    assert.is_true(r.closed)
  end)

  it("ends the response with res:finish; later writes are errors and send nothing", function()
    local server = start(SCRIPT)
    local c = H.connect(server)
    local r = H.exchange(c, H.get("/finish"))
    expect(200, r)
    assert.equal("done", r.body)
    assert.is_nil(r.err)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("late write refused: true", 1, true)
    end, 3), server:log_text())
    local r2 = H.exchange(c, H.get("/lone"))  -- no stray "LATE" before it
    assert.equal("HTTP/1.1 200 OK", r2.status_line)
    assert.equal("lone body", r2.body)
  end)

  it("writes what res:finish is given after what was written", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/finish2"))
    expect(200, r)
    assert.equal("abc", r.body)
    assert.is_nil(r.err)
  end)

  it("ends the response when the handler returns", function()
    local server = start(SCRIPT)
    local c = H.connect(server)
    local r = H.exchange(c, H.get("/returned"))
    expect(200, r)
    assert.equal("ab", r.body)
    assert.is_nil(r.err)
    assert.equal("lone body", H.exchange(c, H.get("/lone")).body)
  end)

  it("takes status, body and headers from the handler's return", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/triple"))
    expect(201, r)
    assert.equal("made\n", r.body)
    assert.equal("b", r.headers["x-a"])
    assert.equal("5", r.headers["content-length"])
  end)

  it("sends res:header's fields and the returned ones, a list as one field per item", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/mixed"))
    expect(200, r)
    assert.equal("m", r.body)
    assert.equal("1", r.headers["x-own"])
    assert.equal("7", r.headers["x-n"])
    assert.same({"c=3", "d=4"}, H.all(r, "Set-Cookie"))
  end)

  it("answers a lone string returned as a 200 body", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/lone"))
    assert.equal("HTTP/1.1 200 OK", r.status_line)
    assert.equal("lone body", r.body)
  end)

  it("has Content-Type text/plain; charset=utf-8 by default", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/lone"))
    assert.same({"text/plain; charset=utf-8"}, H.all(r, "Content-Type"))
  end)

  it("keeps the handler's Content-Type instead of the default", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/typed"))
    assert.same({"application/json"}, H.all(r, "Content-Type"))
  end)

  it("adds a Date header", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/lone"))
    assert.equal(1, #H.all(r, "Date"))
    assert.matches(H.DATE, r.headers.date)
  end)

  it("adds Content-Length when it knows the whole body", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/lone"))
    assert.same({"9"}, H.all(r, "Content-Length"))
    assert.is_nil(r.headers["transfer-encoding"])
  end)

  it("adds Connection: close when the connection will close", function()
    local server = start(SCRIPT)
    local r, c = H.request(server, H.get("/lone", {"Connection: close"}))
    expect(200, r)
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
  end)

  it("adds no Connection: close to a response on a connection kept open", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/lone"))
    expect(200, r)
    assert.is_false(H.says_close(r))
  end)

  it("turns a handler's error before the head into a 500 with no detail, logged with its traceback", function()
    local server = start(SCRIPT)
    local r = H.request(server, H.get("/early"))
    assert.equal("HTTP/1.1 500 Internal Server Error", r.status_line)
    assert.is_nil(r.body:find("secret-boom", 1, true))
    assert.is_nil(r.body:find("traceback", 1, true))
    assert.is_nil(r.body:find("server.lua", 1, true))
    assert.truthy(T.wait_until(function()
      local log = server:log_text()
      return log:find("secret-boom", 1, true) and log:find("server%.lua:%d+")
    end, 3), server:log_text())
  end)

  it("keeps the child serving after a handler's error", function()
    local server = start(SCRIPT)
    local pid = server:children()[1]
    expect(500, (H.request(server, H.get("/early"))))
    local r = H.request(server, H.get("/lone"))
    expect(200, r)
    assert.same({pid}, server:children())
  end)

  it("closes the connection on a handler's error after the head was sent", function()
    local server = start(SCRIPT)
    local c = H.connect(server)
    local r = H.exchange(c, H.get("/late"))
    expect(200, r)
    assert.equal("partial", r.body)
    assert.is_not_nil(r.err)  -- no last chunk: the response is cut short
    assert.truthy(r.err == "closed" or r.err:find("reset"), r.err)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("late-boom", 1, true)
    end, 3), server:log_text())
  end)
end)
