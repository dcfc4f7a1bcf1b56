-- Running under a service manager: NOTIFY_SOCKET messages and socket
-- activation (LISTEN_FDS), with a fake notify socket and inherited sockets.
local T = require "spec.helpers.server"
local unix = require "socket.unix"

local SCRIPT = [[
StartServer = 2
MasterHeartBeatTime = 0.1
function ClientConnected(c)
  c:write("hi ", tostring(os.getenv("NOTIFY_SOCKET")), " ",
          tostring(os.getenv("LISTEN_FDS")), "\n")
end
function ClientInput(c, line) end
]]

describe("under systemd", function()
  after_each(function() T.stop_all() end)

  it("reports READY, STATUS, RELOADING and STOPPING to NOTIFY_SOCKET", function()
    local dir = T.tmpdir()
    local path = dir .. "/notify"
    local sink = assert(unix.dgram())
    assert(sink:bind(path))
    sink:settimeout(5)
    local server = T.start{script = SCRIPT, children = 2,
                           wrap = "export NOTIFY_SOCKET=" .. path}
    -- read messages until one matches pattern (bounded by the timeout)
    local function expect(pattern)
      for _ = 1, 50 do
        local msg = sink:receive()
        if not msg then return nil end
        if msg:find(pattern) then return msg end
      end
    end
    assert.truthy(expect("^READY=1$"))
    assert.truthy(expect("^STATUS=generation 0: 2 children, 2 idle, 0 connections, 0 accepted$"))
    local c = server:connect()
    assert.equal("hi nil nil", c:receive("*l"))   -- not passed on to scripts
    -- the scoreboard's counts reach the status: one connection, accepted
    -- (a spare may be forked meanwhile: the busy child left one idle)
    assert.truthy(expect("^STATUS=generation 0: %d children, %d idle, 1 connections, 1 accepted$"))
    T.signal(server.pid, "HUP")
    assert.truthy(expect("^RELOADING=1\nMONOTONIC_USEC=%d+$"))
    assert.truthy(expect("^READY=1$"))
    c:close()
    T.signal(server.pid, "TERM")
    assert.truthy(expect("^STOPPING=1$"))
    assert.equal(0, server:wait_exit(10))
    sink:close()
  end)

  it("serves on the sockets it is handed instead of binding its own", function()
    local dir = T.tmpdir()
    local port, path = T.free_port(), dir .. "/activated.sock"
    local server = T.start{script = SCRIPT, children = 2,
      via = ("%s --tcp 127.0.0.1:%d --unix %s --")
            :format(os.getenv("TINE_SOCKET_ACTIVATE"), port, path)}
    local c = T.connect(port)
    assert.equal("hi nil nil", c:receive("*l"))
    c:close()
    local u = assert(unix.stream())
    u:settimeout(5)
    assert(u:connect(path))
    assert.equal("hi nil nil", u:receive("*l"))
    u:close()
    assert.is_nil((require("socket").tcp():connect("127.0.0.1", server.port)))
    assert.truthy(server:log_text():find("using 2 socket%(s%) from the service manager"))
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(10))
    assert.equal("socket", T.sh("stat -c %F " .. path):match("socket"))
  end)
end)
