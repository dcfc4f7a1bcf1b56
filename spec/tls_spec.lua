-- TLS listeners (SPEC "TLS"): real TLS clients (luasec), the seed's
-- SSLKEYCERT, a plain-text client on a TLS port, HTTP over TLS, a bad
-- pair on HUP, a key only root can read with User set, back-pressure.
local socket = require "socket"
local ssl = require "ssl"
local T = require "spec.helpers.server"

-- A fresh self-signed ECDSA P-256 pair in dir: key, cert paths.
local function make_pair(dir)
  local key, cert = dir .. "/key.pem", dir .. "/cert.pem"
  T.sh(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        .. "-keyout %s -out %s -subj /CN=localhost -days 2 2>/dev/null")
       :format(key, cert))
  return key, cert
end

-- A TLS connection to port (no verification: the pair is self-signed);
-- nil and the error if the handshake fails.
local function tls_connect(port, alpn)
  local c = socket.tcp()
  c:settimeout(3)
  assert(c:connect("127.0.0.1", port))
  local s = assert(ssl.wrap(c, {mode = "client", protocol = "any",
                                verify = "none", alpn = alpn}))
  s:settimeout(3)
  local ok, err = s:dohandshake()
  if not ok then return nil, err end
  return s
end

local ECHO = [[
StartServer = 2
function ClientConnected(c) c:write("hi ", tine.generation, "\n") end
function ClientInput(c, l)
  if l == "big" then c:write(string.rep("x", 3 * 1024 * 1024), "\n") return end
  c:write("echo ", l, "\n")
end
]]

