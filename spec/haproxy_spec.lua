-- Many hosts behind HAProxy (SPEC "Behind a proxy"): two tine instances
-- (two ports on loopback stand for two hosts) behind HAProxy with
-- send-proxy-v2 and health checks, reloaded with HUP in turn under load.
local socket = require "socket"
local T = require "spec.helpers.server"
local B = require "spec.helpers.backends"

local SCRIPT = [[
StartServer = 2
MasterHeartBeatTime = 0.5
ProxyProtocol = true
function ClientInput(c, l)
  c:write(c.remote_ip, " ", c.remote_port, " ", tine.generation, "\n")
end
]]

local CONFIG = [[
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  retries 3
  option redispatch
frontend front
  bind 127.0.0.1:@PORT@
  default_backend hosts
backend hosts
  balance roundrobin
  server a 127.0.0.1:%d send-proxy-v2 check check-send-proxy inter 200ms
  server b 127.0.0.1:%d send-proxy-v2 check check-send-proxy inter 200ms
]]

-- One request through HAProxy on a new connection: the reply's fields,
-- checked against the client's own address; or nil and why.
local function ask(port)
  local c = socket.tcp()
  c:settimeout(3)
  local ok, err = c:connect("127.0.0.1", port)
  if not ok then return nil, "connect: " .. err end
  local _, my_port = c:getsockname()
  c:send("who\n")
  local line, rerr = c:receive("*l")
  c:close()
  if not line then return nil, "receive: " .. rerr end
  local ip, seen_port, gen = line:match("^(%S+) (%d+) (%d+)$")
  if ip ~= "127.0.0.1" or tonumber(seen_port) ~= tonumber(my_port) then
    return nil, "tine saw " .. line .. ", the client is 127.0.0.1 " .. my_port
  end
  return tonumber(gen)
end

describe("behind HAProxy", function()
  after_each(function() T.stop_all(); B.stop_all() end)

  it("loses no request while each host is reloaded in turn, and sees the clients", function()
    local a = T.start{script = SCRIPT, children = 2}
    local b = T.start{script = SCRIPT, children = 2}
    local lb = B.haproxy(CONFIG:format(a.port, b.port))
    local failures, served = {}, 0
    local step = 0   -- 0: before, 1: a reloading, 2: b reloading, 3: done
    local deadline = socket.gettime() + 30
    while step < 3 and socket.gettime() < deadline do
      local gen, err = ask(lb.port)
      if gen then served = served + 1 else failures[#failures + 1] = err end
      if step == 0 and served >= 50 then
        T.signal(a.pid, "HUP"); step = 1
      elseif step == 1 and a:log_text():find("generation 1 is up") then
        T.signal(b.pid, "HUP"); step = 2
      elseif step == 2 and b:log_text():find("generation 1 is up") then
        step = 3
      end
    end
    -- then the old children go: answers settle on the new generations
    -- (20 in a row), still without a failure
    local in_a_row, settle = 0, socket.gettime() + 15
    while in_a_row < 20 and socket.gettime() < settle do
      local gen, err = ask(lb.port)
      if gen then served = served + 1 else failures[#failures + 1] = err end
      in_a_row = gen == 1 and in_a_row + 1 or 0
    end
    assert.equal(3, step, "the reloads did not finish: " .. a:log_text() .. b:log_text())
    assert.same({}, failures)
    assert.truthy(served >= 70)
    assert.equal(20, in_a_row)
  end)
end)
