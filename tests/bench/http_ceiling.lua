-- http_ceiling.lua: http.sh's ceiling for tine's HTTP mode on this
-- machine. Stream mode, no HTTP layer: every request head (up to its
-- blank line) is answered with the bytes tine's HTTP mode sends for
-- /hello, Date and all, so the connection work is the same and only the
-- parsing, routing, handler and response making are left out. Keep-alive
-- only; not an HTTP server (no bodies, no Connection: close).
Filter = "stream"

local find, sub = string.find, string.sub
local RESPONSE = "HTTP/1.1 200 OK\r\nDate: Mon, 23 Nov 2026 16:00:00 GMT\r\n" ..
  "Content-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n"
local held = setmetatable({}, { __mode = "k" })  -- a head's start, per client

function ClientInput(client, input)
  local data = held[client] and held[client] .. input or input
  local at = 1
  while true do
    local _, stop = find(data, "\r\n\r\n", at, true)
    if not stop then break end
    client:write(RESPONSE)
    at = stop + 1
  end
  held[client] = at <= #data and sub(data, at) or nil
  if held[client] and #held[client] > 65536 then  -- no head is this long
    held[client] = nil
    client:close()
  end
end
