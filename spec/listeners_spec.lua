-- Many listeners: every one of them is served (more than the 64 a fixed
-- array once held).
local socket = require "socket"
socket.unix = require "socket.unix"
local T = require "spec.helpers.server"

describe("a hundred unix listeners", function()
  after_each(function() T.stop_all() end)

  it("are each served", function()
    local dir = T.tmpdir()
    local listen = {}
    for i = 1, 100 do listen[i] = ("%q"):format("unix:" .. dir .. "/s" .. i) end
    local server = T.start{port = false, children = 2, script = [[
Port = 0
StartServer = 2
Listen = { ]] .. table.concat(listen, ", ") .. [[ }
function ClientInput(c, line) c:write("echo ", line, "\n") end
]]}
    for i = 1, 100 do
      local c = assert(socket.unix())
      c:settimeout(5)
      assert(c:connect(dir .. "/s" .. i))
      c:send("hi " .. i .. "\n")
      assert.equal("echo hi " .. i, c:receive("*l"))
      c:close()
    end
    T.stop_all()
    os.execute("rm -rf " .. dir)
  end)
end)
