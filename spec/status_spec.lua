-- StatusListen against the running binary: /status names every child and
-- the callback a hung one is stuck in, /metrics is OpenMetrics, / is an
-- HTML table with a row per child, `tine status ADDRESS` prints the table,
-- and an address others could reach needs Allow.
local T = require "spec.helpers.server"
local cjson = require "cjson"
local socket = require "socket"

-- ClientInput hangs for good on "hang"; other lines are echoed.
local SCRIPT = [[
function ClientInput(c, line)
  if line == "hang" then while true do end end
  c:write("echo ", line, "\n")
end
]]

-- GET path from 127.0.0.1:port with HTTP/1.0: status code, head, body.
local function fetch(port, path)
  local c = T.connect(port)
  assert(c:send("GET " .. path .. " HTTP/1.0\r\n\r\n"))
  local answer = c:receive("*a")
  c:close()
  local head, body = answer:match("^(.-\r\n)\r\n(.*)$")
  assert(head, "not HTTP: " .. answer)
  return tonumber(head:match("^HTTP/1%.%d (%d+)")), head, body
end

-- /status, decoded.
local function status(port)
  local code, _, body = fetch(port, "/status")
  assert.equal(200, code)
  return cjson.decode(body)
end

-- A server with StatusListen on a free loopback port.
local function start(children, extra)
  local sport = T.free_port()
  local server = T.start{script = ("StartServer = %d\n%sStatusListen = " ..
                                   "\"127.0.0.1:%d\"\n"):format(
                           children, extra or "", sport) .. SCRIPT,
                         children = children}
  server.status_port = sport
  return server
end

-- Send one line to server and read its echo: a request counted.
local function echo(server, line)
  local c = server:connect()
  c:send(line .. "\n")
  assert.equal("echo " .. line, c:receive("*l"))
  c:close()
end

