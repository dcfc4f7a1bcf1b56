-- The specs' own helpers: what they promise about cleaning up.
local T = require "spec.helpers.server"

describe("spec.helpers.server", function()
  it("removes the temporary directories it made when the process exits", function()
    -- A separate LuaJIT process makes a directory with a file in it, says
    -- where, and exits as busted does (closing its Lua state).
    local code = [[
      package.path = "./?.lua;" .. package.path
      local T = require "spec.helpers.server"
      local dir = T.tmpdir()
      T.write_file(dir .. "/file", "x")
      io.write(dir, " ", T.read_file(dir .. "/file") and "made" or "missing", "\n")
      os.exit(0, true)
    ]]
    local script = T.tmpdir() .. "/make_dir.lua"
    T.write_file(script, code)
    local out = T.sh(("cd %s && env -u TINE_SPEC_KEEP luajit %s"):format(
      T.source_dir, script))
    local dir, state = out:match("^(/tmp/tine%-spec%-%w+) (%a+)")
    assert.is_not_nil(dir, "unexpected output: " .. out)
    assert.are.equal("made", state)
    assert.is_nil(io.open(dir .. "/file", "r"))
    assert.are.equal("", T.sh("ls -d " .. dir .. " 2>/dev/null"))
  end)

  it("keeps them when TINE_SPEC_KEEP is set", function()
    local script = T.tmpdir() .. "/make_dir.lua"
    T.write_file(script, [[
      package.path = "./?.lua;" .. package.path
      io.write(require("spec.helpers.server").tmpdir(), "\n")
      os.exit(0, true)
    ]])
    local out = T.sh(("cd %s && TINE_SPEC_KEEP=1 luajit %s"):format(
      T.source_dir, script))
    local dir = out:match("^(/tmp/tine%-spec%-%w+)")
    assert.is_not_nil(dir, "unexpected output: " .. out)
    local kept = T.sh("ls -d " .. dir .. " 2>/dev/null")
    os.execute("rm -rf '" .. dir .. "'")
    assert.are.equal(dir .. "\n", kept)
  end)
end)
