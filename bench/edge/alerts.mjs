// Bad-air alerts at scale: N subscriptions (10,000 by default) to the shipped UK station,
// each a browser of its own (its own P-256 key and auth secret, its own endpoint on a
// push service on loopback), subscribed through the API as the dashboard does; then one
// hourly round (wrangler dev --test-scheduled: GET /__scheduled), in which every one of
// them is to be told that an episode starts (threshold: the first category); rounds
// until one sends nothing (a round sends at most the worker's MAX_PUSHES, 9,000, and
// leaves the rest for the next). Prints the subscribe rate, each round's wall time until
// the push service has its messages, the CPU time workerd spent on it (utime + stime of
// its processes: the worker, and miniflare's R2 simulator and Durable Objects, so an
// upper bound of the worker's own), per subscription and per push; checks that every
// subscription was told exactly once and that a sample decrypts with its browser's keys.
// Usage: node bench/edge/alerts.mjs [--subscriptions N]
//        (after scripts/build-worker and `cargo build --release -p aqcast`)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
process.env.AQCAST_BIN ??= path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target", "release/aqcast");
const { publishStore, loadBucket, startWorker } = await import("../../wasm-tests/edge/harness.mjs");
const { startPushService, browserKeys, decrypt } = await import("../../wasm-tests/edge/push-service.mjs");

const i = process.argv.indexOf("--subscriptions");
const n = i > 0 ? Number(process.argv[i + 1]) : 10_000;
const station = "aurn_no2_2001_2003";
const dir = path.join(root, "bench/out/edge-alerts");
const { store } = publishStore(dir);
const state = loadBucket(dir, store);
const push = await startPushService();
const vapid = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
const worker = await startWorker(state, {
  PUBLIC_READ: "true",
  RATE_LIMIT_PER_MINUTE: "0",
  VAPID_PRIVATE_KEY: vapid.d,
  PUSH_SERVICES: push.origin,
  MAX_ALERT_SUBSCRIPTIONS: String(n),
  // The shipped data are from 2003.
  ALERT_MAX_DATA_AGE_HOURS: "1000000",
});

// CPU seconds of every workerd process on the machine (run the benchmark alone).
const workerdCpu = () => {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("workerd")) continue;
      const f = readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1].split(" ");
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {}
  }
  return ticks / 100;
};

let out;
try {
  const browsers = Array.from({ length: n }, () => browserKeys());
  const t0 = performance.now();
  let next = 0;
  const subscriber = async () => {
    for (let k = next++; k < n; k = next++) {
      const r = await fetch(`${worker.url}/v1/alerts/subscriptions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ subscription: browsers[k].subscription(`${push.origin}/push/${k}`), station, from: 1 }),
      });
      if (r.status !== 201) throw new Error(`subscription ${k}: ${r.status} ${await r.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, subscriber));
  const subscribeSeconds = (performance.now() - t0) / 1000;

  const round = async () => {
    const cpu0 = workerdCpu();
    const before = push.received.length;
    const t = performance.now();
    const r = await fetch(`${worker.url}/__scheduled?cron=5+*+*+*+*`);
    if (r.status !== 200) throw new Error(`round: ${r.status} ${await r.text()}`);
    const answered = (performance.now() - t) / 1000;
    // Until the push service has them all (or nothing more comes for 3 s).
    let last = push.received.length;
    let quiet = performance.now();
    while (push.received.length - before < n && performance.now() - quiet < 3000) {
      await new Promise((res) => setTimeout(res, 50));
      if (push.received.length !== last) {
        last = push.received.length;
        quiet = performance.now();
      }
    }
    const news = push.received.slice(before);
    const wall = news.length ? (Math.max(...news.map((m) => m.at)) - t) / 1000 : answered;
    const pushed = news.length;
    return { answered_s: answered, wall_s: wall, pushed, cpu_s: workerdCpu() - cpu0 };
  };
  // Rounds until one sends nothing: a round sends at most 9,000 pushes (the worker's
  // MAX_PUSHES, under a Worker's 10,000 subrequests) and leaves the rest for the next.
  const rounds = [];
  do rounds.push(await round());
  while (rounds.at(-1).pushed > 0 && rounds.length < 5);
  // A sample decrypts with its own browser's keys and says what starts.
  const byPath = new Map(push.received.map((m) => [m.path, m]));
  for (const k of [0, Math.floor(n / 2), n - 1]) {
    const m = byPath.get(`/push/${k}`);
    if (!m) throw new Error(`subscription ${k} got nothing`);
    const note = JSON.parse(decrypt(m.body, browsers[k]));
    if (note.kind !== "starts" || note.station !== station) throw new Error(`subscription ${k}: ${JSON.stringify(note)}`);
  }
  const distinct = new Set(push.received.map((m) => m.path)).size;
  if (distinct !== n || push.received.length !== n) throw new Error(`${push.received.length} messages to ${distinct} endpoints for ${n} subscriptions`);
  out = { subscriptions: n, subscribe_per_s: n / subscribeSeconds, rounds };
} finally {
  await worker.stop();
  await push.stop();
}
writeFileSync(path.join(dir, "results.json"), JSON.stringify(out, null, 1));
console.log(`${n} subscriptions: subscribed at ${out.subscribe_per_s.toFixed(0)}/s (8 clients); every one told once`);
out.rounds.forEach((r, k) =>
  console.log(`round ${k + 1}: ${r.pushed} pushes in ${r.wall_s.toFixed(1)} s wall; workerd CPU ${r.cpu_s.toFixed(1)} s = ${((r.cpu_s / n) * 1000).toFixed(2)} ms a subscription evaluated${r.pushed ? `, ${((r.cpu_s / r.pushed) * 1000).toFixed(2)} ms a push` : ""}`),
);
