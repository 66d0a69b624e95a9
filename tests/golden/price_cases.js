// Generates the price-table fixture: one assistant line per case, each on a
// day of its own, so that `ccusage claude daily --json` reports one case per
// day. A case is a model name (every id of the price table, and its dated,
// undated, "anthropic/"-prefixed and "[1m]" forms), with or without
// usage.speed "fast", with 1,000,000 (above the 200k tier) or 100,000 (below
// it) tokens of one kind: input, output, 5-minute cache write, 1-hour cache
// write or cache read.
//
//   usage: node price_cases.js SCHEMA_DIR OUT_DIR
//
// Reads the model ids from the INSERT INTO model_prices rows of SCHEMA_DIR/*.sql.
// Writes OUT_DIR/projects/-price-golden/<session>.jsonl and OUT_DIR/cases.json
// (the cases, each with its date and its exact transcript line).
"use strict";
const fs = require("fs");
const path = require("path");

const [schemaDir, outDir] = process.argv.slice(2);
if (!schemaDir || !outDir) {
  console.error("usage: node price_cases.js SCHEMA_DIR OUT_DIR");
  process.exit(2);
}

// Model ids: the first value of every row ('model', <price>, ...) in a file
// that inserts into model_prices.
const ids = new Set();
for (const file of fs.readdirSync(schemaDir).filter((f) => f.endsWith(".sql")).sort()) {
  const sql = fs.readFileSync(path.join(schemaDir, file), "utf8");
  if (!/INTO model_prices\b/.test(sql)) continue;
  for (const m of sql.matchAll(/^\s*\('([^']+)',\s*[0-9.]+,/gm)) ids.add(m[1]);
}
if (ids.size === 0) {
  console.error("price_cases.js: no model_prices rows found under " + schemaDir);
  process.exit(1);
}

const DATED = /-\d{8}$/;
const models = new Set();
for (const id of [...ids].sort()) {
  models.add(id);
  models.add("anthropic/" + id);
  models.add(id + "[1m]");
  models.add(DATED.test(id) ? id.replace(DATED, "") : id + "-20260101");
}

const KINDS = ["input", "output", "cache_write_5m", "cache_write_1h", "cache_read"];
const AMOUNTS = [1000000, 100000];

function usageOf(kind, n, fast) {
  const u = {input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0};
  if (kind === "input") u.input_tokens = n;
  if (kind === "output") u.output_tokens = n;
  if (kind === "cache_read") u.cache_read_input_tokens = n;
  if (kind === "cache_write_5m" || kind === "cache_write_1h") {
    u.cache_creation_input_tokens = n;
    u.cache_creation = {
      ephemeral_5m_input_tokens: kind === "cache_write_5m" ? n : 0,
      ephemeral_1h_input_tokens: kind === "cache_write_1h" ? n : 0,
    };
  }
  if (fast) u.speed = "fast";
  return u;
}

const session = "9e1c0000-0000-4000-8000-000000000001";
const day0 = Date.UTC(2020, 0, 1, 12, 0, 0);
const cases = [];
const lines = [];
let i = 0;
for (const model of [...models].sort()) {
  for (const fast of [false, true]) {
    for (const kind of KINDS) {
      for (const tokens of AMOUNTS) {
        const ts = new Date(day0 + i * 86400000).toISOString();
        const n = String(i).padStart(6, "0");
        const line = JSON.stringify({
          parentUuid: null, isSidechain: false, userType: "external", cwd: "/home/u/price-golden",
          sessionId: session, version: "2.1.0", type: "assistant",
          message: {
            model, id: "msg_price_" + n, type: "message", role: "assistant",
            content: [{type: "text", text: "ok"}], stop_reason: "end_turn",
            usage: usageOf(kind, tokens, fast),
          },
          requestId: "req_price_" + n, uuid: "0000" + n + "-0000-4000-8000-000000000000", timestamp: ts,
        });
        cases.push({date: ts.slice(0, 10), model, fast, kind, tokens, line});
        lines.push(line);
        ++i;
      }
    }
  }
}

const dir = path.join(outDir, "projects", "-price-golden");
fs.mkdirSync(dir, {recursive: true});
fs.writeFileSync(path.join(dir, session + ".jsonl"), lines.join("\n") + "\n");
fs.writeFileSync(path.join(outDir, "cases.json"), JSON.stringify(cases));
console.error(`price_cases.js: ${ids.size} price-table ids, ${models.size} model names, ${cases.length} cases`);
