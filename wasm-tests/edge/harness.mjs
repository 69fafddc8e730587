// What the edge worker's test and benchmark share: a store published by the native CLI
// (a LightGBM model in two versions, a small 72-hour forecasting model, station data),
// and the worker started in workerd (wrangler dev --local, pinned in wasm-tests/worker;
// or under raw workerd through miniflare's API) on a free port of 127.0.0.1 with that
// store in its local R2 bucket; stopped by PID (or miniflare's dispose).
import { readdirSync, readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
export const fx = path.join(root, "tests/fixtures/models");
export const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");
const bin = path.join(root, "wasm-tests/worker/node_modules/.bin");
const workerDir = path.join(root, "crates/edge-worker");
export const env = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_UPDATE_NOTIFIER: "1",
  WRANGLER_LOG: "warn",
};
export const NAMES =
  "hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,no2_lag23,no2_lag167,no2_roll24,bg_no2";
export const sha = (s) => createHash("sha256").update(s).digest("hex");
export const aqcast = (...args) => execFileSync(aqcastBin, args, { env, stdio: ["ignore", "pipe", "pipe"] }).toString();

export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Publishes the test store into `dir/store` with the CLI; returns paths and the test rows. */
export function publishStore(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = path.join(dir, "store");
  aqcast("ingest", path.join(root, "tests/fixtures/data/aurn_no2_2001_2003.csv.gz"), "--store", store);
  const m1 = path.join(dir, "h1.aqm");
  aqcast("import", path.join(fx, "lightgbm_l2.txt"), "-o", m1, "--name", "no2-h1", "--target", "no2", "--feature-names", NAMES);
  aqcast("publish", m1, "--name", "no2-h1", "--stage", "production", "--store", store);
  const m2 = path.join(dir, "h1-q90.aqm");
  aqcast("import", path.join(fx, "lightgbm_q90.txt"), "-o", m2, "--name", "no2-h1", "--target", "no2", "--feature-names", NAMES);
  aqcast("publish", m2, "--name", "no2-h1", "--stage", "staging", "--store", store);
  const task = readFileSync(path.join(root, "configs/forecast.toml"), "utf8")
    .replace("trees = 300", "trees = 25")
    .replace("learning_rate = 0.05", "learning_rate = 0.2")
    .replace("stride = 6 ", "stride = 24 ")
    .replace("dense_steps = 6", "dense_steps = 1");
  writeFileSync(path.join(dir, "forecast.toml"), task);
  const forecastModel = path.join(dir, "no2-72h.aqm");
  aqcast("train", "--config", path.join(dir, "forecast.toml"), "--store", store, "-o", forecastModel);
  aqcast("publish", forecastModel, "--name", "no2-72h", "--stage", "production", "--store", store);
  aqcast("stations", "publish", "--store", store);
  const lines = gunzipSync(readFileSync(path.join(fx, "test_X_h1.csv.gz"))).toString().trim().split("\n");
  const rows = lines.slice(1, 101).map((l) => l.split(",").map(Number));
  const input = path.join(dir, "rows.csv");
  writeFileSync(input, lines.slice(0, 101).join("\n") + "\n");
  const native = aqcast("predict", "--model", m1, "--input", input).trim().split("\n").map(Number);
  return { store, m1, m2, forecastModel, rows, native, lines };
}

/** Loads `store` into a fresh local R2 state in `dir/state`. */
export function loadBucket(dir, store) {
  const state = path.join(dir, "state");
  rmSync(state, { recursive: true, force: true });
  writeFileSync(path.join(dir, "objects.json"), execFileSync("node", [path.join(root, "scripts/r2-pairs.mjs"), store]));
  execFileSync(path.join(bin, "wrangler"), ["r2", "bulk", "put", "aqcast-store", "--filename", path.join(dir, "objects.json"), "--local", "--persist-to", state, "--force"], { cwd: workerDir, env, stdio: "ignore" });
  return state;
}

