// Pushed observations at a sustained rate: POST /v1/observations on loopback, in workerd
// (wrangler dev --local, the Durable Objects persisted to disk), at an offered rate of
// observations per second from a network of stations, with the worker killed (SIGKILL)
// half way through and started again on the same storage. Clients do what the README asks
// of them: a push that got no 202 is sent again as it was. At the end every station's
// values are read back (GET /v1/observations/{station}) and counted against what was
// sent: none may be missing, none stored twice, none changed.
// Usage: node bench/edge/push.mjs [--seconds S] [--rate OBS_PER_S] [--stations N]
//        (after scripts/build-worker)
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { startWorker, sha } = await import("../../wasm-tests/edge/harness.mjs");

const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const seconds = arg("--seconds", 20);
const rate = arg("--rate", 1000);
const nStations = arg("--stations", 20);
const perBatch = 50; // observations per push
const pushesPerSecond = rate / perBatch;

const dir = path.join(root, "bench/out/push");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const state = path.join(dir, "state");
const key = "bench-sensor-0123456789";
const stations = Array.from({ length: nStations }, (_, i) => `sensor-${String(i).padStart(3, "0")}`);
const vars = {
  API_KEYS: JSON.stringify([
    { id: "network", sha256: sha(key), scopes: ["ingest", "read"], stations },
  ]),
  RATE_LIMIT_PER_MINUTE: "0",
  MAX_PUSH_AGE_DAYS: "1000",
};
const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };

// Each station's hourly series, going back from the current hour: push k holds the next
// hours of 5 stations (10 each); values are a function of (station, hour).
const hour0 = Math.floor(Date.now() / 3.6e6) * 3600 - 20_000 * 3600;
const value = (s, h) => Math.round((5 + ((s * 7919 + h * 104729) % 400) / 10) * 10) / 10;
let nextHour = new Array(nStations).fill(0);
let batchNo = 0;
function nextBatch() {
  const obs = [];
  const first = (batchNo * 5) % nStations;
  batchNo++;
  for (let j = 0; j < 5; j++) {
    const s = (first + j) % nStations;
    for (let k = 0; k < perBatch / 5; k++) {
      const h = nextHour[s]++;
      obs.push({ station: stations[s], variable: "pm2.5", time: hour0 + h * 3600, value: value(s, h), unit: "µg/m³" });
    }
  }
  return obs;
}

let worker = await startWorker(state, vars);
let url = worker.url;
const sent = [];
const latencies = [];
let acked = 0;
let retries = 0;
let failures = 0;
let inFlight = 0;

async function send(batch) {
  inFlight++;
  for (let attempt = 0; ; attempt++) {
    const t = performance.now();
    try {
      const r = await fetch(`${url}/v1/observations`, { method: "POST", headers: auth, body: JSON.stringify({ observations: batch }) });
      const body = await r.text();
      if (r.status !== 202 && r.status !== 429 && r.status < 500) throw new Error(`refused: ${r.status} ${body}`);
      if (r.status === 202) {
        latencies.push(performance.now() - t);
        const j = JSON.parse(body);
        if (j.conflicting.length) throw new Error(`conflicts: ${body}`);
        acked += batch.length;
        break;
      }
      failures++;
    } catch (e) {
      if (/^(conflicts|refused)/.test(String(e.message))) throw e;
      failures++;
    }
    retries++;
    await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2)));
  }
  inFlight--;
}

const started = performance.now();
const pending = [];
let killedAt = null;
let restartedAt = null;
const killer = (async () => {
  await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
  killedAt = performance.now() - started;
  await worker.crash(); // SIGKILL of the process group, mid-run
  worker = await startWorker(state, vars);
  url = worker.url;
  restartedAt = performance.now() - started;
})();
// The offered load: one push every 1/pushesPerSecond s, whatever the answers do.
for (let i = 0; performance.now() - started < seconds * 1000; i++) {
  const due = started + (i * 1000) / pushesPerSecond;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const b = nextBatch();
  sent.push(...b);
  pending.push(send(b));
}
await killer;
await Promise.all(pending);
const elapsed = (performance.now() - started) / 1000;

// Read everything back.
const stored = new Map();
let doubled = 0;
for (const s of stations) {
  for (let after = 0; ; ) {
    const r = await fetch(`${url}/v1/observations/${s}?after=${after}&limit=10000`, { headers: auth });
    const j = await r.json();
    for (const o of j.observations) {
      const k = `${s}|${o.time}`;
      if (stored.has(k)) doubled++;
      stored.set(k, o.value);
      after = o.seq;
    }
    if (j.observations.length < 10000) break;
  }
}
let lost = 0;
let changed = 0;
for (const o of sent) {
  const v = stored.get(`${o.station}|${o.time}`);
  if (v === undefined) lost++;
  else if (Math.abs(v - o.value) > 1e-9) changed++;
}
await worker.stop();
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(`offered: ${rate} observations/s (${pushesPerSecond} pushes/s of ${perBatch}, ${nStations} stations) for ${seconds} s`);
console.log(`worker killed at ${(killedAt / 1000).toFixed(1)} s, answering again at ${(restartedAt / 1000).toFixed(1)} s`);
console.log(`sent ${sent.length} observations; acknowledged ${acked} in ${elapsed.toFixed(1)} s = ${(acked / elapsed).toFixed(0)} observations/s`);
console.log(`push latency (202): p50 ${q(0.5)} ms, p99 ${q(0.99)} ms; ${failures} failed attempts (the kill), all sent again`);
console.log(`read back: ${stored.size} stored; lost ${lost}, doubled ${doubled}, changed ${changed}`);
if (lost || doubled || changed || acked !== sent.length) process.exit(1);
