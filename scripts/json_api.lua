-- json_api.lua: a small JSON API: query arguments, request bodies and a
-- value cached per child.
--   ./build/tine scripts/json_api.lua
--   curl 'http://127.0.0.1:8081/sum?a=2&a=3&a=4'
--   curl -d '{"name":"tine"}' http://127.0.0.1:8081/greet
--   curl http://127.0.0.1:8081/stats
Filter = "http"
Port = 8081
StartServer = 2

local cjson = require "cjson.safe"

local JSON = { ["Content-Type"] = "application/json" }
local served = 0                     -- per child: each child counts its own
local started = os.time()            -- cached when the child loads the script

local function reply(status, value)
  return status, cjson.encode(value) .. "\n", JSON
end

-- GET /sum?a=1&a=2: the sum of every a.
local function sum(req)
  local a = req.args.a
  if a == nil then return reply(400, { error = "give a=NUMBER" }) end
  if type(a) ~= "table" then a = { a } end
  local total = 0
  for _, v in ipairs(a) do
    local n = tonumber(v)
    if not n then return reply(400, { error = "not a number: " .. tostring(v) }) end
    total = total + n
  end
  return reply(200, { sum = total })
end

-- POST /greet {"name": ...}
local function greet(req)
  if req.method ~= "POST" then return reply(405, { error = "POST only" }) end
  local body = cjson.decode(req.body)
  if type(body) ~= "table" or type(body.name) ~= "string" then
    return reply(400, { error = 'send {"name": "..."}' })
  end
  return reply(200, { greeting = "hello, " .. body.name })
end

Handlers = {
  { "^/sum$", sum },
  { "^/greet$", greet },
  { "^/stats$", function() return reply(200, { child = tine.pid, served = served, up = os.time() - started }) end },
}

-- Count every request this child serves, matched or not.
local route = Handlers
for i, entry in ipairs(route) do
  local handler = entry[2]
  route[i] = { entry[1], function(req, res) served = served + 1 return handler(req, res) end }
end

function HttpRequest() return reply(404, { error = "no such endpoint" }) end
