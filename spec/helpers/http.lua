-- Raw-socket HTTP for the HTTP-mode specs: requests are built and sent as
-- bytes, responses read byte-exact (status line, raw head, headers, body by
-- Content-Length, chunked or until close). Every receive has a timeout.
local socket = require "socket"
local T = require "spec.helpers.server"
local luassert = require "luassert"

local H = {}

H.TIMEOUT = 2
H.MAX_HEAD = 65536

-- A client of server with a 2 s timeout on every operation.
function H.connect(server, timeout)
  local c = server:connect()
  c:settimeout(timeout or H.TIMEOUT)
  return c
end

-- The bytes of a request. opts: method ("GET"), target ("/"), version
-- ("1.1"), headers (a list of "Name: value" lines, sent in order), body (sent
-- after the head, with a Content-Length added unless a Content-Length or
-- Transfer-Encoding header is given or opts.length == false), host (false:
-- no Host header; a Host is added for 1.1 unless the headers have one).
function H.build(opts)
  opts = opts or {}
  local version = opts.version or "1.1"
  local lines = {("%s %s HTTP/%s"):format(opts.method or "GET",
                                         opts.target or "/", version)}
  local headers = opts.headers or {}
  local has = {}
  for _, h in ipairs(headers) do
    local name = h:match("^([^:]*):")
    if name then has[name:lower()] = true end
  end
  if opts.host ~= false and not has.host and version == "1.1" then
    lines[#lines + 1] = "Host: localhost"
  end
  for _, h in ipairs(headers) do lines[#lines + 1] = h end
  local body = opts.body
  if body and opts.length ~= false and not has["content-length"]
     and not has["transfer-encoding"] then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")
end

-- "GET target HTTP/1.1" with a Host and the given header lines.
function H.get(target, headers)
  return H.build{target = target, headers = headers}
end

-- Send bytes; true, or nil and the error (the server may have closed).
function H.send(c, bytes)
  local n, err = c:send(bytes)
  if not n then return nil, err end
  return true
end

-- Read up to and including the blank line ending a head.
local function read_head(c)
  local buf, tail = {}, ""
  for i = 1, H.MAX_HEAD do
    local ch, err = c:receive(1)
    if not ch then return nil, err, table.concat(buf) end
    buf[i] = ch
    tail = (tail .. ch):sub(-4)
    if tail == "\r\n\r\n" then return table.concat(buf) end
  end
  return nil, "head too long", table.concat(buf)
end

-- Read a CRLF-ended line byte by byte (raw, CRLF kept).
local function read_crlf_line(c, limit)
  local buf, last = {}, ""
  for i = 1, limit or 4096 do
    local ch, err = c:receive(1)
    if not ch then return nil, err, table.concat(buf) end
    buf[i] = ch
    if last == "\r" and ch == "\n" then return table.concat(buf) end
    last = ch
  end
  return nil, "line too long", table.concat(buf)
end

-- Decode a chunked body from c: the decoded body, the raw bytes, and an
-- error (nil when the last chunk and the trailers were read).
local function read_chunked(c)
  local raw, body = {}, {}
  for _ = 1, 100000 do
    local line, err, partial = read_crlf_line(c)
    if not line then
      raw[#raw + 1] = partial
      return table.concat(body), table.concat(raw), err
    end
    raw[#raw + 1] = line
    local size = tonumber(line:match("^(%x+)") or "", 16)
    if not size then
      return table.concat(body), table.concat(raw), "bad chunk size line " .. ("%q"):format(line)
    end
    if size == 0 then
      for _ = 1, 100 do  -- trailers, up to the blank line
        local t, terr, tpartial = read_crlf_line(c)
        if not t then
          raw[#raw + 1] = tpartial
          return table.concat(body), table.concat(raw), terr
        end
        raw[#raw + 1] = t
        if t == "\r\n" then return table.concat(body), table.concat(raw), nil end
      end
      return table.concat(body), table.concat(raw), "too many trailers"
    end
    local data, derr, dpartial = c:receive(size)
    if not data then
      raw[#raw + 1] = dpartial
      body[#body + 1] = dpartial
      return table.concat(body), table.concat(raw), derr
    end
    raw[#raw + 1] = data
    body[#body + 1] = data
    local crlf, cerr, cpartial = c:receive(2)
    raw[#raw + 1] = crlf or cpartial
    if crlf ~= "\r\n" then
      return table.concat(body), table.concat(raw), cerr or "no CRLF after chunk data"
    end
  end
  return table.concat(body), table.concat(raw), "too many chunks"
end

-- Read one response from c. opts.method = "HEAD" reads no body. Returns a
-- table, never nil: status_line (nil if none came), version, status (a
-- number), head (the raw head, CRLFs kept), headers (lower-case names,
-- repeats joined ", "), fields (the list of {name, value} in order, names
-- lower-case), body (decoded), raw_body (as sent), chunked, closed (true if
-- the body ran to the server's close), err (nil when a whole response was
-- read).
function H.read_response(c, opts)
  opts = opts or {}
  local r = {headers = {}, fields = {}, body = "", raw_body = ""}
  local head, err, partial = read_head(c)
  if not head then
    r.err, r.head = err, partial
    if err == "closed" then r.closed = true end
    return r
  end
  r.head = head
  local status_line, rest = head:match("^(.-)\r\n(.*)$")
  r.status_line = status_line
  r.version, r.status = status_line:match("^HTTP/(%d%.%d) (%d%d%d)")
  r.status = tonumber(r.status)
  for line in rest:gmatch("(.-)\r\n") do
    if line ~= "" then
      local name, value = line:match("^([^:]+):[ \t]*(.-)[ \t]*$")
      if not name then
        r.err = "malformed header line " .. ("%q"):format(line)
      else
        name = name:lower()
        r.fields[#r.fields + 1] = {name, value}
        local seen = r.headers[name]
        r.headers[name] = seen and (seen .. ", " .. value) or value
      end
    end
  end
  local s = r.status or 0
  if opts.method == "HEAD" or (s >= 100 and s < 200) or s == 204 or s == 304 then
    return r
  end
  local te = r.headers["transfer-encoding"]
  local cl = r.headers["content-length"]
  if te and te:lower():find("chunked") then
    r.chunked = true
    r.body, r.raw_body, r.err = read_chunked(c)
  elseif cl then
    local n = tonumber(cl)
    if not n then r.err = "bad Content-Length " .. cl; return r end
    local data, derr, dpartial = c:receive(n)
    r.body = data or dpartial or ""
    r.raw_body = r.body
    r.err = derr
  else
    local data, derr, dpartial = c:receive("*a")
    r.body = data or dpartial or ""
    r.raw_body = r.body
    if data then r.closed = true else r.err = derr end
  end
  return r
end

-- The values of every header line named name (any case), in order.
function H.all(r, name)
  local out = {}
  name = name:lower()
  for _, f in ipairs(r.fields) do
    if f[1] == name then out[#out + 1] = f[2] end
  end
  return out
end

-- Send bytes on c and read one response.
function H.exchange(c, bytes, opts)
  local ok, err = H.send(c, bytes)
  if not ok then return {headers = {}, fields = {}, body = "", raw_body = "", err = "send: " .. err} end
  return H.read_response(c, opts)
end

-- One request on a fresh connection: the response, and the connection.
function H.request(server, bytes, opts)
  local c = H.connect(server)
  return H.exchange(c, bytes, opts), c
end

-- Did the server close c? Waits up to timeout (2 s) for its end of file:
-- true, or false and why not ("timeout": still open; or the bytes that came
-- instead). A reset counts as closed, and is given as the second value.
function H.closed(c, timeout)
  c:settimeout(timeout or H.TIMEOUT)
  local data, err, partial = c:receive(1)
  c:settimeout(H.TIMEOUT)
  if data then return false, "data: " .. data end
  if partial and partial ~= "" then return false, "data: " .. partial end
  if err == "closed" then return true end
  if err and err:find("reset") then return true, err end
  return false, err
end

-- A pattern for a status line of code; version is a pattern (default
-- "1%.1", "1%.[01]" for either).
function H.line(code, version)
  return ("^HTTP/%s %d "):format(version or "1%.1", code)
end

-- The status line of r, or a description of what came instead (so that a
-- failed assertion says what happened).
function H.status_line(r)
  return r.status_line or ("<no response: " .. tostring(r.err) .. ", got "
                           .. ("%q"):format(r.head or "") .. ">")
end

-- Does r say Connection: close?
function H.says_close(r)
  local v = r.headers.connection
  return v ~= nil and v:lower():find("close") ~= nil
end

H.DATE = "^%a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d GMT$"

H.gettime = socket.gettime
H.sleep = socket.sleep

-- An HTTP server of one child running script (Filter "http"), with args.
function H.start(script, args)
  return T.start{script = "Filter = 'http'\nStartServer = 1\nMaxServer = 1\n" .. script,
                 children = 1, args = args}
end

-- Assert that response r has status code (in HTTP version, "1.1" if nil).
function H.expect(code, r, version)
  luassert.matches(H.line(code, version), H.status_line(r))
end

return H
