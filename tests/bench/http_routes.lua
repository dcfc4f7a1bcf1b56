-- http_routes.lua: the tine side of http.sh (HTTP mode, SPEC.md "HTTP").
-- Three routes, answered the same way as nginx_http.conf.in's
-- content_by_lua_block handlers: a fixed body, a pattern capture, and a
-- small fixed JSON body. Port and StartServer come from flags.
Filter = "http"

local TEXT = { ["Content-Type"] = "text/plain" }
local JSON = { ["Content-Type"] = "application/json" }

local function Hello(req, res)
  return 200, "hello\n", TEXT
end

local function User(req, res)
  return 200, "user " .. req.captures[1] .. "\n", TEXT
end

local function Json(req, res)
  return 200, '{"ok":true,"n":42}\n', JSON
end

Handlers = {
  { "^/hello$", Hello },
  { "^/user/(%d+)$", User },
  { "^/json$", Json },
}

-- As nginx_http.conf.in: no limit on requests per keep-alive connection
-- (nginx: keepalive_requests 1000000), idle keep-alive kept 15 s.
MaxKeepAliveRequests = 0
KeepAliveTimeout = 15
