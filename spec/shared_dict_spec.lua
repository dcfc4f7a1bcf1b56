-- Shared dictionaries: SharedDict, tine.shared.NAME and ngx.shared.NAME,
-- against the running binary. The script evaluates each line it gets as a
-- Lua chunk and answers with its results, so each spec says what it runs.
local socket = require "socket"
local T = require "spec.helpers.server"

-- The script, with StartServer n and extra settings text.
local function script(n, extra)
  return ("StartServer = %d\n%s\n"):format(n, extra or
    'SharedDict = { d = "1m", tiny = "12k" }') .. [[
local function show(...)
  local parts = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    parts[i] = type(v) == "string" and ("%q"):format(v) or tostring(v)
  end
  return table.concat(parts, " ")
end
function ClientInput(c, line)
  c:write(show(assert(loadstring(line))()) .. "\n")
end
]]
end

-- Send a chunk as one line (its newlines become blanks: no comments in
-- it) and read the answer.
local function ask(c, chunk)
  assert(c:send((chunk:gsub("\n", " ")) .. "\n"))
  return assert(c:receive("*l"))
end

-- A child's pid once it answers on a fresh connection, other than not.
local function answering_pid(server, not_pid)
  return T.wait_until(function()
    local kids = server:children()
    if #kids == 0 or kids[1] == not_pid then return nil end
    local c = server:connect()
    local pid = tonumber(ask(c, "return tine.pid"))
    c:close()
    return pid ~= not_pid and pid or nil
  end, 10)
end

