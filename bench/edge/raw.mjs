// The edge worker's own latency and memory, with and without the local dev stack.
//
// `wrangler dev` puts its dev proxy and miniflare's entry worker in front of the worker:
// on this machine they cost more than the worker's own work. This harness starts the
// same build (crates/edge-worker/build) in the same workerd twice, on the same local R2
// state:
//   - "wrangler dev": as `scripts/serve` and the edge tests run it;
//   - "raw workerd": through miniflare's API with a socket straight to the worker's own
//     entrypoint (`unsafeDirectSockets`): no dev proxy, no entry worker, no tail worker;
//     what is left is workerd and the worker (and, for R2, miniflare's R2 simulator,
//     which is itself a worker in the same workerd process).
// The endpoints are timed in turn (so that the machine's moods fall on all of them
// alike), each over a keep-alive connection of its own, one request at a time, at a
// fixed rate in all (300 requests a second by default, for 30 s), next to a worker that
// answers at once (the floor: workerd, loopback and the client); p50/p99/p99.9 printed
// in milliseconds.
//
// Memory: 10 connections, as fast as they go, for 20 s each on /v1/health, on a
// forecast, and on the R2 read path (GET /v1/files/… of the model artifacts and the
// station snapshot); workerd's resident memory (VmRSS, from /proc) sampled every 250 ms
// next to what the worker itself holds (its wasm memory and the bytes in its caches,
// from /v1/metrics).
//
// Usage: node bench/edge/raw.mjs [--seconds S] [--rate R] [--memory-seconds M]
//        (after scripts/build-worker and `cargo build --release -p aqcast`)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
process.env.AQCAST_BIN ??= path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target", "release/aqcast");
const { publishStore, loadBucket, startWorker, startRaw: startRawIn, sha, NAMES } = await import("../../wasm-tests/edge/harness.mjs");

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const seconds = arg("--seconds", 30);
const rate = arg("--rate", 300);
const memorySeconds = arg("--memory-seconds", 20);

const dir = path.join(root, "bench/out/edge-raw");
const key = "bench-key-0123456789";
const { store, rows } = publishStore(dir);
const state = loadBucket(dir, store);
const vars = {
  API_KEYS: JSON.stringify([{ id: "bench", sha256: sha(key), scopes: ["read", "predict", "admin"] }]),
  RATE_LIMIT_PER_MINUTE: "0",
  AUTH_FAILURES_PER_MINUTE: "0",
  MAX_BODY_BYTES: "1000000",
  PUBLIC_READ: "true",
};
const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
const row = rows[0].map((v) => (Number.isNaN(v) ? null : v));
const one = JSON.stringify({ model: "no2-h1", features: Object.fromEntries(NAMES.split(",").map((n, j) => [n, row[j]])) });

// The endpoints in turn, each on a keep-alive connection of its own, one request at a
// time, `rate` requests a second in all, from a thread of its own (so that miniflare's
// handling of the worker's log lines in this thread never delays a measurement).
function paced(endpoints) {
  return new Promise((resolve, reject) => {
    const t = new Worker(path.join(here, "paced.mjs"), { workerData: { endpoints, seconds, rate } });
    t.once("message", resolve);
    t.once("error", reject);
  });
}

// Replays: the forecast from each hour of the station's last 12 days in turn (`at=`),
// computed at every request (the worker keeps only answers from the latest data).
const replays = [];
for (let h = 0; h < 12 * 24; h++) {
  const t = new Date(Date.UTC(2003, 11, 19) + h * 3_600_000).toISOString().slice(0, 19).replace("T", "%20");
  replays.push(`/v1/forecast/aurn_no2_2001_2003?at=${t}`);
}
// The latest data's forecast both ways: as `aqcast stations publish` published it, and
// the same answer computed at every request (`at=` the latest data time).
const latest = JSON.parse(readFileSync(path.join(store, "stations/aurn_no2_2001_2003/recent.json"), "utf8")).data_time;
const latestAt = new Date(latest * 1000).toISOString().slice(0, 19).replace("T", "%20");
const endpoints = [
  ["/v1/health (nothing)", ["/v1/health"], {}],
  ["/v1/predict (1 row)", ["/v1/predict"], { method: "POST", headers: auth, body: one }],
  ["/v1/forecast (72 h), the latest data: published", ["/v1/forecast/aurn_no2_2001_2003"], {}],
  ["/v1/forecast?at=latest (72 h), the same answer computed at every request", [`/v1/forecast/aurn_no2_2001_2003?at=${latestAt}`], {}],
  ["/v1/forecast?at= (72 h), 12 days of origins, computed at every request", replays, {}],
  ["/v1/files/…/recent.json (the snapshot and the pushed values)", ["/v1/files/stations/aurn_no2_2001_2003/recent.json"], {}],
];

