-- Operational settings against the running binary: User, Allow/Deny,
-- MaxOutputBuffer, Daemonize, PidFile.
local T = require "spec.helpers.server"
local socket = require "socket"

local GREET = [[
function ClientConnected(c) c:write("hi\n") end
function ClientInput(c, line) c:write("echo ", line, "\n") end
]]

-- The uid a process runs as, from /proc.
local function uid_of(pid)
  local status = T.read_file("/proc/" .. pid .. "/status") or ""
  return tonumber(status:match("\nUid:%s+(%d+)"))
end

describe("User", function()
  after_each(function() T.stop_all() end)

  it("makes children drop to that user while the master keeps its own", function()
    local nobody = tonumber(T.sh("id -u nobody"))
    local server = T.start{script = 'StartServer = 1\nUser = "nobody"\n' .. GREET,
                           children = 1, readable = true}
    local c = server:connect()
    assert.equal("hi", c:receive("*l"))
    assert.equal(nobody, uid_of(server:children()[1]))
    assert.equal(0, uid_of(server.pid))
  end)

  it("serves a script in a directory only root can read (read before the drop)", function()
    local nobody = tonumber(T.sh("id -u nobody"))
    -- T.start's directory is root's alone (0700) unless readable is set
    local server = T.start{script = 'StartServer = 1\nUser = "nobody"\n' .. GREET,
                           children = 1, own_copy = true}
    assert.truthy(T.sh("stat -c %a " .. server.dir):find("^700"))
    local c = server:connect()
    assert.equal("hi", c:receive("*l"))
    assert.equal(nobody, uid_of(server:children()[1]))
  end)

  it("that does not exist is refused, naming the setting", function()
    local server = T.start{script = 'User = "no-such-user-here"\n' .. GREET,
                           wait = false}
    assert.equal(1, server:wait_exit(10))
    assert.truthy(server:log_text():find('User: no such user "no%-such%-user%-here"'))
  end)
end)

describe("Allow and Deny", function()
  after_each(function() T.stop_all() end)

  local function greeting(server)
    local c = server:connect()
    local line = c:receive("*l")
    c:close()
    return line
  end

  it("close a denied peer before any callback", function()
    local server = T.start{script = 'StartServer = 1\nDeny = {"127.0.0.0/8"}\n' ..
                           GREET, children = 1}
    assert.is_nil(greeting(server))
  end)

  it("close a peer that matches no entry of a non-empty Allow", function()
    local server = T.start{script = 'StartServer = 1\nAllow = {"10.0.0.0/8", "::1"}\n' ..
                           GREET, children = 1}
    assert.is_nil(greeting(server))
  end)

  it("let in a peer that Allow names", function()
    local server = T.start{script = 'StartServer = 1\nAllow = {"127.0.0.1"}\n' ..
                           GREET, children = 1}
    assert.equal("hi", greeting(server))
  end)

  it("with a malformed entry are refused, naming the setting", function()
    local dir = T.tmpdir()
    T.write_file(dir .. "/s.lua", 'Deny = {"10.0.0.0/40"}\n' .. GREET)
    local out = T.sh(T.bin .. " --check " .. dir .. "/s.lua 2>&1; echo exit=$?")
    assert.truthy(out:find('Deny: "10.0.0.0/40" is not an address or CIDR block'))
    assert.truthy(out:find("exit=1"))
  end)
end)