describe("TLS", function()
  local dir, key, cert
  before_each(function()
    dir = T.tmpdir()
    key, cert = make_pair(dir)
  end)
  after_each(function() T.stop_all() end)

  it("serves a line protocol over TLS on the Port listener", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                           .. ECHO, children = 2}
    local s = assert(tls_connect(server.port))
    assert.equal("hi 0", s:receive("*l"))
    s:send("hello\n")
    assert.equal("echo hello", s:receive("*l"))
    s:close()
  end)

  it("takes the seed's SSLKEYCERT = { key, cert }", function()
    local server = T.start{script = ("SSLKEYCERT = { %q, %q }\n"):format(key, cert)
                           .. ECHO, children = 2}
    local s = assert(tls_connect(server.port))
    assert.equal("hi 0", s:receive("*l"))
    s:close()
  end)

  it("has tls: Listen entries among plain ones", function()
    local tls_port = T.free_port()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\nPort = 0\n")
                           :format(cert, key)
                           .. ("Listen = {\"tls:127.0.0.1:%d\", \"127.0.0.1:%d\"}\n")
                           :format(tls_port, T.free_port()) .. ECHO,
                           port = false, children = 2}
    local s = assert(tls_connect(tls_port))
    assert.equal("hi 0", s:receive("*l"))
    s:close()
    assert.truthy(server.pid)
  end)

  it("closes a plain-text client on a TLS port without harm to the others", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n")
                           :format(cert, key) .. ECHO, children = 2}
    local s = assert(tls_connect(server.port))
    assert.equal("hi 0", s:receive("*l"))
    local plain = server:connect()
    plain:settimeout(3)
    plain:send("GET / HTTP/1.0\r\n\r\n")
    local got, err = plain:receive("*a")
    assert.truthy(got == nil or not got:find("hi"), got)
    plain:close()
    s:send("still\n")
    assert.equal("echo still", s:receive("*l"))
    s:close()
  end)

  it("waits for a silent client's handshake without spinning, then greets it", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\nStartServer = 1\n")
                           :format(cert, key) .. ECHO:gsub("StartServer = 2\n", ""),
                           children = 1}
    local child = server:children()[1]
    -- CPU ticks (1/100 s) the child has used so far
    local function ticks()
      local stat = T.read_file("/proc/" .. child .. "/stat")
      local fields = {}
      for f in stat:match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = f end
      return tonumber(fields[12]) + tonumber(fields[13])
    end
    local raw = server:connect()  -- TCP only: no ClientHello yet
    socket.sleep(0.2)  -- accepted, ClientConnected has queued the greeting
    local before = ticks()
    socket.sleep(1)
    -- a child spinning on "writable" while the handshake waits burns ~100
    local used = ticks() - before
    assert.is_true(used < 30, "the child used " .. used .. " ticks in 1 s")
    local s = assert(ssl.wrap(raw, {mode = "client", protocol = "any",
                                    verify = "none"}))
    s:settimeout(3)
    assert(s:dohandshake())
    assert.equal("hi 0", s:receive("*l"))
    s:close()
  end)

  it("finishes the handshake of a client closed before it, and sends what was queued", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\nStartServer = 1\n")
                           :format(cert, key) .. [[
function ClientConnected(c) c:write("bye\n"); c:close() end
function ClientInput(c, line) end
function ClientDisconnected(c, reason) tine.log("info", "gone " .. reason) end
]], children = 1}
    local raw = server:connect()  -- TCP only: the close comes before the ClientHello
    socket.sleep(0.2)
    local s = assert(ssl.wrap(raw, {mode = "client", protocol = "any",
                                    verify = "none"}))
    s:settimeout(3)
    assert(s:dohandshake())
    assert.equal("bye", s:receive("*l"))
    local _, err = s:receive("*l")
    assert.equal("closed", err)
    s:close()
    assert.truthy(T.wait_until(function()
      return server:log_text():find("gone ", 1, true) end, 5))
  end)

  it("speaks HTTP over TLS, offering ALPN http/1.1", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                           .. 'Filter = "http"\nHandlers = {{"^/$", function() return "secure\\n" end}}\n',
                           children = 2}
    local s = assert(tls_connect(server.port, {"http/1.1"}))
    assert.equal("http/1.1", s:getalpn())
    s:send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    local text = s:receive("*a")
    assert.truthy(text:find("^HTTP/1%.1 200 OK\r\n"), text)
    assert.truthy(text:find("\r\n\r\nsecure\n$"), text)
  end)

  it("keeps the running pair when a reload's pair is bad", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                           .. ECHO, children = 2}
    T.write_file(server.script, ("Port = %d\nTLSCertificate = %q\nTLSKey = %q\n")
                 :format(server.port, cert, dir .. "/missing.pem") .. ECHO)
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("the running certificate and key stay") end, 10),
      server:log_text())
    assert.truthy(T.wait_until(function()
      local s = tls_connect(server.port)
      local line = s and s:receive("*l")
      if s then s:close() end
      return line == "hi 1"
    end, 10), server:log_text())
  end)

  it("needs no access to the key in children that run as User", function()
    os.execute("chmod 700 " .. dir .. " && chmod 600 " .. key)
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\nUser = \"nobody\"\n")
                           :format(cert, key) .. ECHO, children = 2, readable = true}
    local s = assert(tls_connect(server.port))
    assert.equal("hi 0", s:receive("*l"))
    s:close()
  end)

  it("sends a large reply to a client that reads slowly (back-pressure)", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                           .. ECHO, children = 2}
    local s = assert(tls_connect(server.port))
    assert.equal("hi 0", s:receive("*l"))
    s:send("big\n")
    socket.sleep(0.3)   -- let the server fill the socket and wait
    local line = s:receive("*l")
    assert.equal(3 * 1024 * 1024, #line)
    s:send("after\n")
    assert.equal("echo after", s:receive("*l"))
    s:close()
  end)

  it("resumes a session on another child, and after a reload", function()
    local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                           .. "StartServer = 2\nfunction ClientConnected(c) c:write(tine.pid, \"\\n\") end\n"
                           .. "function ClientInput() end\n", children = 2}
    local sess = dir .. "/session.pem"
    -- one TLS 1.3 connection through openssl s_client: the greeting's pid
    -- and whether the session was resumed
    local function connect(args)
      local out = T.sh(("sleep 0.3 | timeout 5 openssl s_client -tls1_3 -connect 127.0.0.1:%d %s 2>&1")
                       :format(server.port, args))
      return out:match("\n(%d+)\r?\n"), out:find("Reused, TLSv1.3", 1, true) ~= nil,
             out:find("Post-Handshake New Session Ticket arrived", 1, true) ~= nil
    end
    local first = connect("-sess_out " .. sess)
    assert.truthy(first)
    local other, reused
    for _ = 1, 30 do
      local pid
      pid, reused = connect("-sess_in " .. sess)
      if pid and pid ~= first then other = pid break end
    end
    assert.truthy(other, "no connection reached the other child")
    assert.is_true(reused)
    -- a resumed session gets a fresh ticket, so a client that keeps its
    -- last session resumes every time, not every other time
    local _, again, fresh = connect("-sess_in " .. sess .. " -sess_out " .. sess)
    assert.is_true(again)
    assert.is_true(fresh)
    -- a reload rotates the ticket keys; the previous ones still decrypt
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("generation 1 is up") end, 10))
    local _, after = connect("-sess_in " .. sess)
    assert.is_true(after)
  end)

  describe("sock:sslhandshake", function()
    -- a client tine whose ClientInput talks TLS to the TLS tine at port
    local function client_script(port, verify)
      return ([[
StartServer = 1
function ClientInput(c, line)
  local s = tine.tcp()
  s:settimeout(3000)
  assert(s:connect("127.0.0.1", %d))
  local session, err = s:sslhandshake(nil, "localhost", %s)
  if not session then c:write("handshake: ", err, "\n") return end
  assert(s:receive())            -- the greeting
  s:send(line .. "\n")
  c:write(type(session), " ", s:receive(), "\n")
  local again = tine.tcp()
  assert(again:connect("127.0.0.1", %d))
  c:write(tostring(again:sslhandshake(false, "localhost")), "\n")
  again:close()
  s:setkeepalive()
end
]]):format(port, tostring(verify), port)
    end

    it("talks TLS to a server, waiting without blocking, with SNI", function()
      local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                             .. ECHO, children = 2}
      local client = T.start{script = client_script(server.port, false), children = 1}
      local c = client:connect()
      c:settimeout(5)
      c:send("over tls\n")
      assert.equal("userdata echo over tls", c:receive("*l"))
      assert.equal("true", c:receive("*l"))
    end)

    it("refuses a certificate the system does not trust when asked to verify", function()
      local server = T.start{script = ("TLSCertificate = %q\nTLSKey = %q\n"):format(cert, key)
                             .. ECHO, children = 2}
      local client = T.start{script = client_script(server.port, true), children = 1}
      local c = client:connect()
      c:settimeout(5)
      c:send("x\n")
      local line = c:receive("*l")
      assert.truthy(line:find("^handshake: 18: self.signed certificate"), line)
    end)
  end)
end)
