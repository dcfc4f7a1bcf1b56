-- tine.http: the Lua half of HTTP mode: routing a request to a handler
-- (the seed's HANDLERS), decoding a query into req.args on first use, and
-- turning what a handler returns into the response. The C half parses
-- requests and writes responses; this file holds no I/O.
local H = {}

local char, tonumber, type = string.char, tonumber, type
local concat, find, format, lower, sub = table.concat, string.find,
                                       string.format, string.lower, string.sub
local pairs, select, setmetatable, tostring = pairs, select, setmetatable,
                                               tostring

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

-- The captures of a find that matched (its start and end dropped), or
-- nil when it did not.
local function captures_of(start, _, ...)
  if start then return {...} end
end

-- For each handlers entry seen, {pattern, exact}: exact is the path a
-- pattern of the form "^/literal$" (no magic characters between the
-- anchors, and no NUL, where string.find stops reading a pattern)
-- matches, or false. Kept per entry table, weakly, and computed
-- again if the entry's pattern changes.
local exact_of = setmetatable({}, {__mode = "k"})

local function exact_path(entry)
  local pattern, known = entry[1], exact_of[entry]
  if not known or known[1] ~= pattern then
    known = {pattern, type(pattern) == "string" and
                      pattern:match("^%^([^%^%$%(%)%%%.%[%]%*%+%-%?%z]*)%$$") or false}
    exact_of[entry] = known
  end
  return known[2]
end

-- The captures of handlers entry `entry` on path (none: {}), or nil when
-- it does not match. An exact pattern is a string comparison.
local function match_entry(entry, path)
  local exact = exact_path(entry)
  if exact then
    if path == exact then return {} end
    return nil
  end
  return captures_of(find(path, entry[1]))
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
      local captures = match_entry(entry, path)
      if captures then
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

-- ---- requests --------------------------------------------------------

-- The path of a request target: before any "?", percent-decoded.
local function path_of(target)
  local mark = find(target, "?", 1, true)
  local path = mark and sub(target, 1, mark - 1) or target
  if find(path, "%", 1, true) then path = H.unescape(path) end
  return path
end

-- What a request computes on first use: its path and query string
-- (before and after the target's "?"), args (decoded from the query),
-- and the connection's addresses (from its client object).
local request_lazy = {
  path = function(req) return path_of(req.target) end,
  query = function(req)
    local mark = find(req.target, "?", 1, true)
    return mark and sub(req.target, mark + 1) or ""
  end,
  args = function(req) return H.parse_args(req.query) end,
  remote_ip = function(req) return req.client.remote_ip end,
  remote_port = function(req) return req.client.remote_port end,
  local_port = function(req) return req.client.local_port end,
}

local Request = {}
Request.__index = function(req, key)
  local make = request_lazy[key]
  if make then
    local value = make(req)
    rawset(req, key, value)
    return value
  end
  return Request[key]
end

-- req:header(name): one header, any case.
function Request.header(req, name) return req.headers[lower(name)] end

-- ---- responses -------------------------------------------------------

local Response = {}
Response.__index = Response

-- What H.bind gives the responses: date(), reason(status),
-- status_text(status) ("200 OK") and stopping(), asked when the head goes
-- out (a child told to stop meanwhile answers with Connection: close).
local bound = {}

-- Statuses whose response has no body.
local function bodiless(status)
  return status < 200 or status == 204 or status == 304
end

-- The head being built, reused: send_head neither yields nor re-enters.
-- head_type and head_length say whether it has those fields yet.
local head, head_type, head_length = {}, false, false

-- Put the field name: value in the head after its nth part (a list value
-- gives one field per item; values go through tostring), noting what the
-- framing needs. Returns the new count of parts.
local function put_field(res, n, name, value)
  if type(value) == "table" then
    for i = 1, #value do n = put_field(res, n, name, value[i]) end
    return n
  end
  value = tostring(value)
  local low = lower(name)
  if low == "content-type" then head_type = true
  elseif low == "content-length" then head_length = true
  elseif low == "connection" and lower(value) == "close" then res.close = true
  end
  head[n + 1], head[n + 2], head[n + 3], head[n + 4] = name, ": ", value, "\r\n"
  return n + 4
end

-- Send the head; body_len is the whole body's length if known, more a
-- table of fields (a handler's returned headers) after res's own. Decides
-- the framing: Content-Length, else chunked (1.1), else close (1.0).
local function send_head(res, body_len, more)
  local req, status = res.req, res.code
  res.close = res.close or bound.stopping()
  head[1], head[2], head[3], head[4], head[5] =
    "HTTP/1.1 ", bound.status_text(status), "\r\nDate: ", bound.date(), "\r\n"
  local n = 5
  head_type, head_length = false, false
  local fields = res.fields
  if fields then
    for i = 1, #fields, 2 do n = put_field(res, n, fields[i], fields[i + 1]) end
  end
  if more then
    for name, value in pairs(more) do n = put_field(res, n, name, value) end
  end
  local no_body = bodiless(status)
  if not head_type and not no_body then
    n = n + 1
    head[n] = "Content-Type: text/plain; charset=utf-8\r\n"
  end
  if no_body then
    res.framing = "none"
  elseif head_length then
    res.framing = "length"
  elseif body_len then
    res.framing = "length"
    head[n + 1], head[n + 2], head[n + 3] = "Content-Length: ", body_len, "\r\n"
    n = n + 3
  elseif req.version == "1.1" then
    res.framing = "chunked"
    head[n + 1] = "Transfer-Encoding: chunked\r\n"
    n = n + 1
  else
    res.framing = "close"
    res.close = true
  end
  if res.close then
    head[n + 1] = "Connection: close\r\n"
    n = n + 1
  elseif req.version == "1.0" then
    head[n + 1] = "Connection: keep-alive\r\n"
    n = n + 1
  end
  head[n + 1] = "\r\n"
  return concat(head, "", 1, n + 1)
end

-- The text of the arguments, as client:write takes them (strings and
-- numbers), joined.
local function joined(...)
  if select("#", ...) == 1 then return tostring((...)) end
  local t = {...}
  for i = 1, #t do t[i] = tostring(t[i]) end
  return concat(t)
end

function Response:status(code)
  if self.framing then error("res:status: the head is already sent", 2) end
  self.code = tonumber(code) or error("res:status: a number expected", 2)
end

function Response:header(name, value)
  if self.framing then error("res:header: the head is already sent", 2) end
  local fields = self.fields
  if not fields then
    fields = {}
    self.fields = fields
  end
  if type(value) == "table" then
    for i = 1, #value do
      fields[#fields + 1], fields[#fields + 2] = name, tostring(value[i])
    end
  else
    fields[#fields + 1], fields[#fields + 2] = name, tostring(value)
  end
end

-- Send data as the framing says (nothing for HEAD and bodiless
-- statuses); head is the head when it goes in the same write.
local function send(res, head, data)
  local skip = res.framing == "none" or res.req.method == "HEAD"
  if not skip then res.sent = res.sent + #data end
  if skip or data == "" then
    if head then res.req.client:write(head) end
  elseif res.framing == "chunked" then
    res.req.client:write(head or "", format("%x\r\n", #data), data, "\r\n")
  else
    res.req.client:write(head or "", data)
  end
end

function Response:write(...)
  if self.finished then error("res:write: the response is finished", 2) end
  local data = joined(...)
  local head = not self.framing and send_head(self, nil) or nil
  send(self, head, data)
  return true
end

-- A field of an AccessLog line: quotes, backslashes and control bytes
-- as \xHH, so a client cannot forge a line.
local function log_field(s)
  if not s then return "-" end
  return (s:gsub('[%c"\\\127-\255]', function(c)
    return format("\\x%02X", c:byte())
  end))
end

-- The request's AccessLog line: the combined format, then the seconds
-- taken.
local function access_line(res)
  local req = res.req
  local h = req.headers
  return format('%s - - [%s] "%s %s HTTP/%s" %d %d "%s" "%s" %.3f',
                req.client.remote_ip, os.date("!%d/%b/%Y:%H:%M:%S +0000"),
                req.method, log_field(req.target), req.version, res.code,
                res.sent, log_field(h.referer), log_field(h["user-agent"]),
                bound.now() - res.started)
end

-- End the response: the chunked terminator, the AccessLog line, then
-- close if it must. A broken response (its handler failed after the head)
-- gets no terminator: the connection closes, so the client sees it cut.
local function finish(res, broken)
  res.finished = true
  if res.framing == "chunked" and res.req.method ~= "HEAD" and not broken then
    res.req.client:write("0\r\n\r\n")
  end
  if bound.access then bound.access(access_line(res)) end
  if res.close or broken then res.req.client:close() end
end

-- Send data as the response's last part and end it; more as send_head's.
local function finish_with(res, data, more)
  if not res.framing then
    send(res, send_head(res, #data, more), data)
  elseif data ~= "" then
    send(res, nil, data)
  end
  finish(res)
end

function Response:finish(...)
  if self.finished then error("res:finish: the response is finished", 2) end
  finish_with(self, select("#", ...) > 0 and joined(...) or "")
end

-- A handler's `return status, body, headers` (a lone string is a body).
local function respond(res, status, body, headers)
  if type(status) == "string" then status, body = 200, status end
  if status ~= nil then res:status(status) end
  finish_with(res, body ~= nil and tostring(body) or "",
              type(headers) == "table" and headers or nil)
end

-- A plain answer of its own: 404, or a 500 without detail.
local function plain(res, status)
  res.fields = nil
  res:status(status)
  res:finish(bound.reason(status), "\n")
end

-- ---- serving ---------------------------------------------------------

-- A status worth keeping the texts of: a three-digit integer, so a script
-- that answers with statuses its clients choose cannot grow the caches.
local function cacheable(status)
  return status >= 100 and status <= 999 and status % 1 == 0
end

-- Set bound.reason(status) (reason's phrase, "OK") and
-- bound.status_text(status) ("200 OK"), each kept per cacheable status.
local function bind_statuses(reason)
  local reasons, status_texts = {}, {}
  function bound.reason(status)
    local text = reasons[status]
    if not text then
      text = reason(status)
      if cacheable(status) then reasons[status] = text end
    end
    return text
  end
  function bound.status_text(status)
    local text = status_texts[status]
    if not text then
      text = status .. " " .. bound.reason(status)
      if cacheable(status) then status_texts[status] = text end
    end
    return text
  end
end

-- The serve function: makes the request from its parts (as the C half
-- reads them) on client, routes it, runs the handler in this task and
-- finishes the response. date() and
-- reason(status) come from the C half; settings, log and stopping from
-- the tine module. access(line) writes an AccessLog line (nil: none).
function H.bind(date, reason, access)
  local tine = _G.tine
  local settings, log, stopping = tine.settings, tine.log, tine.stopping
  local max_requests = settings.MaxKeepAliveRequests
  local keep_alive_timeout = settings.KeepAliveTimeout
  local traceback = debug.traceback

  local now = tine.now
  bound.date, bound.access, bound.now = date, access, now
  bind_statuses(reason)
  bound.stopping = stopping

  return function(client, method, target, version, headers, body,
                  keep_alive, nth, id)
    local handler, captures = H.route(rawget(_G, "Handlers"), path_of(target), _G)
    -- Eight fields at most in req, and in res (framing: false until the
    -- head is sent): each fits its table's first hash size.
    local req = setmetatable({
      method = method, target = target, version = version, headers = headers,
      body = body, id = id, client = client,
      captures = handler and captures or nil}, Request)
    local close = not keep_alive or keep_alive_timeout == 0 or
                  (max_requests > 0 and nth >= max_requests)
    local res = setmetatable({req = req, code = 200, close = close, sent = 0,
                              framing = false, finished = false,
                              started = access and now() or nil}, Response)
    if not handler then
      if captures then log("error", captures) end
      return plain(res, captures and 500 or 404)
    end
    local ok, status, body, headers = xpcall(handler, traceback, req, res)
    if not ok then
      log("error", "HTTP handler for " .. req.method .. " " .. target ..
          " failed: " .. tostring(status))
      if res.framing then return finish(res, true) end
      return plain(res, 500)
    end
    if res.finished then return end
    if res.framing then return finish(res) end
    respond(res, status, body, headers)
  end
end

return H