-- The pids in /status's children, sorted.
local function pids_of(st)
  local pids = {}
  for _, c in ipairs(st.children) do pids[#pids + 1] = c.pid end
  table.sort(pids)
  return pids
end

-- The problems text has as OpenMetrics (an empty list if none): every
-- sample's metric has a # TYPE before it (a counter's samples are
-- NAME_total), names match tine_[a-z_]+, the text ends with # EOF.
local function openmetrics_problems(text)
  local problems, types, eof = {}, {}, false
  for line in text:gmatch("([^\n]*)\n") do
    if eof then problems[#problems + 1] = "text after # EOF: " .. line end
    local tname, ttype = line:match("^# TYPE (%S+) (%S+)$")
    if line == "# EOF" then
      eof = true
    elseif tname then
      types[tname] = ttype
      if not tname:match("^tine_[a-z_]+$") then
        problems[#problems + 1] = "bad name " .. tname
      end
    elseif not line:match("^# HELP ") then
      local name, value = line:match("^([%w_]+)[^ ]* (%S+)$")
      local family = name and (types[name] and name or
                               name:match("^(.*)_total$"))
      if not family or not types[family] or not tonumber(value) then
        problems[#problems + 1] = "sample without a TYPE: " .. line
      elseif name ~= family and types[family] ~= "counter" then
        problems[#problems + 1] = "_total on a " .. types[family]
      end
    end
  end
  if not eof then problems[#problems + 1] = "no # EOF at the end" end
  return problems
end

describe("StatusListen", function()
  after_each(function() T.stop_all() end)

  it("/status names the master and every child", function()
    local server = start(3)
    local st = T.wait_until(function()
      local s = status(server.status_port)
      return #s.children == 3 and s
    end)
    assert.truthy(st, "three children in /status")
    assert.equal(server.pid, st.master.pid)
    assert.equal(server.script, st.master.script)
    assert.same(server:children(), pids_of(st))
    for _, c in ipairs(st.children) do
      assert.equal("serving", c.state)
      assert.equal(cjson.null, c.callback)
      assert.truthy(c.resident_bytes > 0)
    end
  end)

  it("names the callback a hung child is stuck in, while it hangs", function()
    local server = start(2, "MaxServerExpireTime = 60\n")
    local c = server:connect()
    c:send("one\n")
    assert.equal("echo one", c:receive("*l"))
    c:send("hang\n")
    local hung = T.wait_until(function()
      for _, child in ipairs(status(server.status_port).children) do
        if child.callback ~= cjson.null then return child end
      end
    end, 5)
    assert.truthy(hung, "a child in a callback")
    assert.equal("ClientInput", hung.callback)
    assert.truthy(T.alive(hung.pid))
    socket.sleep(0.3)
    local again
    for _, child in ipairs(status(server.status_port).children) do
      if child.pid == hung.pid then again = child end
    end
    assert.equal("ClientInput", again.callback)
    assert.truthy(again.callback_seconds > hung.callback_seconds)
    assert.equal(1, again.connections)
    assert.equal(2, again.requests)
    local st = status(server.status_port)
    assert.equal(2, st.totals.requests)
    assert.equal(1, st.totals.accepted)
  end)

  it("shows a child's loop lag and Lua heap from its heartbeats", function()
    -- a timer that holds the loop for 0.3 s every 0.5 s delays the
    -- heartbeat timer (every 0.1 s) behind it
    local server = start(1, "ServerHeartBeatTime = 0.1\n" ..
      "function ChildStart() tine.every(0.5, function() " ..
      "local t = os.clock() while os.clock() - t < 0.3 do end end) end\n")
    local child = T.wait_until(function()
      local c = status(server.status_port).children[1]
      return c and c.loop_lag_seconds > 0.1 and c
    end, 5)
    assert.truthy(child, "a loop lag over 0.1 s")
    assert.truthy(child.loop_lag_seconds < 1)
    assert.truthy(child.lua_heap_bytes > 0)
    assert.truthy(child.heartbeat_age_seconds < 1)
  end)

  it("/metrics is OpenMetrics", function()
    local server = start(2)
    echo(server, "x")
    local code, head, body = fetch(server.status_port, "/metrics")
    assert.equal(200, code)
    assert.truthy(head:lower():find("content%-type: application/openmetrics%-text"))
    assert.same({}, openmetrics_problems(body))
    assert.truthy(body:find("\ntine_children 2\n"))
    assert.truthy(body:find("\ntine_requests_total 1\n"))
    for _, pid in ipairs(server:children()) do
      assert.truthy(body:find('tine_child_connections{pid="' .. pid .. '"'))
    end
  end)

  it("the checker catches what is not OpenMetrics", function()
    assert.equal(1, #openmetrics_problems("# TYPE tine_a gauge\ntine_a 1\n"))
    assert.equal(3, #openmetrics_problems("tine_b 1\n# EOF\nx 1\n"))
    assert.equal(1, #openmetrics_problems("# TYPE tine_c gauge\ntine_c_total 1\n# EOF\n"))
    assert.equal(1, #openmetrics_problems("# TYPE Tine gauge\nTine 1\n# EOF\n"))
    assert.same({}, openmetrics_problems("# TYPE tine_d counter\ntine_d_total 1\n# EOF\n"))
  end)

  it("/ is an HTML page with a table row per child", function()
    local server = start(3)
    local code, head, body = fetch(server.status_port, "/")
    assert.equal(200, code)
    assert.truthy(head:lower():find("content%-type: text/html"))
    assert.truthy(body:find('<meta http%-equiv="refresh"'))
    local rows = body:match("<tbody>(.-)</tbody>")
    local n = 0
    for _ in rows:gmatch("<tr>") do n = n + 1 end
    assert.equal(3, n)
    for _, pid in ipairs(server:children()) do
      assert.truthy(rows:find("<tr><td>" .. pid .. "</td>"))
    end
  end)

  it("answers 404 elsewhere and 501 (evhttp's word) to a POST", function()
    local server = start(1)
    assert.equal(404, (fetch(server.status_port, "/nothing")))
    local c = T.connect(server.status_port)
    c:send("POST /status HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
    assert.truthy(c:receive("*l"):find("^HTTP/1%.%d 501"))
    c:close()
  end)

  it("tine status ADDRESS prints the table", function()
    local server = start(2)
    local out = T.sh(("%s status 127.0.0.1:%d; echo rc=$?"):format(
      T.bin, server.status_port))
    assert.truthy(out:find("tine master " .. server.pid .. " serving", 1, true))
    assert.truthy(out:find("pid%s+gen%s+state%s+conns"))
    for _, pid in ipairs(server:children()) do
      assert.truthy(out:find("\n%s*" .. pid .. "%s+0%s+serving"))
    end
    assert.truthy(out:find("rc=0\n$"))
  end)

  it("tine status exits 1 saying why when nothing answers", function()
    local out = T.sh(("%s status 127.0.0.1:%d 2>&1; echo rc=$?"):format(
      T.bin, T.free_port()))
    assert.truthy(out:find("^tine status: cannot connect to 127%.0%.0%.1:%d+: " ..
                           "Connection refused\nrc=1\n$"), out)
  end)

  it("serves on a unix socket, removed at exit", function()
    local dir = T.tmpdir()
    local path = dir .. "/status.sock"
    local server = T.start{script = ('StartServer = 1\nStatusListen = ' ..
                                     '"unix:%s"\n'):format(path) .. SCRIPT,
                           children = 1}
    local out = T.sh(("%s status unix:%s"):format(T.bin, path))
    assert.truthy(out:find("\n%s*" .. server:children()[1] .. "%s+0%s+serving"))
    T.signal(server.pid, "TERM")
    assert.equal(0, server:wait_exit(10))
    assert.falsy(T.read_file(path))
    assert.equal("", T.sh("ls " .. path .. " 2>/dev/null"))
  end)

  it("refuses an address others could reach unless Allow is set", function()
    local sport = T.free_port()
    local server = T.start{script = ('StatusListen = "0.0.0.0:%d"\n'):format(
                             sport) .. SCRIPT, wait = false}
    assert.equal(1, server:wait_exit(10))
    assert.truthy(server:log_text():find('StatusListen: "0.0.0.0:' .. sport ..
      '" is not a loopback address: set Allow to say who may read the ' ..
      'status page', 1, true))
    local flag = T.start{script = SCRIPT, wait = false,
                         args = {"--status-listen", "0.0.0.0:" .. sport}}
    assert.equal(2, flag:wait_exit(10))
    assert.truthy(flag:log_text():find("StatusListen:", 1, true))
  end)

  it("on such an address, lets in only whom Allow and Deny let in", function()
    local sport = T.free_port()
    local server = T.start{script = ('StartServer = 1\nAllow = {"10.0.0.0/8"}\n' ..
                                     'StatusListen = "0.0.0.0:%d"\n'):format(sport) ..
                             SCRIPT, children = 1}
    assert.equal(403, (fetch(sport, "/status")))
    server:kill()
    local open = T.start{script = ('StartServer = 1\nAllow = {"127.0.0.1"}\n' ..
                                   'StatusListen = "0.0.0.0:%d"\n'):format(sport) ..
                           SCRIPT, children = 1}
    assert.equal(200, (fetch(sport, "/status")))
    assert.truthy(open.pid)
  end)

  it("keeps serving through a reload, counting the old generation", function()
    local server = start(1)
    echo(server, "a")
    local old = server:children()[1]
    T.signal(server.pid, "HUP")
    local st = T.wait_until(function()
      local s = status(server.status_port)
      return s.master.generation == 1 and #s.children == 1 and
             s.children[1].pid ~= old and s
    end, 10)
    assert.truthy(st, "generation 1 alone in /status")
    assert.equal(1, st.children[1].generation)
    assert.equal(1, st.totals.requests)
    assert.equal(2, st.totals.children_started)
    assert.equal(1, st.totals.exits.stopped)
  end)

  it("keeps its address through a reload that changes it, and says so", function()
    local server = start(1)
    local text = T.read_file(server.script)
    T.write_file(server.script, text:gsub("StatusListen = \"127%.0%.0%.1:%d+\"",
      ('StatusListen = "127.0.0.1:%d"'):format(T.free_port())))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("StatusListen changes need a restart", 1, true)
    end, 10))
    assert.truthy(T.wait_until(function()
      return status(server.status_port).master.generation == 1
    end, 10))
  end)
end)
