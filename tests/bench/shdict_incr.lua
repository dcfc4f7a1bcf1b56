-- shdict_incr.lua: each line adds 1 to one counter, then comes back as it
-- was sent. INCR_BACKEND=shdict (the default): tine.shared.counts:incr on
-- one key, shared by every child; INCR_BACKEND=redis: an INCR round trip
-- to redis-server at REDIS_PORT through tine.tcp() with keep-alive.
-- Port and StartServer come from flags (tests/bench/shdict.sh).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "ready.lua")

SharedDict = { counts = "1m" }

if os.getenv("INCR_BACKEND") == "redis" then
  local port = tonumber(os.getenv("REDIS_PORT"))
  function ClientInput(client, line)
    local sock = tine.tcp()
    assert(sock:connect("127.0.0.1", port))
    sock:send("INCR tine-bench-hits\r\n")
    assert(sock:receive():match("^:%d+$"))
    sock:setkeepalive(60000, 64)
    client:write(line, "\n")
  end
else
  local counts = tine.shared.counts  -- nil while the master reads settings
  function ClientInput(client, line)
    counts:incr("hits", 1, 0)
    client:write(line, "\n")
  end
end
