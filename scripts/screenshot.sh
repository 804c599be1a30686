#!/usr/bin/env bash
# Regenerate screenshots/window.png: the window at 1280x800 with a few captures (valid, invalid,
# unsigned, test events) and the invalid one's signature tab open.
#
# Usage (from the project root; needs xvfb, xdotool and imagemagick):
#     scripts/screenshot.sh [BIN]        # BIN defaults to target/release/hookscope
set -euo pipefail

BIN=${1:-target/release/hookscope}
OUT=screenshots/window.png
DATA=$(mktemp -d)
PORT=18787
export DISPLAY=${DISPLAY_FOR_SCREENSHOT:-:97}
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$DATA"
}
trap cleanup EXIT

Xvfb "$DISPLAY" -screen 0 1280x800x24 >/dev/null 2>&1 &
PIDS+=($!)
sleep 1

SMTM_SECRET=smtm-secret-1 "$BIN" --data-dir "$DATA" profile add smtm-prod --scheme smtm \
    --path '/smtm/*' --secret-env SMTM_SECRET >/dev/null
GH_SECRET=gh-secret-1 "$BIN" --data-dir "$DATA" profile add github --scheme github \
    --path '/github/*' --secret-env GH_SECRET >/dev/null

"$BIN" --data-dir "$DATA" --port "$PORT" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/__hookscope/health" >/dev/null && break
    sleep 0.1
done

URL=http://127.0.0.1:$PORT
send() { "$BIN" --data-dir "$DATA" send --retry-schedule none "$@" >/dev/null || true; }
send --url "$URL/smtm/hooks" --event smtm:task.completed --secret smtm-secret-1
send --url "$URL/github/hooks" --event github:push --secret gh-secret-1
send --url "$URL/smtm/hooks" --event smtm:task.completed --secret wrong-secret
send --url "$URL/smtm/hooks" --event smtm:repair_request.created --secret smtm-secret-1 --duplicate
send --url "$URL/github/hooks" --event github:ping --secret not-the-secret
send --url "$URL/maintainx/hooks" --event maintainx:workorder.created --secret mx-secret
curl -fs -X PUT -d 'name=pump&state=ok' "$URL/form" >/dev/null

WIN=$(xdotool search --sync --name '^hookscope' | head -1)
xdotool windowmove "$WIN" 0 0 windowsize "$WIN" 1280 800
sleep 1
# The third capture (the wrong secret): its row, then the Signature tab.
xdotool mousemove 300 164 click 1
sleep 1
xdotool mousemove 883 132 click 1
sleep 1
import -window root -crop 1280x800+0+0 "$OUT"
echo "wrote $OUT"