describe("MaxOutputBuffer", function()
  after_each(function() T.stop_all() end)

  it("stops reading a client that does not read its replies, until it does", function()
    local server = T.start{script = [[
StartServer = 1
MaxOutputBuffer = 1048576
local lines, big = 0, string.rep("x", 1048575) .. "\n"
function ClientInput(c, line)
  if line == "count" then return c:write(lines, "\n") end
  lines = lines + 1
  c:write(big)
end
]], children = 1}
    local slow = server:connect()
    slow:send(string.rep("more\n", 50))
    local probe = server:connect()
    local function count()
      probe:send("count\n")
      return tonumber(probe:receive("*l"))
    end
    -- wait (bounded) until the count stops changing for 0.2 s
    local stalled, since, last = nil, socket.gettime(), count()
    assert.truthy(T.wait_until(function()
      local now = count()
      if now ~= last then last, since = now, socket.gettime() end
      if socket.gettime() - since >= 0.2 then stalled = now end
      return stalled
    end, 5), "the count never settled")
    assert.truthy(stalled < 50, "lines taken while the client read nothing: " .. stalled)
    assert.equal(stalled, count())
    -- read everything: input is taken again as the queue drains
    slow:settimeout(10)
    local got = 0
    while got < 50 * 1048576 do
      local chunk, err, partial = slow:receive(1048576)
      chunk = chunk or partial
      assert.is_nil(err, err)
      got = got + #chunk
    end
    assert.equal(50, count())
  end)
end)

describe("Daemonize", function()
  local dir, pid
  -- whatever happens, nothing is left behind: the daemon is killed and its
  -- folder removed
  after_each(function()
    pid = pid or tonumber(dir and T.read_file(dir .. "/pid") or "")
    if pid and T.alive(pid) then
      for _, k in ipairs(T.children_of(pid)) do T.signal(k, "KILL") end
      T.signal(pid, "KILL")
    end
    if dir then os.execute("rm -rf " .. dir) end
    dir, pid = nil, nil
  end)

  it("detaches: the command returns, the master serves and stops on TERM", function()
    dir = T.tmpdir()
    local port = T.free_port()
    T.write_file(dir .. "/s.lua", ("Port = %d\nStartServer = 1\n"):format(port) .. GREET)
    local rc = os.execute(("%s %s/s.lua --daemonize --pid-file %s/pid --log-file %s/log")
                          :format(T.bin, dir, dir, dir))
    assert.equal(0, rc)
    pid = T.wait_until(function() return tonumber(T.read_file(dir .. "/pid") or "") end, 5)
    assert.is_not_nil(pid)
    local c = T.connect(port)
    assert.equal("hi", c:receive("*l"))
    c:close()
    T.signal(pid, "TERM")
    assert.truthy(T.wait_until(function() return not T.alive(pid) end, 5))
    assert.is_nil(T.read_file(dir .. "/pid"))
    assert.truthy(T.read_file(dir .. "/log"):find("listening on"))
  end)
end)

describe("Daemonize tells the truth", function()
  local dir
  after_each(function()
    local pid = tonumber(dir and T.read_file(dir .. "/pid") or "")
    if pid and T.alive(pid) then
      for _, k in ipairs(T.children_of(pid)) do T.signal(k, "KILL") end
      T.signal(pid, "KILL")
    end
    if dir then os.execute("rm -rf " .. dir) end
    dir = nil
  end)

  -- Run tine --daemonize on script text; its output and exit status.
  local function daemonize(text, extra)
    dir = T.tmpdir()
    local port = T.free_port()
    T.write_file(dir .. "/s.lua", ("Port = %d\n"):format(port) .. text)
    local out = T.sh(("%s %s/s.lua --daemonize --pid-file %s/pid %s 2>&1; echo exit=$?")
                     :format(T.bin, dir, dir, extra or ""))
    return out, tonumber(out:match("exit=(%d+)%s*$")), port
  end

  it("returns 0 only once the first generation is ready", function()
    -- ChildStart waits before the child is ready: the command must wait too
    local out, status, port = daemonize("StartServer = 1\n" ..
      "function ChildStart() tine.sleep(0.5) end\n" .. GREET)
    assert.equal(0, status, out)
    -- no wait here: a client is served the moment the command returned
    local c = T.connect(port)
    c:settimeout(0.2)
    assert.equal("hi", c:receive("*l"))
    c:close()
  end)

  it("exits 1 with the script's error when no child can start", function()
    local out, status = daemonize("StartServer = 1\n" ..
      "function ChildStart() error('no database here') end\n" .. GREET)
    assert.equal(1, status, out)
    assert.truthy(out:find("no child could start", 1, true), out)
    assert.truthy(out:find("s%.lua:%d+: no database here"), out)
    local pid = tonumber(T.read_file(dir .. "/pid") or "")
    assert.truthy(T.wait_until(function() return not (pid and T.alive(pid)) end, 5))
  end)

  it("exits 1 with the reason when the PidFile is held", function()
    local first = T.start{script = "StartServer = 1\n" .. GREET, children = 1}
    local out, status = daemonize("StartServer = 1\n" .. GREET,
                                  "--pid-file " .. first.dir .. "/pid")
    assert.equal(1, status, out)
    assert.truthy(out:find("is held by a running master", 1, true), out)
    T.stop_all()
  end)
end)

