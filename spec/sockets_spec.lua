-- Outgoing sockets (tine.tcp, OpenResty's cosocket API) against real
-- servers on loopback, name lookups through a fake nameserver, and
-- OpenResty's own pure-Lua libraries through tine.ngx.
local socket = require "socket"
local T = require "spec.helpers.server"
local B = require "spec.helpers.backends"

-- Each command line runs one scenario in ClientInput and answers with one
-- line: the scenario's results joined with spaces (nil as "nil").
local SCRIPT = [[
StartServer = 1
MaxServer = 1
REDIS, SILENT, REFUSED, FULL = %d, %d, %d, %d
Resolver = { "%s" }
local function line(...)
  local out = {}
  for i = 1, select("#", ...) do out[i] = tostring((select(i, ...))) end
  return table.concat(out, " ")
end
local function redis(timeout)
  local s = tine.tcp()
  if timeout then s:settimeout(timeout) end
  assert(s:connect("127.0.0.1", REDIS))
  return s
end
local scenarios = {}
function scenarios.ping()
  local s = redis()
  local sent = s:send({"PI", {"NG", {"\r"}}, "\n"})
  return sent, s:receive()
end
function scenarios.byname()
  local s = tine.tcp()
  local ok, err = s:connect("redis.test", REDIS)
  s:send("PING\r\n")
  return ok, err, s:receive("*l")
end
function scenarios.resolve()
  local found = tine.resolve("redis.test")
  local none, err = tine.resolve("nowhere.test")
  local s = tine.tcp()
  return found[1], #found, none, err, s:connect("nowhere.test", REDIS)
end
function scenarios.refused()
  return tine.tcp():connect("127.0.0.1", REFUSED)
end
function scenarios.connect_timeout()
  local s = tine.tcp()
  s:settimeouts(150, 1000, 1000)
  return s:connect("127.0.0.1", FULL)
end
function scenarios.read_timeout()
  local s = tine.tcp()
  s:settimeout(100)
  assert(s:connect("127.0.0.1", SILENT))
  local data, err, partial = s:receive()
  return data, err, partial, s:send("still usable\r\n")
end
function scenarios.sizes()
  local s = redis()
  s:send("SET k hello\r\nGET k\r\n")
  local ok = s:receive()
  local len = s:receive("*l")
  return ok, len, s:receive(7) == "hello\r\n"
end
function scenarios.all()
  local s = redis()
  s:send("QUIT\r\n")
  local all = s:receive("*a")
  return all == "+OK\r\n", s:receive()
end
scenarios["until"] = function()
  local s = redis()
  s:send("PING\r\nECHO abcdefgh\r\n")
  local reader = s:receiveuntil("\r\n")
  local pong = reader()
  local length = reader()
  local chunks = {}
  repeat
    local piece = reader(3)
    chunks[#chunks + 1] = piece
  until not piece
  return pong, length, table.concat(chunks, ",")
end
function scenarios.keepalive()
  local s = redis()
  local first = s:getreusedtimes()
  local ok = s:setkeepalive(10000, 4)
  local again = redis()
  local reused = again:getreusedtimes()
  again:send("PING\r\n")
  local pong = again:receive()
  again:setkeepalive()
  return first, ok, reused, pong, s:send("x")
end
function scenarios.unread()
  local s = redis()
  s:send("PING\r\nPING\r\n")
  tine.sleep(0.05)            -- both replies come in one read
  local first = s:receive()   -- the second stays in the socket's buffer
  return first, s:setkeepalive()
end
function scenarios.unread_kernel()
  local s = redis()
  s:send("PING\r\n")
  tine.sleep(0.05)            -- the reply waits in the kernel, unread
  local kept = s:setkeepalive()
  local again = redis()       -- the pool peeks, drops it, connects anew
  again:send("PING\r\n")
  return kept, again:getreusedtimes(), again:receive()
end
function scenarios.resty()
  ngx = require "tine.ngx"
  local redis_lib = require "nginx.redis"
  local red = redis_lib:new()
  red:set_timeout(1000)
  assert(red:connect("127.0.0.1", REDIS))
  red:set("counter", 41)
  local n = red:incr("counter")
  local missing = red:get("no such key")
  local ok = red:set_keepalive(10000, 10)
  local lrucache = require "resty.lrucache"
  local cache = lrucache.new(2)
  cache:set("a", 1)
  cache:set("b", 2, 0.05)
  cache:set("c", 3)
  tine.sleep(0.1)
  return n, missing == ngx.null, ok, (cache:get("a")), (cache:get("b")),
         (cache:get("c"))
end
function scenarios.ngx_missing()
  local ngx_table = require "tine.ngx"
  return pcall(function() return ngx_table.re.match("a", "a") end)
end
function ClientInput(c, cmd)
  c:write(line(scenarios[cmd]()), "\n")
end
]]

describe("tine.tcp()", function()
  local server, redis
  setup(function()
    redis = B.redis()
    local silent = B.silent()
    local full = socket.tcp()
    assert(full:bind("127.0.0.1", 0))
    assert(full:listen(0))
    local _, full_port = full:getsockname()
    -- Fill the queue of `full`, so a new connection hangs in its handshake.
    for _ = 1, 3 do
      local filler = socket.tcp()
      filler:settimeout(0.1)
      filler:connect("127.0.0.1", full_port)
    end
    local dns = B.fake_dns({"redis.test"})
    server = T.start{script = SCRIPT:format(redis.port, silent, B.refusing(),
                                            tonumber(full_port), dns),
                     children = 1}
  end)
  teardown(function() T.stop_all(); B.stop_all() end)

  local function run(cmd)
    local c = server:connect()
    c:settimeout(10)
    c:send(cmd .. "\n")
    local reply, err = c:receive("*l")
    c:close()
    return reply or ("(no reply: " .. tostring(err) .. ") " .. server:log_text())
  end

  it("sends strings, numbers and nested tables whole", function()
    assert.equal("6 +PONG", run("ping"))
  end)

  it("connects by host name through the Resolver", function()
    assert.equal("true nil +PONG", run("byname"))
  end)

  it("resolves names without blocking; an unknown host is an error", function()
    assert.equal("127.0.0.1 1 nil no such host nil no such host", run("resolve"))
  end)

  it("reports refusals and time-outs in OpenResty's words", function()
    assert.equal("nil connection refused", run("refused"))
    assert.equal("nil timeout", run("connect_timeout"))
    assert.equal("nil timeout  14", run("read_timeout"))
  end)

  it("receives lines, sizes, everything, and until a delimiter", function()
    assert.equal("+OK $5 true", run("sizes"))
    assert.equal("true nil closed ", run("all"))
    assert.equal("+PONG $8 abc,def,gh", run("until"))
  end)

  it("reuses kept-alive connections, and refuses one with unread data", function()
    assert.equal("0 1 1 +PONG nil closed", run("keepalive"))
    assert.equal("+PONG nil unread data in buffer", run("unread"))
    assert.equal("1 0 +PONG", run("unread_kernel"))
  end)

  it("runs lua-resty-redis and lua-resty-lrucache unchanged through tine.ngx", function()
    assert.equal("42 true 1 nil nil 3", run("resty"))
  end)

  it("names what tine.ngx does not offer", function()
    local reply = run("ngx_missing")
    assert.truthy(reply:find("false .*ngx%.re is not offered by tine"), reply)
  end)
end)
