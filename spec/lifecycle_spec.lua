-- Starting and stopping the server, the command line and exit statuses.
local T = require "spec.helpers.server"
local socket = require "socket"

local ECHO = [[
function ClientConnected(c) c:write("hi ", tine.pid, "\n") end
function ClientInput(c, line)
  if line == "shutdown" then tine.shutdown() end
  c:write("echo ", line, "\n")
end
function ChildStop() tine.log("info", "ChildStop in " .. tine.pid) end
]]

-- Run tine with args to completion; its output and exit status.
local function run(args)
  local out = T.sh(T.bin .. " " .. args .. " 2>&1; echo \"exit=$?\"")
  local status = tonumber(out:match("exit=(%d+)%s*$"))
  return out:gsub("exit=%d+%s*$", ""), status
end

describe("stopping", function()
  after_each(function() T.stop_all() end)

  it("on TERM is graceful: open connections are served until they close, exit 0",
     function()
    local server = T.start{script = "StartServer = 2\n" .. ECHO, children = 2}
    local c = server:connect()
    local pid = tonumber(c:receive("*l"):match("hi (%d+)"))
    T.signal(server.pid, "TERM")
    -- the child with a connection stays and keeps serving it
    assert.truthy(T.wait_until(function()
      return #server:children() == 1 end, 5))
    assert.same({pid}, server:children())
    c:send("still here\n")
    assert.equal("echo still here", c:receive("*l"))
    -- no new connection is served
    local late = socket.tcp()
    late:settimeout(0.3)
    if late:connect("127.0.0.1", server.port) then
      assert.is_nil((late:receive("*l")))
    end
    late:close()
    assert.is_nil(server:exit_status())
    c:close()
    assert.equal(0, server:wait_exit(5))
    assert.truthy(server:log_text():find("ChildStop in " .. pid))
  end)

  it("on a second TERM is immediate", function()
    local server = T.start{script = "StartServer = 1\n" .. ECHO, children = 1}
    local c = server:connect()
    c:receive("*l")
    T.signal(server.pid, "TERM")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("gracefully") end, 2), server:log_text())
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(5))
    local _, err = c:receive("*l")
    assert.equal("closed", err)
  end)

  it("on QUIT kills the children at once, exit 0", function()
    local server = T.start{script = "StartServer = 2\n" .. ECHO, children = 2}
    local c = server:connect()
    c:receive("*l")
    local kids = server:children()
    T.signal(server.pid, "QUIT")
    assert.equal(0, server:wait_exit(5))
    for _, k in ipairs(kids) do assert.is_false(T.alive(k)) end
  end)

  it("kills a child that outstays GraceExpireTime", function()
    local server = T.start{script = "StartServer = 1\nGraceExpireTime = 0.5\n"
                                    .. ECHO, children = 1}
    local c = server:connect()
    c:receive("*l")
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(5))
    assert.truthy(server:log_text():find("GraceExpireTime"))
  end)

  it("when a script calls tine.shutdown(), for the whole server", function()
    local server = T.start{script = "StartServer = 3\n" .. ECHO, children = 3}
    local c = server:connect()
    c:receive("*l")
    c:send("shutdown\n")
    assert.equal("echo shutdown", c:receive("*l"))
    c:close()
    assert.equal(0, server:wait_exit(10))
    assert.truthy(server:log_text():find("tine.shutdown%(%) called by a child"))
  end)

  it("leaves no child behind when the master is killed with SIGKILL", function()
    local server = T.start{script = "StartServer = 3\n" .. ECHO, children = 3}
    local kids = server:children()
    local c = server:connect()
    c:receive("*l")
    T.signal(server.pid, "KILL")
    assert.truthy(T.wait_until(function()
      for _, k in ipairs(kids) do if T.alive(k) then return false end end
      return true
    end, 2))
    local _, err = c:receive("*l")
    assert.equal("closed", err)
  end)

  it("removes its PidFile at exit", function()
    local server = T.start{script = "StartServer = 1\n" .. ECHO, children = 1}
    assert.truthy(T.read_file(server.dir .. "/pid"))
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(5))
    assert.is_nil(T.read_file(server.dir .. "/pid"))
  end)