describe("PidFile", function()
  after_each(function() T.stop_all() end)

  it("refuses to start a second master over a live one", function()
    local first = T.start{script = "StartServer = 1\n" .. GREET, children = 1}
    local out = T.sh(("%s %s --port %d --pid-file %s/pid 2>&1; echo exit=$?")
                     :format(T.bin, first.script, T.free_port(), first.dir))
    assert.truthy(out:find("PidFile: [^\n]* is held by a running master %(pid " .. first.pid .. "%)"), out)
    assert.truthy(out:find("exit=1"))
    assert.equal(first.pid, tonumber(T.read_file(first.dir .. "/pid")))
  end)

  it("moves when a reload changes it", function()
    local dir = T.tmpdir()
    local port = T.free_port()
    local function script(pidfile)
      return ("Port = %d\nStartServer = 1\nPidFile = %q\n"):format(port, pidfile) .. GREET
    end
    T.write_file(dir .. "/s.lua", script(dir .. "/a.pid"))
    T.sh(("%s %s/s.lua >%s/log 2>&1 & echo $! > %s/bg"):format(T.bin, dir, dir, dir))
    local pid = tonumber(T.read_file(dir .. "/bg"))
    local first = T.wait_until(function()
      return tonumber(T.read_file(dir .. "/a.pid") or "") == pid end, 15)
    T.write_file(dir .. "/s.lua", script(dir .. "/b.pid"))
    T.signal(pid, "HUP")
    local moved = T.wait_until(function()
      return tonumber(T.read_file(dir .. "/b.pid") or "") == pid
             and not T.read_file(dir .. "/a.pid") end, 10)
    T.signal(pid, "TERM")
    local gone = T.wait_until(function() return not T.alive(pid) end, 10)
    if not gone then T.signal(pid, "KILL") end
    local log = T.read_file(dir .. "/log")
    local left = T.read_file(dir .. "/b.pid")
    os.execute("rm -rf " .. dir)
    assert.truthy(first, log)
    assert.truthy(moved, log)
    assert.truthy(gone, log)
    assert.is_nil(left)
  end)

  it("is not blocked by a stale file naming a live process that is no master", function()
    local dir = T.tmpdir()
    T.write_file(dir .. "/s.lua", ("StartServer = 1\nPort = %d\n"):format(T.free_port()) .. GREET)
    T.write_file(dir .. "/pid", "1\n")  -- init is alive, and holds no lock
    T.sh(("%s %s/s.lua --pid-file %s/pid >%s/log 2>&1 & echo $! > %s/bg")
         :format(T.bin, dir, dir, dir, dir))
    local pid = tonumber(T.read_file(dir .. "/bg"))
    local took = T.wait_until(function()
      return tonumber(T.read_file(dir .. "/pid") or "") == pid
    end, 15)
    T.signal(pid, "TERM")
    local gone = T.wait_until(function() return not T.alive(pid) end, 10)
    if not gone then T.signal(pid, "KILL") end
    local log = T.read_file(dir .. "/log")
    os.execute("rm -rf " .. dir)
    assert.truthy(took, log)
    assert.truthy(gone, log)
  end)
end)
