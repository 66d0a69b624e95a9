#!/usr/bin/env bash
# Regenerate the ccusage golden files in this directory.
#
#   usage: tests/golden/regen.sh CORPUS_DIR     all golden files
#          tests/golden/regen.sh --prices-only  ccusage_prices.json only
#
# CORPUS_DIR is a Claude config dir, i.e. a directory that contains projects/
# (for this repo: the shared corpus checked out beside it). ccusage_prices.json
# needs no corpus: its transcripts are generated (price_cases.js) from the
# model ids of schema/*.sql.
# Needs: npm (npm registry access) and node. Writes only to this directory and to
# scratch space under /tmp. See README.md beside this script.
set -euo pipefail

CCUSAGE_VERSION=20.0.24

die() { echo "regen.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 CORPUS_DIR | --prices-only"
corpus=
if [ "$1" != "--prices-only" ]; then
  [ -d "$1/projects" ] || die "'$1' has no projects/ directory (expected a Claude config dir)"
  corpus=$(cd "$1" && pwd)
fi
here=$(cd "$(dirname "$0")" && pwd)

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64)   plat=linux-x64 ;;
  Linux-aarch64)  plat=linux-arm64 ;;
  Darwin-x86_64)  plat=darwin-x64 ;;
  Darwin-arm64)   plat=darwin-arm64 ;;
  *) die "unsupported platform $(uname -s)-$(uname -m)" ;;
esac

# 1. Install the reference (the npm launcher needs the platform package, which holds
#    the native binary that does the work).
scratch=/tmp/ccusage-$CCUSAGE_VERSION
bin=$scratch/node_modules/@ccusage/ccusage-$plat/bin/ccusage
if [ ! -f "$bin" ]; then
  mkdir -p "$scratch"
  (cd "$scratch" && npm init -y >/dev/null &&
   npm i --no-audit --no-fund --loglevel=error \
     "ccusage@$CCUSAGE_VERSION" "@ccusage/ccusage-$plat@$CCUSAGE_VERSION" >/dev/null)
fi
chmod +x "$bin"
got=$("$bin" --version)
[ "$got" = "ccusage $CCUSAGE_VERSION" ] || die "expected 'ccusage $CCUSAGE_VERSION', got '$got'"

# 2. Run it isolated from any user config: empty cwd (no ./.ccusage/ccusage.json) and an
#    empty HOME (no ~/.claude/ccusage.json or ~/.config/claude/ccusage.json).
run=$(mktemp -d /tmp/ccusage-golden.XXXXXX)
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/cwd" "$run/home"

ccu() {
  (cd "$run/cwd" &&
   env -u XDG_CONFIG_HOME -u CCUSAGE_CLAUDE_EXTRA_DIRS -u CCUSAGE_MODEL_ALIASES \
       HOME="$run/home" CLAUDE_CONFIG_DIR="$corpus" LOG_LEVEL=0 NO_COLOR=1 \
       "$bin" claude "$@")
}

# 3a. Prices: one generated API call per day, for every price-table model name and form,
#     fast or not, each token kind above and below the 200k tier; ccusage's cost of each.
corpus_arg=$corpus
corpus="$run/prices"
node "$here/price_cases.js" "$here/../../schema" "$corpus"
ccu daily --json --offline -z UTC > "$run/prices/daily.json"
node -e '
  const fs = require("fs");
  const [casesPath, dailyPath] = process.argv.slice(1);
  const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
  const byDate = {};
  for (const r of JSON.parse(fs.readFileSync(dailyPath, "utf8")).daily) byDate[r.date] = r;
  const KINDS = ["input", "output", "cache_write_5m", "cache_write_1h", "cache_read"];
  const TOKENS = [1000000, 100000];
  const models = {};
  for (const c of cases) {
    const r = byDate[c.date];
    if (!r) throw new Error("ccusage reported nothing for " + c.date + " (" + c.model + ")");
    const m = models[c.model] ||= {normal: KINDS.map(() => [null, null]), fast: KINDS.map(() => [null, null]),
                                   missingPricing: false};
    m[c.fast ? "fast" : "normal"][KINDS.indexOf(c.kind)][TOKENS.indexOf(c.tokens)] = r.totalCost;
    if (r.modelBreakdowns.some((b) => b.missingPricing)) m.missingPricing = true;
  }
  const names = Object.keys(models).sort();
  let out = "{\n \"ccusage\": \"20.0.24\",\n \"kinds\": " + JSON.stringify(KINDS) + ",\n \"tokens\": " +
            JSON.stringify(TOKENS) + ",\n \"models\": {\n";
  out += names.map((n) => "  " + JSON.stringify(n) + ": " + JSON.stringify(models[n])).join(",\n");
  process.stdout.write(out + "\n }\n}\n");
