-- ProxyProtocol: the PROXY header a load balancer sends, from
-- TrustedProxies only, naming the original client (SPEC "Behind a proxy").
local T = require "spec.helpers.server"

local SCRIPT = [[
StartServer = 1
MaxServer = 1
ProxyProtocol = true
LogLevel = "debug"
function ClientConnected(c) c:write("hi ", c.remote_ip, " ", c.remote_port, "\n") end
function ClientInput(c, l) c:write("echo ", l, "\n") end
]]

-- A PROXY v2 header for a TCP over IPv4 connection from src:sport.
local function v2_tcp4(src, sport, dst, dport)
  local function ip(text)
    local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
  end
  local function u16(n) return string.char(math.floor(n / 256), n % 256) end
  local body = ip(src) .. ip(dst) .. u16(sport) .. u16(dport)
  return "\r\n\r\n\0\r\nQUIT\n" .. "\33\17" .. u16(#body) .. body
end

-- Connect, send bytes, return the first line (or nil, err).
local function first_line(server, bytes)
  local c = server:connect()
  c:settimeout(2)
  c:send(bytes)
  local line, err = c:receive("*l")
  c:close()
  return line, err
end

describe("ProxyProtocol", function()
  after_each(function() T.stop_all() end)

  it("takes the original client from a v1 header", function()
    local server = T.start{script = SCRIPT, children = 1}
    local c = server:connect()
    c:settimeout(2)
    c:send("PROXY TCP4 192.0.2.7 198.51.100.1 4321 80\r\nping\n")
    assert.equal("hi 192.0.2.7 4321", c:receive("*l"))
    assert.equal("echo ping", c:receive("*l"))
    c:close()
    assert.equal("hi 2001:db8::9 555",
                 first_line(server, "PROXY TCP6 2001:db8::9 2001:db8::1 555 80\r\n"))
  end)

  it("takes the original client from a v2 header", function()
    local server = T.start{script = SCRIPT, children = 1}
    assert.equal("hi 203.0.113.5 40000",
                 first_line(server, v2_tcp4("203.0.113.5", 40000, "10.0.0.1", 80)))
  end)

  it("closes a connection without a valid header before any callback, counted", function()
    local server = T.start{script = SCRIPT, children = 1}
    local line, err = first_line(server, "hello\n")
    assert.is_nil(line)
    assert.equal("closed", err)
    line = first_line(server, "PROXY TCP4 999.1.1.1 10.0.0.1 1 2\r\n")
    assert.is_nil(line)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("PROXY: closed [^\n]*%(2 so far%)") end, 3),
      server:log_text())
  end)

  it("closes a peer that is not in TrustedProxies", function()
    local server = T.start{script = SCRIPT .. 'TrustedProxies = {"10.0.0.0/8"}\n',
                           children = 1}
    local line, err = first_line(server, "PROXY TCP4 192.0.2.7 198.51.100.1 4321 80\r\n")
    assert.is_nil(line)
    assert.equal("closed", err)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("not in TrustedProxies") end, 3))
  end)

  it("applies Deny to the original client, not to the proxy", function()
    local server = T.start{script = SCRIPT .. 'Deny = {"192.0.2.0/24"}\n', children = 1}
    assert.is_nil((first_line(server, "PROXY TCP4 192.0.2.7 198.51.100.1 4321 80\r\n")))
    assert.equal("hi 198.51.100.9 1",
                 first_line(server, "PROXY TCP4 198.51.100.9 198.51.100.1 1 80\r\n"))
  end)

  it("closes a connection that sends no whole header within 5 s", function()
    local server = T.start{script = SCRIPT, children = 1}
    local c = server:connect()
    c:settimeout(8)
    c:send("PROXY TCP4 192.0")
    local started = os.time()
    local line, err = c:receive("*l")
    assert.is_nil(line)
    assert.equal("closed", err)
    assert.truthy(os.time() - started <= 7)
  end)
end)
