// bench/edge/raw.mjs's client, in a thread of its own: the endpoints in turn, each on a
// keep-alive connection of its own, one request at a time, `rate` requests a second in
// all for `seconds` (each on the beat, or at once when the previous one ran late), after
// 50 rounds to warm up; a endpoint's `paths` are taken in turn. Posts each endpoint's
// latencies: p50, p99 and p99.9 in milliseconds.
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const { endpoints, seconds, rate } = workerData;
const clients = endpoints.map(({ base, paths, method = "GET", headers = {}, body }) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(base);
  let next = 0;
  const once = () =>
    new Promise((resolve, reject) => {
      const p = paths[next++ % paths.length];
      const t = performance.now();
      const req = http.request({ host: u.hostname, port: u.port, path: p, method, headers, agent }, (res) => {
        res.on("data", () => {});
        res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`${p}: ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
  return { once, agent, times: [] };
});
for (let i = 0; i < 50; i++) for (const c of clients) await c.once();
const start = performance.now();
const n = Math.round(seconds * rate);
for (let i = 0; i < n; i++) {
  const wait = start + (i * 1000) / rate - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const c = clients[i % clients.length];
  c.times.push(await c.once());
}
const q = (times, p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
parentPort.postMessage(
  clients.map((c) => {
    c.agent.destroy();
    c.times.sort((a, b) => a - b);
    return { n: c.times.length, p50: q(c.times, 0.5), p99: q(c.times, 0.99), p999: q(c.times, 0.999) };
  }),
);
