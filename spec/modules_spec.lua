-- Modules: the script's own directory first, then LUA_PATH / LUA_CPATH,
-- then LuaJIT's defaults (Debian's Lua 5.1 packages such as lua-cjson).
local T = require "spec.helpers.server"

describe("require in a script", function()
  after_each(function() T.stop_all() end)

  it("finds modules next to the script, on LUA_PATH, and Debian's", function()
    local other = T.tmpdir()
    T.write_file(other .. "/elsewhere.lua", "return {name = 'elsewhere'}\n")
    local server = T.start{script = [[
StartServer = 1
local util = require "app.util"
local pkg = require "pkg"
local elsewhere = require "elsewhere"
local cjson = require "cjson"
function ClientInput(c, line)
  c:write(util.greet(line), " ", pkg.name, " ", elsewhere.name, " ",
          cjson.encode({ok = true}), "\n")
end
]], children = 1, wrap = ("mkdir -p $DIR/app $DIR/pkg && " ..
      "echo 'return {greet = function(s) return \"hi \" .. s end}' > $DIR/app/util.lua && " ..
      "echo 'return {name = \"init\"}' > $DIR/pkg/init.lua && " ..
      "export LUA_PATH='%s/?.lua;;' && cd /"):format(other)}
    local c = server:connect()
    c:send("bob\n")
    assert.equal('hi bob init elsewhere {"ok":true}', c:receive("*l"))
    os.execute("rm -rf " .. other)
  end)
end)

describe("what a child loads", function()
  after_each(function() T.stop_all() end)

  -- A child's Lua state holds only what its script uses: tine.http and
  -- tine.ngx are compiled in but loaded on require, the FFI (client:write's
  -- fast path) on the first write, the settings table on the first read,
  -- the socket methods (the metatable "tine.tcp") on the first tine.tcp().
  it("loads tine.http, tine.ngx, the FFI and socket methods only when used", function()
    local server = T.start{script = [[
StartServer = 1
local at_load = {}
for _, name in ipairs{"tine.http", "tine.ngx", "ffi"} do
  at_load[#at_load + 1] = name .. "=" .. tostring(package.loaded[name] ~= nil)
end
for _, name in ipairs{"tine.http", "tine.ngx"} do  -- not compiled yet
  at_load[#at_load + 1] = debug.getinfo(package.preload[name], "S").what
end
at_load[#at_load + 1] = "tcp=" .. tostring(debug.getregistry()["tine.tcp"] ~= nil)
function ClientInput(c, line)
  if line == "before" then
    c:write(table.concat(at_load, " "), "\n")
    return
  end
  local ffi_after_write = tostring(package.loaded.ffi ~= nil)
  local http = require "tine.http"
  local sock = tine.tcp()
  local methods = type(sock.settimeout) .. "," .. type(sock.close)
  sock:close()
  c:write("ffi=", ffi_after_write, " http=", type(http), " port=",
          tostring(tine.settings.Port == c.local_port), " tcp=",
          tostring(getmetatable(sock) == debug.getregistry()["tine.tcp"]),
          " ", methods, "\n")
end
]], children = 1}
    local c = server:connect()
    c:send("before\n")
    assert.equal("tine.http=false tine.ngx=false ffi=false C C tcp=false",
                 c:receive("*l"))
    c:send("after\n")
    assert.equal("ffi=true http=table port=true tcp=true function,function",
                 c:receive("*l"))
  end)
end)