const startRaw = (vars) => startRawIn(state, vars, { floor: true });
const stacks = [
  ["raw workerd", () => startRaw(vars)],
  ["wrangler dev", () => startWorker(state, vars)],
];
const results = [];
for (const [stack, start] of stacks) {
  const w = await start();
  try {
    const list = endpoints.map(([what, paths, opts]) => ({ what, base: w.url, paths, ...opts }));
    if (w.floor) list.unshift({ what: "a worker that answers at once (the floor)", base: w.floor, paths: ["/"] });
    const stats = await paced(list.map(({ what, ...e }) => e));
    list.forEach((e, i) => results.push({ stack, what: e.what, ...stats[i] }));
  } finally {
    await w.stop();
  }
}

// Memory under load, raw workerd: the resident memory of every workerd process on the
// machine (the worker, the R2 simulator, miniflare's own workers; run the benchmark
// alone), and what the worker itself says it holds.
function rssOfWorkerd() {
  let kb = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1");
      if (!cmd.includes("workerd") || !cmd.includes("serve")) continue;
      const m = readFileSync(`/proc/${pid}/status`, "latin1").match(/VmRSS:\s+(\d+) kB/);
      if (m) kb += Number(m[1]);
    } catch {}
  }
  return kb / 1024;
}
const w = await startRaw(vars);
let memory;
try {
  const metrics = async () => {
    const text = await (await fetch(`${w.url}/v1/metrics`, { headers: auth })).text();
    const mb = (re) => [...text.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0) / 2 ** 20;
    return { wasm_memory_mb: mb(/^aqcast_wasm_memory_bytes\{[^}]*\} (\S+)$/gm), caches_mb: mb(/^aqcast_cache_bytes\{[^}]*\} (\S+)$/gm) };
  };
  const registry = await (await fetch(`${w.url}/v1/models/no2-h1`, { headers: auth })).json();
  const files = ["stations.json", "stations/aurn_no2_2001_2003/recent.json"];
  for (const v of registry.versions ?? []) files.push(`models/no2-h1/${v.sha256}/model.aqm`);
  // 10 connections as fast as they go on `paths` for the memory seconds: workerd's
  // resident memory before, at its peak and after, and the worker's own.
  const phase = async (paths, opts = {}) => {
    const before = { rss_mb: rssOfWorkerd(), ...(await metrics()) };
    const samples = [];
    const until = performance.now() + memorySeconds * 1000;
    let requests = 0;
    let bytes = 0;
    const client = async (i) => {
      for (let j = i; performance.now() < until; j++) {
        const r = await fetch(`${w.url}${paths[j % paths.length]}`, opts);
        if (!r.ok) throw new Error(`${paths[j % paths.length]}: ${r.status}`);
        bytes += (await r.arrayBuffer()).byteLength;
        requests++;
      }
    };
    const sampler = setInterval(() => samples.push(rssOfWorkerd()), 250);
    await Promise.all(Array.from({ length: 10 }, (_, i) => client(i)));
    clearInterval(sampler);
    return { requests, mb_served: bytes / 2 ** 20, before, peak_rss_mb: Math.max(...samples), after: { rss_mb: rssOfWorkerd(), ...(await metrics()) } };
  };
  memory = {
    files,
    health: await phase(["/v1/health"]),
    forecast: await phase(["/v1/forecast/aurn_no2_2001_2003"]),
    files_read: await phase(files.map((f) => `/v1/files/${f}`)),
  };
} finally {
  await w.stop();
}

writeFileSync(path.join(dir, "results.json"), JSON.stringify({ seconds, rate, results, memory }, null, 1));
console.log(`each endpoint on a keep-alive connection of its own, one request at a time, the endpoints in turn, ${rate} requests/s in all for ${seconds} s; ms\n`);
console.log("| endpoint | stack | p50 | p99 | p99.9 |\n|---|---|---|---|---|");
for (const r of results) console.log(`| ${r.what} | ${r.stack} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p999.toFixed(2)} |`);
console.log(`\nmemory, raw workerd, 10 connections for ${memorySeconds} s each, one after the other; MB`);
console.log("| load | requests | served | workerd before | peak | after | the worker's wasm memory after | its caches after |\n|---|---|---|---|---|---|---|---|");
for (const [what, m] of Object.entries(memory).filter(([k]) => k !== "files"))
  console.log(`| ${what} | ${m.requests} | ${m.mb_served.toFixed(0)} | ${m.before.rss_mb.toFixed(0)} | ${m.peak_rss_mb.toFixed(0)} | ${m.after.rss_mb.toFixed(0)} | ${m.after.wasm_memory_mb.toFixed(1)} | ${m.after.caches_mb.toFixed(2)} |`);
