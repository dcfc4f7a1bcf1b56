-- Dequeue processes against the running binary: MaxDequeue and
-- DequeueInterval start fresh processes that load the script and run its
-- Dequeue; they may wait, are killed when hung, never accept, are not
-- counted in the pool and stop with the server.
local socket = require "socket"
local T = require "spec.helpers.server"

-- The script's common part: Dequeue appends "what pid runs now" lines to
-- the file DIR/runs (DIR is substituted by start), one per event.
local COMMON = [[
StartServer = 2
DequeueInterval = 0.1
RUNS = 0   -- a fresh Lua state in every dequeue process: always 0 here
function note(what)
  local f = assert(io.open("DIR/runs", "a"))
  f:write(what, " ", tine.pid, " ", ("%.3f"):format(tine.now()), "\n")
  f:close()
end
function ClientConnected(c) c:write("hi ", tine.pid, "\n") end
function ClientInput(c, line) c:write(line, "\n") end
]]

-- Start tine on COMMON plus body, the runs file in the server's directory.
local function start(body, opts)
  local dir = T.tmpdir()
  opts = opts or {}
  opts.script = (COMMON .. body):gsub("DIR", dir)
  opts.children = opts.children or 2
  local server = T.start(opts)
  server.runs = dir .. "/runs"
  return server
end

