#!/usr/bin/env bash
# Renders the README's screenshot of the dashboard's overview: the project's
# own fixtures (fixtures/projects) replayed into a throw-away database, served
# by `cco serve`, and photographed by headless chromium at a fixed clock
# (CCO_NOW), so the picture shows an active block and changes only when the
# fixtures or the page do.
#
#   bench/overview_screenshot.sh [OUT.png] [CCO]   (defaults: docs/overview.png, build/cco)
#
# Needs chromium (Debian's; --no-sandbox as root).
set -euo pipefail
out=${1:-docs/overview.png}
cco=${2:-build/cco}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
now=2026-01-14T17:00:00.000Z
"$cco" replay "$here/fixtures/projects" --db "$tmp/fixtures.db" > /dev/null
CCO_NOW=$now "$cco" serve --db "$tmp/fixtures.db" --port 0 > "$tmp/serve.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q 'http://' "$tmp/serve.out" && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*/' "$tmp/serve.out" | head -1)
[ -n "$base" ] || { cat "$tmp/serve.out" >&2; exit 1; }
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --hide-scrollbars \
  --user-data-dir="$tmp/profile" --window-size=1280,1400 --screenshot="$out" \
  "${base}?since=2025-12-28&until=2026-01-16&tz=UTC" 2> "$tmp/chromium.err" \
  || { cat "$tmp/chromium.err" >&2; exit 1; }
echo "wrote $out"
