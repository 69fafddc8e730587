// aqcast's npm package next to onnxruntime-web (wasm backend, one thread) in one Node
// process, on the canonical 500-tree LightGBM model (ONNX: converted by onnxmltools; .aqm:
// converted by `aqcast import`). aqcast's download is its runtime module (aqcast_bg.wasm and
// aqcast.js), all that predicting with an .aqm needs; the optional modules aqcast/import
// and aqcast/pipeline are reported on their own.
// Usage: node bench/web.mjs OUT_DIR          (run by bench/run-web.sh)
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const out = process.argv[2];
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length;

const lines = readFileSync(path.join(out, "ref/test_X_h1.csv"), "utf8").trim().split("\n").slice(1);
const rows = lines.length;
const nf = 15;
const x64 = new Float64Array(lines.flatMap((l) => l.split(",").map(Number)));
const x32 = Float32Array.from(x64);
const lgbPred = readFileSync(path.join(out, "ref/lightgbm_pred_h1.csv"), "utf8").trim().split("\n").map(Number);
// Batch timings alternate between the two runtimes, round after round, so that both are
// measured in the same moments of a machine whose speed drifts (a shared VM here). In a
// round each runtime predicts the batch three times back to back and keeps its best time
// (warm caches, as for a service predicting repeatedly); each runtime's figure is the
// median of its rounds, the ratio the median of the per-round ratios.
const rounds = 15;
const perRound = 3;
const oneRows = 500;

// --- aqcast -----------------------------------------------------------------------------
const pkg = path.join(root, "pkg");
let t0 = performance.now();
const aq = await import(path.join(pkg, "aqcast.js"));
aq.initSync({ module: readFileSync(path.join(pkg, "aqcast_bg.wasm")) });
const model = aq.Model.fromBytes(readFileSync(path.join(out, "lightgbm_h1.aqm")));
let aqOut = model.predictBatch(x64, rows);
const aqCold = performance.now() - t0;
let t = performance.now();
for (let r = 0; r < oneRows; r++) model.predict(x64.subarray(r * nf, (r + 1) * nf));
const aqOne = ((performance.now() - t) * 1000) / oneRows;

// --- onnxruntime-web --------------------------------------------------------------------
t0 = performance.now();
const ort = await import("onnxruntime-web");
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(readFileSync(path.join(out, "lightgbm_h1.onnx")), { executionProviders: ["wasm"] });
const inName = session.inputNames[0];
const outName = session.outputNames[0];
let ortOut = (await session.run({ [inName]: new ort.Tensor("float32", x32, [rows, nf]) }))[outName].data;
const ortCold = performance.now() - t0;
t = performance.now();
for (let r = 0; r < oneRows; r++) await session.run({ [inName]: new ort.Tensor("float32", x32.subarray(r * nf, (r + 1) * nf), [1, nf]) });
const ortOne = ((performance.now() - t) * 1000) / oneRows;

// --- batches, alternating ---------------------------------------------------------------
const aqTimes = [];
const ortTimes = [];
for (let i = 0; i < rounds + 1; i++) {
  let a = Infinity;
  let o = Infinity;
  for (let k = 0; k < perRound; k++) {
    const t1 = performance.now();
    aqOut = model.predictBatch(x64, rows);
    a = Math.min(a, performance.now() - t1);
  }
  for (let k = 0; k < perRound; k++) {
    const t1 = performance.now();
    ortOut = (await session.run({ [inName]: new ort.Tensor("float32", x32, [rows, nf]) }))[outName].data;
    o = Math.min(o, performance.now() - t1);
  }
  // The first round warms up (JIT tiers) and is not counted.
  if (i >= 1) { aqTimes.push(a); ortTimes.push(o); }
}
const batchRatio = median(aqTimes.map((a, i) => ortTimes[i] / a));

// --- parity and download size -----------------------------------------------------------
const diffs = (a) => { let n = 0, worst = 0; for (let i = 0; i < rows; i++) { const d = Math.abs(a[i] - lgbPred[i]); worst = Math.max(worst, d); if (d > 1e-4) n++; } return { over_1e4: n, max_abs: worst }; };
const ortDist = path.join(here, "node_modules/onnxruntime-web/dist");
const result = {
  rows,
  aqcast: {
    batch_rows_per_s: rows / (median(aqTimes) / 1000), one_row_us: aqOne, cold_start_ms: aqCold,
    download_bytes_gzip: gz(path.join(pkg, "aqcast_bg.wasm")) + gz(path.join(pkg, "aqcast.js")),
    wasm_bytes: readFileSync(path.join(pkg, "aqcast_bg.wasm")).length,
    wasm_bytes_gzip: gz(path.join(pkg, "aqcast_bg.wasm")),
    optional_modules_bytes_gzip: Object.fromEntries(["import", "pipeline"].map((m) => [m, {
      wasm: gz(path.join(pkg, `aqcast_${m}_bg.wasm`)),
      js: gz(path.join(pkg, `aqcast_${m}.js`)) + gz(path.join(pkg, `${m}.js`)),
    }])),
    vs_lightgbm: diffs(aqOut),
  },
  onnxruntime_web: {
    batch_rows_per_s: rows / (median(ortTimes) / 1000), one_row_us: ortOne, cold_start_ms: ortCold,
    download_bytes_gzip: gz(path.join(ortDist, "ort-wasm-simd-threaded.wasm")) + gz(path.join(ortDist, "ort-wasm-simd-threaded.mjs")) + gz(path.join(ortDist, "ort.wasm.min.mjs")),
    vs_lightgbm: diffs(ortOut),
  },
};
result.ratios = {
  batch: batchRatio,
  batch_range: [Math.min(...aqTimes.map((a, i) => ortTimes[i] / a)), Math.max(...aqTimes.map((a, i) => ortTimes[i] / a))],
  one_row: result.onnxruntime_web.one_row_us / result.aqcast.one_row_us,
  cold_start: result.onnxruntime_web.cold_start_ms / result.aqcast.cold_start_ms,
  download: result.onnxruntime_web.download_bytes_gzip / result.aqcast.download_bytes_gzip,
};
console.log(JSON.stringify(result, null, 1));
