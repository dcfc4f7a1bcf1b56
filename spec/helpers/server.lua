-- Helpers for the black-box specs: start the tine binary on a generated
-- script, talk to it over loopback, inspect its processes, stop it.
-- Every wait is bounded; every server started is stopped by stop_all();
-- every temporary directory is removed when the process exits.
local socket = require "socket"

local M = {}

M.bin = os.getenv("TINE_BIN") or "build/tine"
M.source_dir = os.getenv("TINE_SOURCE_DIR") or "."

local started = {}

-- Run a shell command; its whole standard output.
function M.sh(cmd)
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("*a")
  f:close()
  return out
end

function M.read_file(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- Every directory tmpdir() made, removed when the Lua state closes (kept
-- if TINE_SPEC_KEEP is set, to look at a failure's logs): busted closes
-- it as it exits, by os.exit(code, true) after a clean run or by luajit's
-- own exit after the error it raises when specs failed, and so runs the
-- finalizer of `remover`, kept alive as a field of M until then. A
-- signal that kills busted leaves them.
local temp_dirs = {}
local remover = newproxy(true)
getmetatable(remover).__gc = function()
  if os.getenv("TINE_SPEC_KEEP") then return end
  for _, dir in ipairs(temp_dirs) do os.execute("rm -rf '" .. dir .. "'") end
end
M.temp_dir_remover = remover

-- A fresh temporary directory, removed when the specs' process exits.
function M.tmpdir()
  local dir = M.sh("mktemp -d /tmp/tine-spec-XXXXXX"):gsub("%s+$", "")
  temp_dirs[#temp_dirs + 1] = dir
  return dir
end

-- A TCP port nobody listens on right now.
function M.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- Poll fn every 20 ms until it returns a true value or `timeout` seconds
-- pass; returns fn's value, or nil on time-out.
function M.wait_until(fn, timeout)
  local deadline = socket.gettime() + (timeout or 5)
  repeat
    local v = fn()
    if v then return v end
    socket.sleep(0.02)
  until socket.gettime() > deadline
  return nil
end

-- Is pid running? A zombie (exited, not yet reaped: orphans wait for
-- init, which may be slow in a container) is not.
function M.alive(pid)
  local stat = M.read_file("/proc/" .. pid .. "/stat")
  return stat ~= nil and not stat:match("^%d+ %(.-%) Z")
end

function M.signal(pid, sig)
  os.execute("kill -" .. sig .. " " .. pid .. " 2>/dev/null")
end

-- Pids of pid's child processes, sorted.
function M.children_of(pid)
  local pids = {}
  for p in M.sh("pgrep -P " .. pid):gmatch("%d+") do
    pids[#pids + 1] = tonumber(p)
  end
  table.sort(pids)
  return pids
end

local Server = {}
Server.__index = Server

-- Start tine on a script whose text is `opts.script` (Port is set to a
-- free port unless opts.port == false), with extra command-line `opts.args`.
-- opts.readable makes the script readable by other users (for User), and
-- opts.own_copy runs a copy of the binary from the server's directory (so
-- another user can execute it wherever the checkout lives);
-- opts.wrap is shell run first (DIR names the server's directory, e.g.
-- "ulimit -Hn 40"), opts.via a command that runs tine (e.g. setpriv ...).
-- Waits until opts.children (default 0) children exist. It never probes the
-- port: the listener is bound before any child is forked, so clients queue
-- in the backlog until a child accepts, and a probe would count as a
-- connection. Returns a server object.
function M.start(opts)
  local dir = M.tmpdir()
  if opts.readable then os.execute("chmod 755 " .. dir) end
  local self = setmetatable({dir = dir, log = dir .. "/log",
                             status_file = dir .. "/status"}, Server)
  self.port = opts.port ~= false and (opts.port or M.free_port()) or nil
  self.script = dir .. "/server.lua"
  local text = opts.script
  if self.port then text = ("Port = %d\n"):format(self.port) .. text end
  M.write_file(self.script, text)
  local bin = M.bin
  if opts.own_copy then
    bin = dir .. "/tine"
    os.execute(("cp %s %s && chmod 755 %s"):format(M.bin, bin, bin))
  end
  M.write_file(dir .. "/run.sh", table.concat({
    "DIR=" .. dir,
    opts.wrap or "",
    ("%s %s %s --pid-file %s/pid %s"):format(opts.via or "", bin,
      self.script, dir, table.concat(opts.args or {}, " ")),
    "echo $? > " .. self.status_file}, "\n") .. "\n")
  M.sh(("sh %s/run.sh >%s 2>&1 &"):format(dir, self.log))
  started[#started + 1] = self
  if opts.wait == false then return self end
  self.pid = M.wait_until(function()
    return tonumber(M.read_file(dir .. "/pid") or "")
  end, 10)
  assert(self.pid, "tine did not start: " .. (M.read_file(self.log) or ""))
  local want = opts.children or 0
  assert(M.wait_until(function() return #self:children() >= want end, 10),
         "children did not start: " .. self:log_text())
  return self
end

function Server:children() return self.pid and M.children_of(self.pid) or {} end
function Server:log_text() return M.read_file(self.log) or "" end

-- The master's exit status once it has exited (nil while it runs).
function Server:exit_status()
  local s = M.read_file(self.status_file)
  return s and tonumber(s:match("%d+"))
end

-- Wait (bounded) for the master to exit; its exit status or nil.
function Server:wait_exit(timeout)
  return M.wait_until(function() return self:exit_status() end, timeout or 10)
end

-- Kill the master and its children, whatever state they are in.
function Server:kill()
  self.pid = self.pid or tonumber(M.read_file(self.dir .. "/pid") or "")
  local kids = self:children()
  if self.pid then M.signal(self.pid, "KILL") end
  for _, k in ipairs(kids) do M.signal(k, "KILL") end
  self:wait_exit(5)
end

-- A connected client with a 5 s timeout on every operation.
function M.connect(port, host)
  local c = assert(socket.tcp())
  c:settimeout(5)
  assert(c:connect(host or "127.0.0.1", port))
  return c
end

function Server:connect() return M.connect(self.port) end

-- Stop every server the specs started (for after_each / teardown).
function M.stop_all()
  for _, s in ipairs(started) do s:kill() end
  started = {}
end

return M
