#!/usr/bin/env bash
# Report latency on a large history: generates a transcript tree, ingests it
# with `cco rescan`, then times `cco report daily --json` (and, when the
# reference is installed, `ccusage claude daily --json --offline` on the same
# transcripts).
#
#   usage: bench/report_bench.sh BUILD_DIR WORK_DIR [SIZE_MB] [CCUSAGE_BINARY]
#
# Prints one JSON object with the figures.
set -euo pipefail
build=$1
work=$2
size_mb=${3:-4000}
ccusage=${4:-}
mkdir -p "$work"
tree=$work/tree
db=$work/bench.db

if [ ! -d "$tree/projects" ]; then
  "$build/gen_transcripts" --out "$tree" --seed 42 --size-mb "$size_mb" --projects 24 --sessions-per-project 400 \
    --with-subagents >&2
fi
if [ ! -f "$db" ]; then
  /usr/bin/time -f '%e %M' -o "$work/rescan.time" "$build/cco" rescan --root "$tree" --db "$db" --json \
    > "$work/rescan.json"
fi

messages=$(sqlite3 "$db" 'SELECT count(*) FROM messages')
rollup_rows=$(sqlite3 "$db" 'SELECT count(*) FROM analytics')

# Median of N runs, in milliseconds.
median_ms() {
  local n=$1; shift
  local times=()
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

"$build/cco" report daily --db "$db" --json > /dev/null  # warm the page cache
daily_ms=$(median_ms 11 "$build/cco" report daily --db "$db" --json)
tokyo_ms=$(median_ms 11 "$build/cco" report daily --db "$db" --json --tz Asia/Tokyo)
monthly_ms=$(median_ms 11 "$build/cco" report monthly --db "$db" --json)
session_ms=$(median_ms 5 "$build/cco" report session --db "$db" --json)
tools_ms=$(median_ms 5 "$build/cco" report tools --db "$db" --json)
ccusage_ms=null
if [ -n "$ccusage" ] && [ -x "$ccusage" ]; then
  ccusage_ms=$(cd "$work" && CLAUDE_CONFIG_DIR="$tree" LOG_LEVEL=0 NO_COLOR=1 HOME="$work" \
    median_ms 3 "$ccusage" claude daily --json --offline -z UTC)
fi
read -r rescan_s rescan_kb < "$work/rescan.time"
bytes=$(du -sb "$tree/projects" | cut -f1)
echo "{\"tree_bytes\":$bytes,\"messages\":$messages,\"analytics_rows\":$rollup_rows,\"rescan_seconds\":$rescan_s,\"rescan_peak_rss_kb\":$rescan_kb,\"report_daily_ms\":$daily_ms,\"report_daily_tokyo_ms\":$tokyo_ms,\"report_monthly_ms\":$monthly_ms,\"report_session_ms\":$session_ms,\"report_tools_ms\":$tools_ms,\"ccusage_daily_ms\":$ccusage_ms}"
