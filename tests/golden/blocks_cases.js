// Writes a generated transcript tree for the billing-blocks golden file:
// usage spread over a month before NOW (ms since the epoch, argv[2]) so that
// every block rule is exercised, and an active block ending just before NOW.
//
//   node blocks_cases.js NOW OUT_DIR      writes OUT_DIR/projects/...
//
// Rules covered (ccusage's identifySessionBlocks): a block starts at its first
// entry floored to the UTC hour; an entry more than 5 h after the block's
// start opens a new block without a gap; exactly 5 h after the previous
// entry stays in the block; more than 5 h after it opens a new block after a
// gap block; copies of one response in two files count once; several models
// in one block, in order of first use; a usage-limit notice (Claude Code's
// "Claude AI usage limit reached|<epoch>") in the active block.
"use strict";
const fs = require("fs");
const path = require("path");

const [now, out] = [Number(process.argv[2]), process.argv[3]];
if (!Number.isFinite(now) || !out) throw new Error("usage: node blocks_cases.js NOW OUT_DIR");

const MIN = 60 * 1000, HOUR = 60 * MIN, DAY = 24 * HOUR;
const iso = (ms) => new Date(ms).toISOString();
const MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001"];

let n = 0;
function call(ms, model, input, output, cw, cr, opts = {}) {
  n++;
  const id = opts.id || `msg_blk${String(n).padStart(5, "0")}`;
  return JSON.stringify({
    parentUuid: null, isSidechain: false, userType: "external", cwd: "/home/u/blocks-golden",
    sessionId: opts.session, version: "2.0.76", type: "assistant",
    message: {model, id, type: "message", role: "assistant", content: [{type: "text", text: "ok"}],
              stop_reason: "end_turn", stop_sequence: null,
              usage: {input_tokens: input, cache_creation_input_tokens: cw, cache_read_input_tokens: cr,
                      output_tokens: output}},
    requestId: opts.req || `req_blk${String(n).padStart(5, "0")}`, uuid: `b10c0000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    timestamp: iso(ms),
  });
}

const S1 = "b10c0000-0000-4000-8000-000000000001";
const S2 = "b10c0000-0000-4000-8000-000000000002";
const a = [], b = [];
// Base: a whole hour 30 days back, plus 17 minutes (blocks floor to the hour).
const base = Math.floor((now - 30 * DAY) / HOUR) * HOUR + 17 * MIN;
// Block 1: three entries, two models; the last exactly 5 h after the one
// before it would be a gap, so keep them inside.
a.push(call(base, MODELS[0], 120, 800, 4000, 20000, {session: S1}));
a.push(call(base + 40 * MIN, MODELS[1], 30, 1500, 0, 90000, {session: S1}));
a.push(call(base + 4 * HOUR + 50 * MIN, MODELS[0], 10, 300, 1000, 50000, {session: S1}));
// Past the block's end (start + 5 h) but only 20 min after the last entry:
// a new block, no gap.
a.push(call(base + 5 * HOUR + 10 * MIN, MODELS[2], 5, 60, 0, 8000, {session: S1}));
// Exactly 5 h after the previous entry: no gap (a gap needs more than 5 h),
// but past that block's end (its start is floored), so a new block.
a.push(call(base + 10 * HOUR + 10 * MIN, MODELS[0], 7, 70, 700, 7000, {session: S1}));
// A gap of two days, then a block whose copies are in both files.
const c = base + 2 * DAY + 3 * HOUR;
a.push(call(c, MODELS[1], 50, 900, 3000, 40000, {session: S1, id: "msg_blkshared1", req: "req_blkshared1"}));
b.push(call(c, MODELS[1], 50, 900, 3000, 40000, {session: S2, id: "msg_blkshared1", req: "req_blkshared1"}));
b.push(call(c + 2 * HOUR, MODELS[1], 20, 400, 0, 60000, {session: S2}));
// Daily use for a week: one block a day, 1-3 entries.
for (let d = 5; d < 12; d++) {
  const t = base + d * DAY + (d % 3) * HOUR;
  for (let k = 0; k <= d % 3; k++) {
    b.push(call(t + k * 50 * MIN, MODELS[k % 3], 10 + d, 100 * d, 500 * k, 10000 * d, {session: S2}));
  }
}
// The active block: from 2 h 10 min before now to 12 min before now.
const act = now - 2 * HOUR - 10 * MIN;
for (let k = 0; k < 6; k++) {
  a.push(call(act + k * 23 * MIN, MODELS[k % 2], 40 + k, 500 + 100 * k, 2000, 30000 + 5000 * k, {session: S1}));
}
// Claude Code's usage-limit notice, at the same time as the active block's
// last entry (so it moves no block boundary): zero usage, <synthetic>.
const resetSeconds = Math.floor((now + 2 * HOUR + 40 * MIN) / 1000);
n++;
a.push(JSON.stringify({
  parentUuid: null, isSidechain: false, userType: "external", cwd: "/home/u/blocks-golden", sessionId: S1,
  version: "1.0.56", type: "assistant", isApiErrorMessage: true,
  message: {id: "b10c-limit-notice", model: "<synthetic>", role: "assistant", stop_reason: "stop_sequence",
            stop_sequence: "", type: "message",
            usage: {input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0},
            content: [{type: "text", text: `Claude AI usage limit reached|${resetSeconds}`}]},
  uuid: "b10c0000-0000-4000-8000-00000000ffff", timestamp: iso(act + 5 * 23 * MIN),
}));

const dir = path.join(out, "projects", "-home-u-blocks-golden");
fs.mkdirSync(dir, {recursive: true});
fs.writeFileSync(path.join(dir, `${S1}.jsonl`), a.join("\n") + "\n");
fs.writeFileSync(path.join(dir, `${S2}.jsonl`), b.join("\n") + "\n");
