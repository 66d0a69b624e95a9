#!/usr/bin/env bash
# Times every page and API call of `cco serve` over an existing database:
# p50 and p95 of N sequential requests each (curl's time_total), after one
# warm-up request. Not a test: the numbers depend on the machine.
#
#   bench/serve_bench.sh DB [N] [CCO] [FILTER]  (default N=20, CCO=build/cco; FILTER: an
#                                             extended regex, only the requests matching it)
#
# Prints a Markdown table. Needs curl.
set -euo pipefail
db=${1:?usage: bench/serve_bench.sh DB [N] [CCO]}
n=${2:-20}
cco=${3:-build/cco}
filter=${4:-}
out=$(mktemp)
"$cco" serve --db "$db" --port 0 > "$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 100); do grep -q 'http://' "$out" && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*/' "$out" | head -1)
[ -n "$base" ] || { cat "$out" >&2; exit 1; }
messages=$(sqlite3 "file:$db?mode=ro" 'SELECT count(*) FROM messages' 2>/dev/null || echo '?')
session=$(sqlite3 "file:$db?mode=ro" 'SELECT session_id FROM conversations ORDER BY message_count DESC LIMIT 1' 2>/dev/null || true)
project=$(sqlite3 "file:$db?mode=ro" 'SELECT dir_name FROM projects ORDER BY id LIMIT 1' 2>/dev/null || true)
since=$(date -u -d '30 days ago' +%F)
paths=(
  "/?tz=UTC"
  "/?tz=UTC&since=2000-01-01"
  "/sessions?tz=UTC"
  "/sessions?tz=UTC&since=2000-01-01"
  "/tools?tz=UTC&since=2000-01-01"
  "/tools?tz=Asia/Kolkata&since=2000-01-01"
  "/tools?tz=Asia/Kathmandu&since=2000-01-01&project=$project"
  "/status"
  "/api/report/daily?tz=UTC"
  "/api/report/monthly?tz=Asia/Tokyo"
  "/api/report/session?tz=UTC&since=$since"
  "/api/sessions"
  "/api/report/project"
  "/api/report/tools"
  "/api/report/tools?tz=America/St_Johns&since=2000-01-01&until=2100-01-01"
  "/api/report/blocks?active=1"
  "/api/status"
  "/api/changes"
  "/search?q=error"
  "/search?q=error&newest=1"
  "/api/search?q=error"
)
[ -n "$session" ] && paths+=("/conversation/$session" "/api/conversation/$session")
echo "database: $db ($messages messages), $n requests each"
echo
echo "| request | p50 ms | p95 ms |"
echo "|---|---|---|"
for p in "${paths[@]}"; do
  [ -z "$filter" ] || [[ "$p" =~ $filter ]] || continue
  curl -s -o /dev/null "$base${p#/}"
  times=$(for _ in $(seq 1 "$n"); do curl -s -o /dev/null -w '%{time_total}\n' "$base${p#/}"; done | sort -n)
  p50=$(echo "$times" | awk -v n="$n" 'NR == int((n + 1) / 2) { printf "%.0f", $1 * 1000 }')
  p95=$(echo "$times" | awk -v n="$n" 'NR == int((n * 95 + 99) / 100) { printf "%.0f", $1 * 1000 }')
  echo "| \`$p\` | $p50 | $p95 |"
done
