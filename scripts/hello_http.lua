-- hello_http.lua: the seed's HANDLERS example over HTTP/1.1.
--   ./build/tine scripts/hello_http.lua
--   curl -i http://127.0.0.1:8080/
--   curl http://127.0.0.1:8080/bar/baz
--   curl http://127.0.0.1:8080/foo/42
--   curl http://127.0.0.1:8080/anything/else
Filter = "http"
Port = 8080
StartServer = 2

Handlers = {                         -- first match wins
  { "^/$",         "GotMain" },      -- a global function's name ...
  { "^/bar/",      "GotBar" },
  { "^/foo/(%d+)$", function(req, res)   -- ... or a function
      res:header("Content-Type", "text/plain")
      res:write("foo number ", req.captures[1], "\n")   -- streamed: chunked
    end },
}

function GotMain(req, res)
  return 200, "hello from child " .. tine.pid .. "\n"
end

function GotBar(req, res)
  return "bar: " .. req.path .. "\n"               -- a lone string is a 200
end

-- Whatever no pattern matches.
function HttpRequest(req, res)
  return 404, "nothing at " .. req.path .. "\n"
end
