// Runs aqcast-core compiled to wasm32 in Node (one thread), through the C-ABI module of
// bench/wasm-bench. Usage:
//   node run.mjs --wasm M.wasm --model MODEL --input X.csv --expect PRED.txt [--bench]
// Checks that every prediction equals the expected one bit for bit (the native `aqcast
// predict` output or the library's own predictions), then, with --bench, times batch
// prediction and single-row latency and prints one JSON line.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]?.startsWith("--") || all[i + 1] === undefined ? true : all[i + 1]]);
    return acc;
  }, []),
);
const read = (p) => (p.endsWith(".gz") ? gunzipSync(readFileSync(p)) : readFileSync(p));

const t0 = performance.now();
const wasmBytes = readFileSync(args.wasm);
const { instance } = await WebAssembly.instantiate(wasmBytes, {});
const w = instance.exports;
const mem = () => w.memory.buffer;
const errorText = () => new TextDecoder().decode(new Uint8Array(mem(), w.error_ptr(), w.error_len()));

const modelBytes = read(args.model);
const mp = w.buf_alloc(modelBytes.length);
new Uint8Array(mem(), mp, modelBytes.length).set(modelBytes);
const handle = w.model_load(mp, modelBytes.length);
w.buf_free(mp, modelBytes.length);
if (handle === 0) {
  console.error(`error: ${args.model}: ${errorText()}`);
  process.exit(2);
}
const nf = w.model_features(handle);

const lines = read(args.input).toString("utf8").split("\n").filter((l) => l.length > 0);
const rows = lines.length - 1;
const xp = w.buf_alloc(rows * nf * 8);
const op = w.buf_alloc(rows * 8);
{
  const x = new Float64Array(mem(), xp, rows * nf);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(",");
    for (let f = 0; f < nf; f++) {
      const c = cells[f];
      x[r * nf + f] = c === "" || c === "NaN" || c === "NA" ? NaN : Number(c);
    }
  }
}
const predictAll = () => {
  if (w.predict_batch(handle, xp, rows, op) !== 1) throw new Error(errorText());
  return new Float64Array(mem(), op, rows);
};
const first = Array.from(predictAll());
const coldMs = performance.now() - t0;

let mismatches = 0;
if (args.expect) {
  const want = read(args.expect).toString("utf8").split("\n").filter((l) => l.length > 0).map(Number);
  if (want.length !== rows) {
    console.error(`error: ${args.expect}: ${want.length} predictions for ${rows} rows`);
    process.exit(1);
  }
  for (let i = 0; i < rows; i++) {
    if (!Object.is(first[i], want[i])) {
      if (mismatches < 5) console.error(`row ${i}: wasm ${first[i]} expected ${want[i]}`);
      mismatches++;
    }
  }
}

const result = { rows, features: nf, wasm_bytes: wasmBytes.length, mismatches, cold_start_ms: coldMs };
if (args.bench) {
  const reps = Number(args.reps ?? 7);
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    predictAll();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  result.batch_rows_per_s = rows / (times[Math.floor(reps / 2)] / 1000);
  for (const [name, id] of [["walk", 1], ["sliced_plain", 2]]) {
    const ts = [];
    for (let i = 0; i < reps; i++) {
      const t = performance.now();
      if (w.predict_batch_with(handle, xp, rows, op, id) !== 1) throw new Error(errorText());
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    result[`batch_rows_per_s_${name}`] = rows / (ts[Math.floor(reps / 2)] / 1000);
  }
  const n = Math.min(rows, 2000);
  const t = performance.now();
  let sink = 0;
  for (let r = 0; r < n; r++) sink += w.predict_row(handle, xp + r * nf * 8);
  result.one_row_us = ((performance.now() - t) * 1000) / n;
  result.checksum = sink;
}
console.log(JSON.stringify(result));
process.exit(mismatches === 0 ? 0 : 1);
