-- echo.lua: the seed's example server (POE::Component::Server::PreforkTCP),
-- in tine. Try it:   tine scripts/echo.lua   then   nc 127.0.0.1 10000
--
--   anything   echoed back as "<child pid> : anything"
--   quit       closes your connection
--   exit       recycles the child serving you (a fresh one takes its place)
--   kill       crashes the child serving you (the master replaces it)
--   shutdown   shuts the whole server down gracefully
Port = 10000
StartServer = 2

local ffi = require "ffi"
ffi.cdef "int kill(int pid, int sig);"

function ClientConnected(client)
  client:write("Welcome to tine: you are served by child ", tine.pid, "\r\n")
end

function ClientInput(client, input)
  if input == "quit" then
    client:write("Bye\r\n")
    client:close()
  elseif input == "exit" then
    client:write("Child ", tine.pid, " will be recycled\r\n")
    client:close()
    tine.recycle()
  elseif input == "kill" then
    ffi.C.kill(tine.pid, 9)
  elseif input == "shutdown" then
    client:write("Shutting the server down\r\n")
    client:close()
    tine.shutdown()
  else
    client:write(tine.pid, " : ", input, "\r\n")
  end
end