' "$run/prices/cases.json" "$run/prices/daily.json" > "$here/ccusage_prices.json"
corpus=$corpus_arg
if [ -z "$corpus" ]; then
  echo "regenerated ccusage_prices.json with ccusage $CCUSAGE_VERSION"
  exit 0
fi

# 3b. Keep only per-period and per-model token totals and costs (drops any session id,
#    path or project field a future ccusage might add); key order and shape are kept.
filter() {  # $1 = list key (daily|monthly), $2 = period key (date|month)
  node -e '
    const [list, period] = process.argv.slice(1);
    const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const TOK = ["inputTokens","outputTokens","cacheCreationTokens","cacheReadTokens"];
    const pick = (o, keys) => Object.fromEntries(Object.keys(o).filter(k => keys.includes(k)).map(k => [k, o[k]]));
    const BD = ["modelName", ...TOK, "cost", "missingPricing"];
    const ROW = [period, ...TOK, "totalTokens", "totalCost", "modelsUsed", "modelBreakdowns"];
    const out = {};
    out[list] = doc[list].map(r => {
      const row = pick(r, ROW);
      row.modelBreakdowns = (r.modelBreakdowns || []).map(b => pick(b, BD));
      return row;
    });
    out.totals = pick(doc.totals, [...TOK, "totalTokens", "totalCost"]);
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  ' "$1" "$2"
}

for tz in UTC Asia/Tokyo Asia/Kolkata; do
  ccu daily --json --offline -z "$tz" | filter daily date > "$here/ccusage_daily_${tz//\//-}.json"
done
ccu monthly --json --offline -z UTC | filter monthly month > "$here/ccusage_monthly_UTC.json"

# The session report, keyed by a 64-bit FNV-1a hash of "projectPath/sessionId"
# so that no session id or path is stored; tests hash their own keys the same way.
ccu session --json --offline -z UTC | node -e '
  const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const fnv = (s) => {
    let h = 0xcbf29ce484222325n;
    for (const b of Buffer.from(s, "utf8")) { h ^= BigInt(b); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
    return h.toString(16).padStart(16, "0");
  };
  const TOK = ["inputTokens","outputTokens","cacheCreationTokens","cacheReadTokens","totalTokens","totalCost"];
  const sessions = doc.sessions.map(r => Object.assign({key: fnv(r.projectPath + "/" + r.sessionId)},
    Object.fromEntries(TOK.map(k => [k, r[k]]))));
  sessions.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const totals = Object.fromEntries(Object.keys(doc.totals).filter(k => TOK.includes(k)).map(k => [k, doc.totals[k]]));
  process.stdout.write(JSON.stringify({sessions, totals}, null, 1) + "\n");
' > "$here/ccusage_session_UTC_keyed.json"

# Billing blocks. The corpus in UTC and a half-hour zone (blocks are cut in
# UTC whatever the zone; the zone must change nothing).
for tz in UTC Asia/Kolkata; do
  ccu blocks --json --offline -z "$tz" > "$here/ccusage_blocks_${tz//\//-}.json"
done
# A generated tree (blocks_cases.js) with usage up to a few minutes before
# now, so that one block is active: the tree is kept beside the goldens
# (blocks_tree/) with the "now" it was written for, which tests pass as
# CCO_NOW. ccusage reads its own clock a moment later: its projection may
# differ by that moment (tests allow a minute).
rm -rf "$here/blocks_tree"
now_ms=$(node -e 'process.stdout.write(String(Date.now()))')
node "$here/blocks_cases.js" "$now_ms" "$here/blocks_tree"
corpus_arg=$corpus
corpus="$here/blocks_tree"
ccu blocks --json --offline -z UTC --token-limit max | node -e '
  const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
  process.stdout.write(JSON.stringify({now: Number(process.argv[1]), blocks: doc.blocks}, null, 2) + "\n");
' "$now_ms" > "$here/ccusage_blocks_generated.json"
corpus=$corpus_arg

echo "regenerated golden files with ccusage $CCUSAGE_VERSION from $corpus"
