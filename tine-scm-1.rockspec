rockspec_format = "3.0"
package = "tine"
version = "scm-1"
source = {
  url = "git+file:///tine",
}
description = {
  summary = "A prefork TCP server runtime whose server logic is a Lua script",
  detailed = [[
tine runs server logic written as a Lua script: a master process binds the
listening sockets and keeps a pool of preforked children, each with its own
libevent loop and LuaJIT state, calling the script's ClientConnected,
ClientInput and ClientDisconnected functions as clients come and go.
]],
  license = "MIT",
}
dependencies = {
  "lua == 5.1",
}
build = {
  type = "cmake",
  variables = {
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    CMAKE_BUILD_TYPE = "RelWithDebInfo",
    LUADIR = "$(LUADIR)",
    BINDIR = "$(BINDIR)",
    TINE_TESTS = "OFF",
    TINE_BENCH = "OFF",
  },
}
