-- kvstore.lua: a small line-protocol key-value store.
--
-- Each child keeps its own store, made fresh in ChildStart, and sweeps
-- expired keys with a timer. With one child (as here) every client sees
-- the same store; with more, each child has its own, like a per-worker
-- cache. Try it:   tine scripts/kvstore.lua   then   nc 127.0.0.1 10001
--
--   SET key value...     -> OK
--   GET key              -> VALUE value   or  NOT_FOUND
--   DEL key              -> DELETED       or  NOT_FOUND
--   EXPIRE key seconds   -> OK            or  NOT_FOUND
--   COUNT                -> COUNT n
--   STATS                -> STATS pid <pid> keys <n> commands <n>
--   QUIT                 -> BYE, and the connection closes
Port = 10001
StartServer = 1
MaxServer = 1

local store, expiry, served

function ChildStart()
  store, expiry, served = {}, {}, 0
  tine.every(0.5, function()
    local now = os.time()
    for key, at in pairs(expiry) do
      if at <= now then store[key], expiry[key] = nil, nil end
    end
  end)
end

local function count()
  local n = 0
  for _ in pairs(store) do n = n + 1 end
  return n
end

-- Each command takes (key, rest of the line) and returns its
-- reply, and "close" when the connection should close after it.
local commands = {}

function commands.SET(key, value)
  if not key or value == "" then return "ERROR usage: SET key value" end
  store[key], expiry[key] = value, nil
  return "OK"
end

function commands.GET(key)
  local value = store[key or ""]
  return value and "VALUE " .. value or "NOT_FOUND"
end

function commands.DEL(key)
  if store[key or ""] == nil then return "NOT_FOUND" end
  store[key], expiry[key] = nil, nil
  return "DELETED"
end

function commands.EXPIRE(key, seconds)
  seconds = tonumber(seconds)
  if not seconds then return "ERROR usage: EXPIRE key seconds" end
  if store[key or ""] == nil then return "NOT_FOUND" end
  expiry[key] = os.time() + seconds
  return "OK"
end

function commands.COUNT() return "COUNT " .. count() end

function commands.STATS()
  return ("STATS pid %d keys %d commands %d"):format(tine.pid, count(), served)
end

function commands.QUIT()
  return "BYE", "close"
end

function ClientInput(client, line)
  local name, key, rest = line:match("^(%S+)%s*(%S*)%s*(.-)%s*$")
  local command = commands[(name or ""):upper()]
  served = served + 1
  if not command then
    client:write("ERROR unknown command\r\n")
    return
  end
  if key == "" then key = nil end
  local reply, close = command(key, rest)
  client:write(reply, "\r\n")
  if close then client:close() end
end
