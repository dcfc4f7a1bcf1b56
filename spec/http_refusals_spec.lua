-- HTTP mode (SPEC "HTTP"): what tine refuses to read, and its limits
-- (MaxHeaderSize, MaxBodySize, RequestTimeout). Each refusal is answered,
-- then the connection closed, and the handler never runs: HttpRequest counts
-- its calls, and /count (a fresh connection) tells the count.
local T = require "spec.helpers.server"
local H = require "spec.helpers.http"

local SCRIPT = [[
Filter = "http"
StartServer = 1
MaxServer = 1
calls = 0
Handlers = { { "^/count$", function() return tostring(calls) end } }
function HttpRequest(req)
  calls = calls + 1
  return "ok " .. #req.body
end
]]

local function start(args)
  local server = T.start{script = SCRIPT, children = 1, args = args}
  server.child = server:children()[1]
  return server
end

-- The handler's calls so far, asked on a fresh connection of the same child.
local function count(server)
  local r = H.request(server, H.get("/count", {"Connection: close"}))
  assert.equal("HTTP/1.1 200 OK", H.status_line(r))
  assert.same({server.child}, server:children())
  return r.body
end

-- Send bytes on a fresh connection; the response must have one of codes
-- (a number or a list), say Connection: close, and be followed by a close;
-- the handler must not have run (it ran `served` times before: 0 unless
-- given). Returns the response.
local function refused(server, bytes, codes, served)
  if type(codes) == "number" then codes = {codes} end
  local c = H.connect(server)
  H.send(c, bytes)
  local r = H.read_response(c)
  local line = H.status_line(r)
  local ok = false
  for _, code in ipairs(codes) do
    if line:find(H.line(code)) then ok = true end
  end
  assert(ok, ("expected %s, got %s for %q"):format(table.concat(codes, " or "), line, bytes:sub(1, 200)))
  assert.equal("close", r.headers.connection)
  local closed, why = H.closed(c)
  assert(closed, "the connection was not closed: " .. tostring(why))
  c:close()
  assert.equal(tostring(served or 0), count(server))
  return r
end

local function post(headers, body)
  return H.build{method = "POST", headers = headers, body = body, length = false}
end

