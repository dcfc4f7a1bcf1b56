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
