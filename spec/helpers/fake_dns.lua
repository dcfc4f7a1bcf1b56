-- A nameserver for the specs, on loopback UDP: answers A questions for
-- the names given (all 127.0.0.1), NXDOMAIN for every other name, and
-- exits after `seconds`. usage: luajit fake_dns.lua PORT SECONDS NAME...
local socket = require "socket"

local port, seconds = tonumber(arg[1]), tonumber(arg[2])
local known = {}
for i = 3, #arg do known[arg[i]:lower()] = true end

local udp = assert(socket.udp())
assert(udp:setsockname("127.0.0.1", port))
udp:settimeout(0.2)

-- The question's name (lower case) and where the question ends.
local function question(q)
  local labels, i = {}, 13
  while q:byte(i) and q:byte(i) > 0 do
    local len = q:byte(i)
    labels[#labels + 1] = q:sub(i + 1, i + len)
    i = i + len + 1
  end
  return table.concat(labels, "."):lower(), i + 4, q:byte(i + 2)
end

local deadline = socket.gettime() + seconds
while socket.gettime() < deadline do
  local q, ip, from_port = udp:receivefrom()
  if q and #q >= 17 then
    local name, qend, qtype = question(q)
    local found = known[name]
    local answer = found and qtype == 1
    local reply = q:sub(1, 2) .. "\129" .. (found and "\128" or "\131")
                  .. q:sub(5, 6) .. (answer and "\0\1" or "\0\0") .. "\0\0\0\0"
                  .. q:sub(13, qend)
    if answer then
      reply = reply .. "\192\12\0\1\0\1\0\0\0\60\0\4\127\0\0\1"
    end
    udp:sendto(reply, ip, from_port)
  end
end