describe("tine.shared", function()
  after_each(function() T.stop_all() end)

  it("answers as OpenResty's ngx.shared.DICT does", function()
    local server = T.start{script = script(1), children = 1}
    local c = server:connect()
    local D = "local d = tine.shared.d; return "
    local cases = {
      {"d:get('a')", "nil"},
      {"d:set('a', 1)", "true nil false"},
      {"d:get('a')", "1"},
      {"d:set('f', 'x', 0, 7)", "true nil false"},
      {"d:get('f')", '"x" 7'},
      {"d:add('a', 2)", 'false "exists" false'},
      {"d:add('b', true)", "true nil false"},
      {"d:get('b')", "true"},
      {"d:safe_add('b', false)", 'false "exists" false'},
      {"d:replace('zz', 1)", 'false "not found" false'},
      {"d:replace('a', 'two')", "true nil false"},
      {"d:get('a')", '"two"'},
      {"d:safe_set('s', false)", "true nil false"},
      {"d:get('s')", "false"},
      {"d:incr('a', 1)", 'nil "not a number"'},
      {"d:incr('n', 1)", 'nil "not found"'},
      {"d:incr('n', 5, 10)", "15 nil false"},
      {"d:incr('n', -1)", "14"},
      {"d:incr('n', 0.5, 0)", "14.5 nil false"},
      {"d:delete('n')", "true nil false"},
      {"d:get('n')", "nil"},
      {"d:set('a', nil)", "true nil false"},
      {"d:get('a')", "nil"},
      {"d:get(nil)", 'nil "nil key"'},
      {"d:get('')", 'nil "empty key"'},
      {"d:set('', 1)", 'nil "empty key"'},
      {"d:get(('k'):rep(65536))", 'nil "key too long"'},
      {"d:set('t', {})", 'nil "bad value type"'},
      {"d:set(5, 'five'), d:get('5')", 'true "five"'},
      {"d:ttl('nope')", 'nil "not found"'},
      {"d:ttl('b')", "0"},
      {"d:expire('nope', 1)", 'nil "not found"'},
      {"d:capacity()", "1048576"},
      {"(select(2, pcall(d.set, d, 'x', 1, -1))):match('bad argument #4') ~= nil", "true"},
      {"(select(2, pcall(d.get, 'x'))):match('bad argument #1') ~= nil", "true"},
      {"tostring(d)", '"tine.shared.d"'},
    }
    for _, case in ipairs(cases) do
      assert.equal(case[2], ask(c, D .. case[1]), case[1])
    end
    ask(c, "local d = tine.shared.d; d:flush_all(); d:set('x', 1); d:set('y', 2)")
    assert.equal('"y,x"', ask(c, D .. "table.concat(d:get_keys(), ',')"))
    assert.equal('"y"', ask(c, D .. "table.concat(d:get_keys(1), ',')"))
    assert.equal("", ask(c, D .. "d:flush_all()"))
    assert.equal("0 nil", ask(c, D .. "#d:get_keys(0), d:get('x')"))
  end)

  it("is ngx.shared through tine.ngx", function()
    local server = T.start{script = script(1), children = 1}
    local c = server:connect()
    assert.equal("true nil", ask(c, 'local ngx = require "tine.ngx"; ' ..
      "return ngx.shared.d == tine.shared.d, ngx.shared.nope"))
    assert.equal("true nil false",
                 ask(c, "return require('tine.ngx').shared.tiny:set('k', 'v')"))
    assert.equal('"v"', ask(c, "return tine.shared.tiny:get('k')"))
  end)

  it("adds up counts from many connections over several children exactly", function()
    local server = T.start{script = script(3), children = 3}
    local conns = {}
    for i = 1, 50 do conns[i] = server:connect() end
    local line = "local d = tine.shared.d; d:incr('pid:' .. tine.pid, 1, 0); " ..
                 "return d:incr('hits', 1, 0)"
    for _ = 1, 20 do
      for _, c in ipairs(conns) do assert(c:send(line .. "\n")) end
      for _, c in ipairs(conns) do assert(c:receive("*l")) end
    end
    local c = conns[1]
    assert.equal("1000", ask(c, "return tine.shared.d:get('hits')"))
    local children, sum = ask(c, [[local d, n, sum = tine.shared.d, 0, 0
      for _, k in ipairs(d:get_keys(0)) do
        if k:find("^pid:") then n, sum = n + 1, sum + d:get(k) end
      end
      return n, sum]]):match("^(%d+) (%d+)$")
    assert.equal("1000", sum)
    assert.is_true(tonumber(children) >= 2, "one child took every connection")
  end)

  it("expires keys after their TTL, and on expire()", function()
    local server = T.start{script = script(1), children = 1}
    local c = server:connect()
    local D = "local d = tine.shared.d; return "
    local t0 = socket.gettime()
    assert.equal("true nil false", ask(c, D .. "d:set('t', 'v', 0.3)"))
    assert.equal("true nil false", ask(c, D .. "d:set('e', 'w')"))
    assert.equal("true", ask(c, D .. "d:expire('e', 0.3)"))
    assert.equal('"v"', ask(c, D .. "d:get('t')"))
    local ttl = tonumber(ask(c, D .. "d:ttl('t')"))
    assert.is_true(ttl > 0 and ttl <= 0.3, "ttl " .. ttl)
    assert.truthy(T.wait_until(function()
      return ask(c, D .. "d:get('t'), d:get('e')") == "nil nil" end, 3))
    assert.is_true(socket.gettime() - t0 >= 0.25)
    assert.equal('nil "not found"', ask(c, D .. "d:ttl('t')"))
    assert.equal('1 nil false', ask(c, D .. "d:incr('c', 1, 0, 0.2)"))
    assert.truthy(T.wait_until(function()
      return ask(c, D .. "d:get('c')") == "nil" end, 3))
  end)

  it("evicts the least recently used keys when full, saying forcible", function()
    local server = T.start{script = script(1), children = 1}
    local c = server:connect()
    local first = ask(c, [[local d, v = tine.shared.tiny, ("x"):rep(1000)
      for i = 1, 100 do
        local ok, err, forcible = d:set("k" .. i, v)
        if not ok then return "failed " .. err end
        if forcible then return i end
      end]])
    assert.truthy(tonumber(first), first)
    local D = "local d = tine.shared.tiny; return "
    assert.equal("nil", ask(c, D .. "d:get('k1')"))
    assert.equal("1000", ask(c, D .. "#d:get('k" .. first .. "')"))
    assert.equal('false "no memory" false',
                 ask(c, D .. "d:safe_set('new', ('y'):rep(1000))"))
    assert.equal('false "no memory" false',
                 ask(c, D .. "d:set('huge', ('y'):rep(20000))"))
    assert.equal("true nil true", ask(c, D .. "d:set('big', ('z'):rep(9000))"))
    assert.equal("9000", ask(c, D .. "#d:get('big')"))
    assert.equal("true nil false",
                 ask(c, "return tine.shared.d:set('large', ('q'):rep(900000))"))
    assert.equal("900000 true", ask(c, "local v = tine.shared.d:get('large'); " ..
                 "return #v, v == ('q'):rep(900000)"))
  end)

  it("stays usable after a child is killed in the middle of set, again and again", function()
    local server = T.start{script = script(1), children = 1}
    local spin = [[local d, i = tine.shared.tiny, 0
      while true do
        local k, n = "k" .. (i % 200), i % 300
        d:set(k, k .. ":" .. n .. ":" .. ("x"):rep(n))
        i = i + 1
      end]]
    local check = [[local d, n = tine.shared.tiny, 0
      for _, k in ipairs(d:get_keys(0)) do
        local v = d:get(k)
        if v then
          local key, len, xs = v:match("^([^:]+):(%d+):(x*)$")
          if key ~= k or #xs ~= tonumber(len) then return "bad " .. k end
          n = n + 1
        end
      end
      assert(d:set("after", n) and d:get("after") == n)
      assert(tine.shared.d:incr("rounds", 1, 0))
      return "ok", n]]
    local pid = answering_pid(server)
    for round = 1, 6 do
      local c = server:connect()
      assert.equal(tostring(pid), ask(c, "return tine.pid"))
      assert(c:send((spin:gsub("\n", " ")) .. "\n"))
      socket.sleep(0.05 + 0.03 * round)
      T.signal(pid, "KILL")
      c:close()
      pid = answering_pid(server, pid)
      assert.truthy(pid, "no replacement child answers")
      local c2 = server:connect()
      local answer = ask(c2, check)
      assert.truthy(answer:match('^"ok" %d+$'), answer)
      c2:close()
    end
    local c = server:connect()
    assert.equal("6", ask(c, "return tine.shared.d:get('rounds')"))
  end)

  it("is kept across recycling and a reload that keeps its size", function()
    local server = T.start{script = script(1), children = 1}
    local c = server:connect()
    assert.equal("true nil false", ask(c, "return tine.shared.d:set('keep', 'me')"))
    local pid = tonumber(ask(c, "tine.recycle() return tine.pid"))
    c:close()
    assert.truthy(answering_pid(server, pid))
    c = server:connect()
    assert.equal('"me"', ask(c, "return tine.shared.d:get('keep')"))
    c:close()
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("generation 1 is up") end, 10))
    pid = answering_pid(server, pid)
    c = server:connect()
    assert.equal('"me" 1', ask(c, "return tine.shared.d:get('keep'), tine.generation"))
    c:close()
    T.write_file(server.script, ("Port = %d\n"):format(server.port) ..
      script(1, 'SharedDict = { d = "2m" }'))
    T.signal(server.pid, "HUP")
    assert.truthy(T.wait_until(function()
      return server:log_text():find("generation 2 is up") end, 10))
    assert.truthy(T.wait_until(function()
      local c2 = server:connect()
      local gen = ask(c2, "return tine.generation")
      c2:close()
      return gen == "2" end, 10))
    c = server:connect()
    assert.equal("nil 2097152 nil", ask(c,
      "return tine.shared.d:get('keep'), tine.shared.d:capacity(), tine.shared.tiny"))
  end)