end)

describe("starting", function()
  after_each(function() T.stop_all() end)

  it("exits 1 with the script's error when no child can start", function()
    local server = T.start{script = "StartServer = 2\n" .. ECHO ..
      "function ChildStart() error('no database here') end\n", wait = false}
    assert.equal(1, server:wait_exit(10))
    local log = server:log_text()
    assert.truthy(log:find("no child could start: [^\n]*server%.lua:%d+: no database here"), log)
  end)

  it("exits 1 when the address is in use", function()
    local holder = assert(socket.bind("127.0.0.1", 0))
    local _, port = holder:getsockname()
    local server = T.start{script = ECHO, port = tonumber(port), wait = false}
    assert.equal(1, server:wait_exit(10))
    assert.truthy(server:log_text():find("Address already in use"))
    holder:close()
  end)

  it("warns about a near miss of a setting's name", function()
    local dir = T.tmpdir()
    T.write_file(dir .. "/s.lua", "MaxServers = 3\n" .. ECHO)
    local out, status = run("--check " .. dir .. "/s.lua")
    assert.equal(0, status)
    assert.truthy(out:find("global MaxServers is not a setting; did you mean MaxServer%?"))
  end)
end)

describe("the command line", function()
  local dir
  after_each(function() T.stop_all() end)
  before_each(function()
    dir = T.tmpdir()
    T.write_file(dir .. "/s.lua", "MaxServer = 8\nStartServer = 3\n" .. ECHO)
  end)

  it("--check prints the effective settings, flags beating the script", function()
    local out, status = run("--check " .. dir .. "/s.lua --max-server 12 " ..
                            "--master-heart-beat-time=0.5 --listen unix:/tmp/a " ..
                            "--listen '[::1]:9000' --daemonize")
    assert.equal(0, status)
    assert.truthy(out:find("\nMaxServer = 12\n"))
    assert.truthy(out:find("\nStartServer = 3\n"))
    assert.truthy(out:find("\nMinServer = 3\n"))
    assert.truthy(out:find("\nMaxSpareServer = 9\n"))
    assert.truthy(out:find("\nServerHeartBeatTime = 0.25\n"))
    assert.truthy(out:find("\nMaxServerExpireTime = 2.5\n"))
    assert.truthy(out:find('\nListen = {"unix:/tmp/a", "%[::1%]:9000"}\n'))
    assert.truthy(out:find("\nDaemonize = true\n"))
    assert.truthy(out:find("^Port = 10000\n"))
  end)

  it("refuses an unknown flag with status 2", function()
    local out, status = run(dir .. "/s.lua --max-servers 3")
    assert.equal(2, status)
    assert.truthy(out:find("unknown option %-%-max%-servers"))
  end)

  it("refuses a malformed flag value naming the setting, status 2", function()
    local out, status = run(dir .. "/s.lua --max-server lots")
    assert.equal(2, status)
    assert.truthy(out:find("MaxServer: expected a whole number"))
  end)

  it("refuses contradictory flags naming the setting, status 2", function()
    local out, status = run("--check " .. dir .. "/s.lua --min-server 9")
    assert.equal(2, status)
    assert.truthy(out:find("MinServer: 9 is more than MaxServer %(8%)"))
  end)

  it("refuses a malformed list or user flag naming the setting, status 2", function()
    local out, status = run("--check " .. dir .. "/s.lua --listen nonsense")
    assert.equal(2, status)
    assert.truthy(out:find("Listen: \"nonsense\" is not host:port"))
    out, status = run("--check " .. dir .. "/s.lua --user no-such-user-here")
    assert.equal(2, status)
    assert.truthy(out:find('User: no such user "no%-such%-user%-here"'))
  end)

  it("refuses the same in the script with status 1", function()
    T.write_file(dir .. "/bad.lua", 'Listen = {"nonsense"}\n' .. ECHO)
    local out, status = run("--check " .. dir .. "/bad.lua")
    assert.equal(1, status)
    assert.truthy(out:find("Listen: "))
    T.write_file(dir .. "/bad.lua", 'Group = "no-such-group-here"\n' .. ECHO)
    out, status = run("--check " .. dir .. "/bad.lua")
    assert.equal(1, status)
    assert.truthy(out:find('Group: no such group'))
  end)

  it("refuses a bad setting in the script naming it, status 1", function()
    T.write_file(dir .. "/bad.lua", "MasterHeartBeatTime = 0\n" .. ECHO)
    local out, status = run("--check " .. dir .. "/bad.lua")
    assert.equal(1, status)
    assert.truthy(out:find("MasterHeartBeatTime: must be between 0.01 and 86400, got 0", 1, true), out)
  end)

  it("refuses contradictory script settings, status 1", function()
    T.write_file(dir .. "/bad.lua", "StartServer = 30\n" .. ECHO)
    local out, status = run("--check " .. dir .. "/bad.lua")
    assert.equal(1, status)
    assert.truthy(out:find("StartServer: 30 is more than MaxServer %(20%)"))
  end)

  it("brings the defaults within a --max-server below them (--check shows it)",
     function()
    T.write_file(dir .. "/plain.lua", ECHO)
    local out, status = run("--check " .. dir .. "/plain.lua --max-server 3")
    assert.equal(0, status, out)
    assert.truthy(out:find("\nStartServer = 3\n"), out)
    assert.truthy(out:find("\nMinServer = 3\n"), out)
    assert.truthy(out:find("\nMinSpareServer = 3\n"), out)
  end)

  it("runs with --max-server 3 and no other count given", function()
    local server = T.start{script = ECHO, args = {"--max-server 3"},
                           children = 3}
    assert.truthy(T.wait_until(function()
      return #server:children() == 3 end, 5))
    local c = server:connect()
    assert.truthy(c:receive("*l"):match("^hi %d+"))
    c:close()
  end)

  it("refuses a flag that clashes with a script value with status 2", function()
    T.write_file(dir .. "/five.lua", "StartServer = 5\n" .. ECHO)
    local out, status = run("--check " .. dir .. "/five.lua --max-server 3")
    assert.equal(2, status, out)
    assert.truthy(out:find("StartServer: 5 is more than MaxServer %(3%)"), out)
  end)

  it("takes --filter http for a script without ClientInput", function()
    T.write_file(dir .. "/web.lua", 'function HttpRequest() return "x" end\n')
    local out, status = run("--check " .. dir .. "/web.lua --filter http")
    assert.equal(0, status, out)
    assert.truthy(out:find('\nFilter = "http"\n'), out)
    out, status = run("--check " .. dir .. "/web.lua")
    assert.equal(1, status)
    assert.truthy(out:find("no ClientInput"), out)
  end)

  it("reports a syntax error as file:line, status 1", function()
    T.write_file(dir .. "/bad.lua", "Port = 1\nfunction ClientInput(c, l\n")
    local out, status = run("--check " .. dir .. "/bad.lua")
    assert.equal(1, status)
    assert.truthy(out:find("bad%.lua:%d+:"))
  end)

  it("refuses a script without ClientInput, status 1", function()
    T.write_file(dir .. "/bad.lua", "Port = 1\n")
    local out, status = run("--check " .. dir .. "/bad.lua")
    assert.equal(1, status)
    assert.truthy(out:find("no ClientInput"))
  end)

  it("prints help and version with status 0", function()
    local out, status = run("--help")
    assert.equal(0, status)
    assert.truthy(out:find("%-%-max%-session%-per%-server"))
    out, status = run("--version")
    assert.equal(0, status)
    assert.truthy(out:find("^tine %d+%.%d+"))
  end)
end)
