-- tine.http: the Lua half of HTTP mode: routing a request to a handler
-- (the seed's HANDLERS), decoding a query into req.args on first use, and
-- turning what a handler returns into the response. The C half parses
-- requests and writes responses; this file holds no I/O.
local H = {}

local char, tonumber, type = string.char, tonumber, type

local function hex_char(h) return char(tonumber(h, 16)) end

-- Percent-decode s; with plus_is_space (query strings), "+" is a space.
function H.unescape(s, plus_is_space)
  if plus_is_space then s = s:gsub("+", " ") end
  return (s:gsub("%%(%x%x)", hex_char))
end

-- The arguments of a query string: args.name is a string, a list of
-- strings for a repeated name, or true for a name without "=".
function H.parse_args(query)
  local args = {}
  for pair in query:gmatch("[^&]+") do
    local name, value = pair:match("^([^=]*)=(.*)$")
    if name then
      name, value = H.unescape(name, true), H.unescape(value, true)
    else
      name, value = H.unescape(pair, true), true
    end
    local seen = args[name]
    if seen == nil then
      args[name] = value
    elseif type(seen) == "table" then
      seen[#seen + 1] = value
    else
      args[name] = {seen, value}
    end
  end
  return args
end

-- The handler for path and the pattern's captures: the first entry of
-- handlers whose pattern matches, else the global HttpRequest. A handler
-- given by name is looked up in env now, at request time. Returns the
-- function and the captures; or nil and a message for the log (a name
-- that names no function); or nil, nil when nothing handles the path.
function H.route(handlers, path, env)
  if handlers then
    for i = 1, #handlers do
      local entry = handlers[i]
      local found = {path:find(entry[1])}
      if found[1] then
        local captures = {unpack(found, 3)}
        local handler = entry[2]
        if type(handler) == "string" then
          local fn = env[handler]
          if type(fn) ~= "function" then
            return nil, ("handler %q for %q is not a function"):format(handler, entry[1])
          end
          handler = fn
        end
        return handler, captures
      end
    end
  end
  local fallback = env.HttpRequest
  if type(fallback) == "function" then return fallback, {} end
  return nil, nil
end

return H
