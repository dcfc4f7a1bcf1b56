#!/usr/bin/env bash
# status_look.sh: look at the status page as a person would. Starts tine
# (2 children, a status page on a free loopback port, a few clients, one
# child busy in ClientInput), renders / with headless Chromium (Debian's
# chromium) into a PNG and prints its path. Not run by the suite; commits
# nothing: the PNG stays in a temp folder.
#
#   tests/bench/status_look.sh [BUILD_DIR]      (default: build/)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
command -v chromium >/dev/null || { echo "missing chromium (apt-get install chromium)" >&2; exit 2; }
OUT=$(mktemp -d /tmp/tine-status-look.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
STATUS=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$OUT/app.lua" <<LUA
Port = $PORT
StartServer = 2
MaxServerExpireTime = 60
StatusListen = "127.0.0.1:$STATUS"
function ClientInput(c, line)
  if line == "busy" then local t = os.clock() while os.clock() - t < 8 do end end
  c:write("echo ", line, "\n")
end
LUA
"$BUILD/tine" "$OUT/app.lua" >"$OUT/tine.log" 2>&1 &
TINE=$!
trap 'kill $TINE 2>/dev/null; wait $TINE 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$STATUS/status" && break
  sleep 0.1
done
for i in 1 2 3 4 5 6; do printf 'hello %s\n' "$i" | timeout 1 nc -q 0 127.0.0.1 "$PORT" >/dev/null || true; done
(printf 'busy\n' | timeout 10 nc -q 5 127.0.0.1 "$PORT" >/dev/null || true) &
sleep 2.5
timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1280,520 --screenshot="$OUT/status.png" "http://127.0.0.1:$STATUS/" \
  >"$OUT/chromium.log" 2>&1 || { echo "chromium failed:"; tail -5 "$OUT/chromium.log"; exit 1; }
curl -s "http://127.0.0.1:$STATUS/status.txt"
echo "rendered: $OUT/status.png"