/** Starts the worker on a free port with `vars` (name → value); resolves once it answers. */
export async function startWorker(state, vars) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // --test-scheduled: GET /__scheduled runs the cron trigger (the hourly alerts).
  const args = ["dev", "--local", "--test-scheduled", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(path.join(bin, "wrangler"), args, { cwd: workerDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  let exited = null;
  child.on("exit", (code) => (exited = code));
  const started = Date.now();
  for (;;) {
    if (exited !== null) throw new Error(`wrangler dev exited (${exited}) before answering\n${log}`);
    try {
      const r = await fetch(`${url}/v1/health`);
      if (r.status === 200) break;
    } catch {}
    if (Date.now() - started > 90_000) {
      process.kill(-child.pid, "SIGKILL");
      throw new Error(`wrangler dev did not answer in 90 s\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  };
  // A crash: SIGKILL of the whole process group at once, no shutdown.
  const crash = async () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r));
  };
  return { url, stop, crash, log: () => log, startMs: Date.now() - started };
}

/** Starts the worker as wrangler dev would, on the same local state, but with a socket
 * straight to its own entrypoint ("raw workerd": no dev proxy, no entry worker), through
 * miniflare's API (its own log at warnings; no request for Cloudflare's `cf` object).
 * With `floor`, a worker that answers at once runs in the same workerd, at
 * `floor` in the result. Resolves once the worker answers. */
export async function startRaw(state, vars, { floor = false } = {}) {
  const { Miniflare, convertV4MiniflareOptions, Log, LogLevel } = createRequire(path.join(root, "wasm-tests/worker/package.json"))("miniflare");
  const build = path.join(workerDir, "build");
  const toml = readFileSync(path.join(workerDir, "wrangler.toml"), "utf8");
  const defaults = {};
  for (const m of (toml.split("[vars]")[1] ?? "").matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)) defaults[m[1]] = m[2];
  const compatibilityDate = toml.match(/compatibility_date\s*=\s*"([^"]+)"/)[1];
  const port = await freePort();
  const floorPort = await freePort();
  const workers = [
    {
      name: "aqcast-edge",
      compatibilityDate,
      modulesRoot: build,
      modules: [
        { type: "ESModule", path: path.join(build, "entry.js") },
        ...readdirSync(build, { recursive: true })
          .filter((f) => f !== "entry.js" && /\.(js|wasm)$/.test(f))
          .map((f) => ({ type: f.endsWith(".wasm") ? "CompiledWasm" : "ESModule", path: path.join(build, f) })),
      ],
      bindings: { ...defaults, ...vars },
      r2Buckets: { STORE: "aqcast-store" },
      durableObjects: {
        RATE_LIMITER: { className: "RateLimiter", useSQLite: true },
        INBOX: { className: "StationInbox", useSQLite: true },
        PUSH_INDEX: { className: "PushIndex", useSQLite: true },
        ALERTS: { className: "AlertBook", useSQLite: true },
      },
      unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    },
  ];
  if (floor)
    workers.push({
      name: "floor",
      compatibilityDate,
      modules: [{ type: "ESModule", path: path.join(build, "floor.mjs"), contents: 'export default { fetch() { return new Response("{}"); } };' }],
      unsafeDirectSockets: [{ host: "127.0.0.1", port: floorPort }],
    });
  const options = {
    resourcePersistencePath: path.join(state, "v3"),
    workers,
    log: new Log(LogLevel.WARN),
    cf: false,
    // The worker's request log lines are handled as wrangler dev handles them, then
    // dropped; its warnings and errors are printed.
    handleStructuredLogs: ({ level, message }) => (level === "error" || level === "warn") && console.error(message),
  };
  const mf = new Miniflare(convertV4MiniflareOptions(options));
  await mf.ready;
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/v1/health`)).ok) break;
    } catch {}
    if (i > 300) {
      await mf.dispose();
      throw new Error("the worker under raw workerd did not answer in 30 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, floor: floor ? `http://127.0.0.1:${floorPort}` : undefined, stop: () => mf.dispose() };
}