end)

describe("SharedDict", function()
  after_each(function() T.stop_all() end)

  it("is empty while the master reads the settings, and filled in children", function()
    local dir = T.tmpdir()
    local server = T.start{script = script(1) .. ([[
local f = io.open("%s/seen", "a")
f:write(tine.pid, " ", tostring(tine.shared.d), "\n")
f:close()
]]):format(dir), children = 1}
    local pid = answering_pid(server)
    local seen = T.read_file(dir .. "/seen")
    assert.truthy(seen:find("^0 nil\n"), seen)
    assert.truthy(seen:find("\n" .. pid .. " tine.shared.d\n"), seen)
  end)

  it("is also a repeatable flag", function()
    local server = T.start{script = script(1, ""), children = 1,
                           args = {"--shared-dict", "a=64k", "--shared-dict", "b=8k"}}
    local c = server:connect()
    assert.equal("65536 8192", ask(c,
      "return tine.shared.a:capacity(), tine.shared.b:capacity()"))
  end)

  it("refuses a bad name or size, naming the setting", function()
    local dir = T.tmpdir()
    T.write_file(dir .. "/s.lua", script(1, 'SharedDict = { ["bad-name"] = "1m" }'))
    local out = T.sh(T.bin .. " --check " .. dir .. "/s.lua 2>&1; echo exit=$?")
    assert.truthy(out:find('SharedDict: "bad%-name" is not a name'), out)
    assert.truthy(out:find("exit=1"))
    T.write_file(dir .. "/s.lua", script(1, 'SharedDict = { a = {} }'))
    out = T.sh(T.bin .. " --check " .. dir .. "/s.lua 2>&1; echo exit=$?")
    assert.truthy(out:find("SharedDict: a is a table, not a string or a number"), out)
    T.write_file(dir .. "/s.lua", script(1, ""))
    out = T.sh(T.bin .. " --check " .. dir .. "/s.lua --shared-dict a=1q 2>&1; echo exit=$?")
    assert.truthy(out:find('SharedDict: a: "1q" is not a size'), out)
    assert.truthy(out:find("exit=2"))
    out = T.sh(T.bin .. " --check " .. dir .. "/s.lua --shared-dict a=1m --shared-dict a=2m 2>&1; echo exit=$?")
    assert.truthy(out:find("SharedDict: a is given twice"), out)
  end)
end)