describe("HTTP refusals", function()
  after_each(function() T.stop_all() end)

  it("runs the handler for a well-formed request (the control)", function()
    local server = start()
    local r = H.request(server, H.build{method = "POST", body = "abc"})
    assert.equal("HTTP/1.1 200 OK", r.status_line)
    assert.equal("ok 3", r.body)
    assert.equal("1", count(server))
  end)

  it("refuses both Transfer-Encoding and Content-Length with a 400", function()
    local server = start()
    local r = refused(server, post{"Content-Length: 5", "Transfer-Encoding: chunked"}, 400)
    assert.equal("HTTP/1.1 400 Bad Request", r.status_line)
  end)

  it("refuses differing Content-Length lines with a 400", function()
    local server = start()
    refused(server, post{"Content-Length: 5", "Content-Length: 6"}, 400)
  end)

  it("refuses a Content-Length list of differing values with a 400", function()
    local server = start()
    refused(server, post{"Content-Length: 5, 6"}, 400)
  end)

  it("refuses a malformed Content-Length with a 400", function()
    local server = start()
    for _, bad in ipairs{"abc", "-1", "+5", "1.5", "0x10", "5 5", ""} do
      refused(server, post{"Content-Length: " .. bad}, 400)
    end
  end)

  it("refuses an unknown transfer coding with a 400", function()
    local server = start()
    refused(server, post{"Transfer-Encoding: bogus"}, 400)
  end)

  it("refuses a folded header line (obs-fold) with a 400", function()
    local server = start()
    refused(server, H.get("/", {"X-Folded: a", " b"}), 400)
  end)

  it("refuses a bad chunk size with a 400", function()
    local server = start()
    refused(server, post({"Transfer-Encoding: chunked"}, "zz\r\n"), 400)
  end)

  it("refuses a chunk size too large to hold with a 400 or a 413", function()
    local server = start()
    refused(server, post({"Transfer-Encoding: chunked"}, ("F"):rep(40) .. "\r\n"), {400, 413})
  end)

  it("refuses a bare CR in the head with a 400", function()
    local server = start()
    refused(server, H.get("/", {"X-A: a\rb"}), 400)
  end)

  it("refuses a NUL in a header with a 400", function()
    local server = start()
    refused(server, H.get("/", {"X-A: a\0b"}), 400)
  end)

  it("refuses an HTTP/1.1 request without Host with a 400", function()
    local server = start()
    refused(server, H.build{target = "/", host = false}, 400)
  end)

  it("takes an HTTP/1.0 request without Host", function()
    local server = start()
    local r = H.request(server, H.build{version = "1.0", target = "/"})
    assert.matches(H.line(200, "1%.[01]"), H.status_line(r))
    assert.equal("1", count(server))
  end)

  it("refuses HTTP/2.0 with a 505", function()
    local server = start()
    refused(server, "GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505)
  end)

  it("refuses HTTP/1.2 with a 505", function()
    local server = start()
    refused(server, "GET / HTTP/1.2\r\nHost: localhost\r\n\r\n", 505)
  end)
end)

describe("HTTP limits", function()
  after_each(function() T.stop_all() end)

  it("refuses a header block over MaxHeaderSize with a 431", function()
    local server = start{"--max-header-size", "1024"}
    refused(server, H.get("/" .. ("t"):rep(500), {"X-Pad: " .. ("p"):rep(600)}), 431)
  end)

  it("refuses many small headers over MaxHeaderSize with a 431", function()
    local server = start{"--max-header-size", "1024"}
    local headers = {}
    for i = 1, 150 do headers[i] = ("X-H%d: v"):format(i) end
    refused(server, H.get("/", headers), 431)
  end)

  it("takes a head within MaxHeaderSize", function()
    local server = start{"--max-header-size", "1024"}
    local r = H.request(server, H.get("/", {"X-Pad: " .. ("p"):rep(800)}))
    assert.equal("HTTP/1.1 200 OK", H.status_line(r))
    assert.equal("1", count(server))
  end)

  it("refuses a target alone over MaxHeaderSize with a 414", function()
    local server = start{"--max-header-size", "1024"}
    refused(server, H.get("/" .. ("t"):rep(2000)), 414)
  end)

  it("has MaxHeaderSize 16384 by default", function()
    local server = start()
    local r = H.request(server, H.get("/", {"X-Pad: " .. ("p"):rep(15000)}))
    assert.equal("HTTP/1.1 200 OK", H.status_line(r))
    assert.equal("1", count(server))
    refused(server, H.get("/", {"X-Pad: " .. ("p"):rep(17000)}), 431, 1)
  end)

  it("refuses a Content-Length over MaxBodySize with a 413 before any of the body is sent", function()
    local server = start{"--max-body-size", "100"}
    refused(server, post{"Content-Length: 101"}, 413)
  end)

  it("refuses a chunked body over MaxBodySize with a 413 before the chunk is sent", function()
    local server = start{"--max-body-size", "100"}
    refused(server, post({"Transfer-Encoding: chunked"}, "65\r\n"), 413)  -- 101 bytes
    refused(server, post({"Transfer-Encoding: chunked"},
                         "64\r\n" .. ("b"):rep(100) .. "\r\n1\r\n"), 413)  -- 100 + 1
  end)

  it("takes a body of MaxBodySize", function()
    local server = start{"--max-body-size", "100"}
    local c = H.connect(server)
    local r = H.exchange(c, H.build{method = "POST", body = ("b"):rep(100)})
    assert.equal("HTTP/1.1 200 OK", H.status_line(r))
    assert.equal("ok 100", r.body)
    r = H.exchange(c, post({"Transfer-Encoding: chunked"},
                           "32\r\n" .. ("c"):rep(50) .. "\r\n32\r\n" .. ("d"):rep(50) .. "\r\n0\r\n\r\n"))
    assert.equal("ok 100", r.body)
  end)

  it("answers 408 to a head not received whole within RequestTimeout", function()
    local server = start{"--request-timeout", "1"}
    local c = H.connect(server, 3)
    local t0 = H.gettime()
    assert(H.send(c, "GET / HTTP/1.1\r\nHost: localhost\r\n"))
    local r = H.read_response(c)
    local waited = H.gettime() - t0
    assert.matches(H.line(408), H.status_line(r))
    assert.is_true(waited > 0.8 and waited < 2.5, "answered after " .. waited .. " s")
    assert.equal("close", r.headers.connection)
    assert.is_true(H.closed(c))
    assert.equal("0", count(server))
  end)

  it("answers 408 to a body not received whole within RequestTimeout", function()
    local server = start{"--request-timeout", "1"}
    local c = H.connect(server, 3)
    assert(H.send(c, post({"Content-Length: 10"}, "12345")))
    local r = H.read_response(c)
    assert.matches(H.line(408), H.status_line(r))
    assert.is_true(H.closed(c))
    assert.equal("0", count(server))
  end)

  it("answers 408 to a head that trickles in for longer than RequestTimeout", function()
    local server = start{"--request-timeout", "1"}
    local c = H.connect(server)
    local t0 = H.gettime()
    H.send(c, "GET / HTTP/1.1\r\nHost: localhost\r\n")
    local r
    for i = 1, 12 do  -- one header every 0.25 s, 3 s at most
      c:settimeout(0.25)
      local ch = c:receive(1)
      if ch then
        c:settimeout(2)
        r = H.read_response(c)
        r.status_line = r.status_line and ch .. r.status_line
        break
      end
      H.send(c, ("X-Drip-%d: x\r\n"):format(i))
    end
    c:settimeout(2)
    local waited = H.gettime() - t0
    assert.is_not_nil(r, "no answer within 3 s")
    assert.matches(H.line(408), H.status_line(r))
    assert.is_true(waited < 2.5, "answered after " .. waited .. " s")
    assert.equal("0", count(server))
  end)
end)
