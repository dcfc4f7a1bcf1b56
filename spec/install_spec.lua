-- `luarocks make` with the rockspec installs a working tine into a tree.
local T = require "spec.helpers.server"

describe("luarocks make", function()
  local tree
  after_each(function()  -- the tree goes, whatever the test found
    if tree then os.execute("rm -rf " .. tree) end
    tree = nil
  end)

  it("installs the binary and the lua/ modules into a tree", function()
    tree = T.tmpdir()
    local out = T.sh(("cd %s && luarocks --lua-version=5.1 make --tree %s " ..
                      "tine-scm-1.rockspec 2>&1; echo \"exit=$?\"")
                     :format(T.source_dir, tree))
    assert.truthy(out:find("exit=0%s*$"), out)
    assert.truthy(T.sh(tree .. "/bin/tine --version"):find("^tine %d"))
    local module = T.read_file(tree .. "/share/lua/5.1/tine/prelude.lua")
    assert.equal(T.read_file(T.source_dir .. "/lua/tine/prelude.lua"), module)
    assert.truthy(T.read_file(tree .. "/share/lua/5.1/tine/ngx.lua"))
  end)
end)