-- The runs file's lines as {what, pid, time} tables.
local function runs(server)
  local list = {}
  for what, pid, t in (T.read_file(server.runs) or ""):gmatch(
      "(%S+) (%d+) ([%d.]+)\n") do
    list[#list + 1] = {what = what, pid = tonumber(pid), t = tonumber(t)}
  end
  return list
end

-- Pids that wrote `what`, in order, without repeats.
local function pids_of(server, what)
  local seen, list = {}, {}
  for _, r in ipairs(runs(server)) do
    if r.what == what and not seen[r.pid] then
      seen[r.pid] = true
      list[#list + 1] = r.pid
    end
  end
  return list
end

-- Wait until at least n pids wrote `what`; those pids.
local function wait_for(server, what, n, timeout)
  local pids = T.wait_until(function()
    local p = pids_of(server, what)
    return #p >= n and p
  end, timeout or 10)
  assert(pids, ("fewer than %d %q in %s\n%s"):format(n, what,
         T.read_file(server.runs) or "", server:log_text()))
  return pids
end

-- The master's child processes that are not among the dequeue pids.
local function pool_children(server, dequeue_pids)
  local skip, list = {}, {}
  for _, p in ipairs(dequeue_pids) do skip[p] = true end
  for _, p in ipairs(server:children()) do
    if not skip[p] then list[#list + 1] = p end
  end
  return list
end

-- Once a Dequeue has begun, TERM the master and wait for its exit (status
-- 0), which leaves that dequeue process gone too; its pid and the seconds
-- from TERM to the exit.
local function term_while_dequeue_runs(server)
  local pid = wait_for(server, "begin", 1)[1]
  local t0 = socket.gettime()
  T.signal(server.pid, "TERM")
  assert.equal(0, server:wait_exit(10))
  assert.is_false(T.alive(pid))
  return pid, socket.gettime() - t0
end

describe("dequeue processes", function()
  after_each(function() T.stop_all() end)

  it("repeat as fresh processes, each loading the script", function()
    local server = start([[
MaxDequeue = 1
function Dequeue() RUNS = RUNS + 1; note("run" .. RUNS) end
]])
    wait_for(server, "run1", 3)
    local lines = runs(server)
    local pids = pids_of(server, "run1")
    assert.equal(#lines, #pids)  -- each run its own process...
    for _, r in ipairs(lines) do
      assert.equal("run1", r.what)  -- ...and its own fresh Lua state
      assert.are_not.equal(server.pid, r.pid)
    end
    T.wait_until(function() return not T.alive(pids[1]) end, 5)
    assert.is_false(T.alive(pids[1]))  -- it exited once Dequeue returned
  end)

  it("may wait (tine.sleep) and ends when Dequeue returns", function()
    local server = start([[
MaxDequeue = 1
function Dequeue() note("begin"); tine.sleep(0.3); note("end") end
]])
    local ended = wait_for(server, "end", 2)
    local began = {}
    for _, r in ipairs(runs(server)) do
      if r.what == "begin" then began[r.pid] = r.t end
      if r.what == "end" and r.pid == ended[1] then
        assert.is_true(r.t - began[r.pid] >= 0.29)
      end
    end
    assert.truthy(T.wait_until(function() return not T.alive(ended[1]) end, 5))
    assert.falsy(server:log_text():find("Dequeue failed", 1, true))
  end)

  it("that fail are logged with the traceback; the next ones run", function()
    local server = start([[
MaxDequeue = 1
function Dequeue() note("run"); error("queue broken") end
]])
    local pids = wait_for(server, "run", 2)
    local log = server:log_text()
    -- the log writes a line break inside a message as \n
    assert.truthy(log:find("Dequeue failed: [^\n]*queue broken\\nstack traceback:"), log)
    assert.truthy(T.wait_until(function()
      return server:log_text():find("dequeue process " .. pids[1] ..
                                    " exited with status 1", 1, true)
    end, 5), server:log_text())
  end)

  it("that loops forever is killed after MaxServerExpireTime, naming Dequeue", function()
    local server = start([[
MaxDequeue = 1
DequeueInterval = 0.2
MasterHeartBeatTime = 0.2
MaxServerExpireTime = 1
function Dequeue() note("spin"); while true do end end
]])
    local pid = wait_for(server, "spin", 1)[1]
    local pattern = "dequeue process " .. pid ..
                    " killed: no heartbeat for [%d.]+ s, in Dequeue since"
    assert.truthy(T.wait_until(function()
      return server:log_text():find(pattern)
    end, 10), server:log_text())
    assert.truthy(T.wait_until(function() return not T.alive(pid) end, 5))
    local c = server:connect()  -- the pool serves on
    assert.truthy(c:receive("*l"):match("^hi %d+$"))
    c:close()
  end)

  it("never accept: every client is served by a child", function()
    local server = start([[
MaxDequeue = 2
function Dequeue() note("dq"); tine.sleep(30) end
]])
    local dq = wait_for(server, "dq", 2)
    local is_dq = {[dq[1]] = true, [dq[2]] = true}
    local clients, served = {}, {}
    for i = 1, 40 do
      local c = server:connect()
      local pid = tonumber(assert(c:receive("*l")):match("hi (%d+)"))
      assert.is_nil(is_dq[pid] and pid)
      served[pid] = true
      clients[i] = c
    end
    for _, c in ipairs(clients) do c:close() end
    for pid in pairs(served) do assert.is_true(T.alive(pid)) end
  end)

  it("are at most MaxDequeue at once", function()
    local server = start([[
MaxDequeue = 2
DequeueInterval = 0.05
function Dequeue() note("begin"); tine.sleep(0.4); note("end") end
]])
    wait_for(server, "end", 5)
    local events = {}
    for _, r in ipairs(runs(server)) do
      events[#events + 1] = {t = r.t, d = r.what == "begin" and 1 or -1}
    end
    table.sort(events, function(a, b)
      if a.t ~= b.t then return a.t < b.t end
      return a.d < b.d  -- an end before a begin at the same instant
    end)
    local now, most = 0, 0
    for _, e in ipairs(events) do
      now = now + e.d
      most = math.max(most, now)
    end
    assert.equal(2, most)
  end)

  it("are not counted in the pool: StartServer, TTIN and TTOU are unaffected", function()
    local server = start([[
StartServer = 3
MaxServer = 3
MasterHeartBeatTime = 0.1
MaxDequeue = 2
function Dequeue() note("dq"); tine.sleep(30) end
]], {children = 3})
    local dq = wait_for(server, "dq", 2)
    local function count(n)
      return T.wait_until(function()
        return #pool_children(server, dq) == n
      end, 5)
    end
    assert.truthy(count(3))
    socket.sleep(0.5)  -- five pool ticks: nothing stopped to make room
    assert.equal(3, #pool_children(server, dq))
    T.signal(server.pid, "TTIN")
    assert.truthy(count(4), server:log_text())
    T.signal(server.pid, "TTOU")
    T.signal(server.pid, "TTOU")
    assert.truthy(count(2), server:log_text())
    for _, p in ipairs(dq) do assert.is_true(T.alive(p)) end
  end)

  it("are waited for on a graceful stop, up to GraceExpireTime", function()
    local server = start([[
MaxDequeue = 1
GraceExpireTime = 5
function Dequeue()
  note("begin"); tine.sleep(1)
  note(tine.stopping() and "stopped" or "unstopped")
end
]])
    local pid = term_while_dequeue_runs(server)
    assert.same({pid}, pids_of(server, "stopped"))
  end)

  -- Dequeue processes are never replaced, so tine.recycle() stops the one
  -- it runs in, as TERM to it does; the master is not asked.
  it("take tine.recycle() as a stop: tine.stopping(), then the exit", function()
    local server = start([[
MaxDequeue = 1
function Dequeue()
  note("begin")
  tine.recycle()
  tine.sleep(0.1)
  note(tine.stopping() and "stopped" or "unstopped")
end
]])
    local pid = wait_for(server, "stopped", 1)[1]
    assert.equal(0, #pids_of(server, "unstopped"))
    assert.truthy(T.wait_until(function() return not T.alive(pid) end, 5))
    local log = server:log_text()
    assert.truthy(log:find("tine.recycle() in a dequeue process: stopping it",
                           1, true), log)
    assert.falsy(log:find("asked to be recycled", 1, true), log)
  end)

  it("still in Dequeue at GraceExpireTime end with the server", function()
    local server = start([[
MaxDequeue = 1
GraceExpireTime = 0.5
function Dequeue() note("begin"); tine.sleep(30); note("end") end
]])
    local _, took = term_while_dequeue_runs(server)
    assert.is_true(took < 4)
    assert.equal(0, #pids_of(server, "end"))
    assert.truthy(server:log_text():find(
      "Dequeue still running GraceExpireTime", 1, true), server:log_text())
  end)

  it("run on through a reload; new ones load the new script", function()
    local server = start([[
MaxDequeue = 1
DequeueInterval = 0.2
function Dequeue() note("v1"); tine.sleep(1); note("v1done") end
]])
    local old = wait_for(server, "v1", 1)[1]
    local text = T.read_file(server.script):gsub('"v1', '"v2')
    T.write_file(server.script, text)
    T.signal(server.pid, "HUP")
    wait_for(server, "v2", 1)
    assert.same(old, wait_for(server, "v1done", 1)[1])
  end)

  it("need a Dequeue function", function()
    local server = start("MaxDequeue = 1\n", {wait = false})
    assert.equal(1, server:wait_exit(10))
    assert.truthy(server:log_text():find(
      "MaxDequeue: 1, but the script defines no Dequeue function", 1, true))
    local flag = start("", {wait = false, args = {"--max-dequeue", "2"}})
    assert.equal(2, flag:wait_exit(10))
  end)
end)
