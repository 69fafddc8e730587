// The edge worker's benchmark: latency and throughput on loopback of /v1/predict (one
// row), /v1/predict/batch (100 rows) and /v1/forecast (72 hours), in workerd (wrangler dev
// --local), next to the original platform's predict path in the same run (FastAPI +
// LightGBM, bench/edge/reference_server.py, the same model and row); the cold start (the
// first request of a fresh worker: the model fetched from R2, verified, compiled); the
// bundle size. Prints the table recorded in BENCHMARKS.md.
// Usage: node bench/edge/run.mjs [--seconds S]   (after scripts/build-worker and
// `cargo build --release -p aqcast`; installs FastAPI in target/tools/bench-py if missing)
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
process.env.AQCAST_BIN ??= path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target", "release/aqcast");
const { publishStore, loadBucket, startWorker, sha, NAMES, freePort } = await import("../../wasm-tests/edge/harness.mjs");

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 10;
const dir = path.join(root, "bench/out/edge");
const key = "bench-key-0123456789";
const { store, rows } = publishStore(dir);
const state = loadBucket(dir, store);
const vars = {
  API_KEYS: JSON.stringify([{ id: "bench", sha256: sha(key), scopes: ["read", "predict"] }]),
  RATE_LIMIT_PER_MINUTE: "0",
  MAX_BODY_BYTES: "1000000",
};
const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
const row = rows[0].map((v) => (Number.isNaN(v) ? null : v));
const named = Object.fromEntries(NAMES.split(",").map((n, j) => [n, row[j]]));
const one = JSON.stringify({ model: "no2-h1", features: named });
const batch = JSON.stringify({ model: "no2-h1", rows: rows.slice(0, 100).map((r) => r.map((v) => (Number.isNaN(v) ? null : v))) });

const time = async (f) => {
  const t = performance.now();
  const r = await f();
  if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
  await r.arrayBuffer();
  return performance.now() - t;
};

// Cold start: a fresh worker, its first predict (model from R2), then warm ones.
let worker = await startWorker(state, vars);
const post = (u, body) => () => fetch(u, { method: "POST", headers: auth, body });
const cold = await time(post(`${worker.url}/v1/predict`, one));
const warmRuns = [];
for (let i = 0; i < 50; i++) warmRuns.push(await time(post(`${worker.url}/v1/predict`, one)));
warmRuns.sort((a, b) => a - b);
const coldForecast = await time(() => fetch(`${worker.url}/v1/forecast/aurn_no2_2001_2003`));

const load = async (opts) => {
  const r = await autocannon({ duration: seconds, ...opts });
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`${opts.url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
};
const results = [];
for (const connections of [1, 8]) {
  // The floor of the local stack (wrangler's dev proxy in front of workerd): an endpoint
  // that does nothing.
  results.push({ what: "aqcast /v1/health (the stack alone)", connections, ...(await load({ url: `${worker.url}/v1/health`, connections })) });
  results.push({ what: "aqcast /v1/predict (1 row)", connections, ...(await load({ url: `${worker.url}/v1/predict`, method: "POST", headers: auth, body: one, connections })) });
  results.push({ what: "aqcast /v1/predict/batch (100 rows)", connections, ...(await load({ url: `${worker.url}/v1/predict/batch`, method: "POST", headers: auth, body: batch, connections })) });
  results.push({ what: "aqcast /v1/forecast (72 h)", connections, ...(await load({ url: `${worker.url}/v1/forecast/aurn_no2_2001_2003`, connections })) });
}
await worker.stop();

// The reference: FastAPI + LightGBM, the same model and row.
const py = path.join(root, "target/tools/bench-py/bin/python");
if (!existsSync(py)) {
  execFileSync("python3", ["-m", "venv", path.join(root, "target/tools/bench-py")]);
  execFileSync(path.join(root, "target/tools/bench-py/bin/pip"), ["install", "-q", "fastapi==0.121.3", "uvicorn==0.38.0", "lightgbm==4.7.0", "numpy==2.4.6"], { stdio: "inherit" });
}
const port = await freePort();
const ref = spawn(py, [path.join(here, "reference_server.py"), String(port)], { stdio: "ignore", detached: true });
try {
  const refUrl = `http://127.0.0.1:${port}/predict`;
  for (let i = 0; ; i++) {
    try {
      await time(post(refUrl, one));
      break;
    } catch {
      if (i > 300) throw new Error("the reference server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const connections of [1, 8]) {
    results.push({ what: "reference: FastAPI + LightGBM /predict (1 row)", connections, ...(await load({ url: refUrl, method: "POST", headers: auth, body: one, connections })) });
  }
} finally {
  try {
    process.kill(-ref.pid, "SIGKILL");
  } catch {}
}

const build = path.join(root, "crates/edge-worker/build");
const gz = (f) => gzipSync(readFileSync(path.join(build, f)), { level: 9 }).length;
const bundle = gz("index_bg.wasm") + gz("index.js") + gz("entry.js");
const out = { seconds, cold_ms: cold, cold_forecast_ms: coldForecast, warm_p50_ms: warmRuns[25], bundle_gzip_bytes: bundle, results };
writeFileSync(path.join(dir, "results.json"), JSON.stringify(out, null, 1));
console.log(`| what | connections | requests/s | p50 ms | p99 ms |\n|---|---|---|---|---|`);
for (const r of results) console.log(`| ${r.what} | ${r.connections} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} |`);
const ratio = (c) => results.find((r) => r.what.startsWith("aqcast /v1/predict (") && r.connections === c).rps / results.find((r) => r.what.startsWith("reference") && r.connections === c).rps;
console.log(`\nrequests/s, aqcast / reference: ${ratio(1).toFixed(2)}× (1 connection), ${ratio(8).toFixed(2)}× (8 connections)`);
console.log(`cold start: first predict ${cold.toFixed(1)} ms (model fetched from R2, verified, compiled), first forecast ${coldForecast.toFixed(1)} ms; warm predict p50 ${warmRuns[25].toFixed(2)} ms (one client, sequential)`);
console.log(`bundle: ${bundle} bytes gzipped (wasm, bindings, entry)`);
