// The dashboard's performance in headless Chromium, on loopback, against its targets:
// time from navigation to the forecast on screen (cold: empty cache; warm: a second
// visit; on loopback and on DevTools' "Fast 3G"), bytes transferred (gzip, everything included), the wasm's size, the forecast's
// time in the page, a station change (same model, and another model), and layout shift.
//
//   scripts/demo --no-serve && scripts/build-web
//   node bench/web/run.mjs [--store aqcast-store] [--runs 5]
import path from "node:path";
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { serve } from "../../web/serve.mjs";
import { launch } from "../../wasm-tests/web/harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(n) ? args[args.indexOf(n) + 1] : d);
const store = path.resolve(opt("--store", path.join(root, "aqcast-store")));
const runs = Number(opt("--runs", "5"));
const dist = path.join(root, "web/dist");
const HOURLY = "aurn_no2_2001_2003";
const stations = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
const daily = stations.filter((s) => s.models.includes("pm10-de")).map((s) => s.id).slice(0, 2);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await serve({ dist, store });
const browser = await launch();

// Records when the page first shows a ready station, and the layout shifts.
const probe = () => {
  window.__shifts = 0;
  window.__shifted = [];
  new PerformanceObserver((l) => l.getEntries().forEach((e) => {
    if (e.hadRecentInput) return;
    window.__shifts += e.value;
    window.__shifted.push([Math.round(performance.now()), e.value, ...e.sources.map((s) => s.node?.id || s.node?.className || s.node?.nodeName)]);
  }))
    .observe({ type: "layout-shift", buffered: true });
  new MutationObserver(() => {
    if (!window.__ready && document.querySelector('main[data-state="ready"]')) window.__ready = performance.now();
  }).observe(document, { subtree: true, attributes: true, childList: true });
};

// Bytes on the wire (headers and gzip bodies), from the DevTools protocol: every request
// of the page, including the ones the wasm makes, and nothing answered from a cache.
// Chromium DevTools' "Fast 3G" (its 3G preset): 562.5 ms round trips, 1.44 Mbit/s down,
// 675 kbit/s up.
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 };

async function visit(page, station, network) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  if (network) await cdp.send("Network.emulateNetworkConditions", network);
  let bytes = 0;
  const urls = [];
  const byUrl = new Map();
  const urlOf = new Map();
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    const u = urlOf.get(e.requestId) ?? "?";
    byUrl.set(u, (byUrl.get(u) ?? 0) + e.encodedDataLength);
  });
  cdp.on("Network.requestWillBeSent", (e) => {
    urls.push(e.request.url);
    urlOf.set(e.requestId, e.request.url);
  });
  await page.goto(`${server.url}#/station/${station}`);
  await page.waitForFunction(() => window.__ready, null, { timeout: 30_000 });
  const atAnswer = { bytes, requests: urls.length, shifts: await page.evaluate(() => window.__shifts) };
  // Then the why and the history, which load the model after the answer is on screen.
  await page.waitForSelector('#why:not([data-state="loading"])', { timeout: 60_000 });
  await page.waitForTimeout(200);
  const r = await page.evaluate(() => ({
    ready: window.__ready,
    shifts: window.__shifts,
    compute: Number(document.querySelector("[data-compute-ms]").dataset.computeMs),
    made: document.querySelector("[data-made]").dataset.made,
    shifted: window.__shifted,
  }));
  await cdp.detach();
  return { ...r, atAnswer, bytes, byUrl, requests: urls.length };
}

// A first visit: empty cache, and the service worker kept out, so that every byte is seen
// by the page's DevTools session (a worker's own fetches are not). A second visit: with
// the service worker and the HTTP cache of the first (made on loopback), on `network`.
async function visits(network) {
  const cold = [], warm = [];
  for (let i = 0; i < runs; i++) {
    const first = await browser.newContext({ viewport: { width: 360, height: 800 }, serviceWorkers: "block" });
    await first.addInitScript(probe);
    cold.push(await visit(await first.newPage(), HOURLY, network));
    await first.close();
    const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
    await context.addInitScript(probe);
    const page = await context.newPage();
    await visit(page, HOURLY);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForTimeout(500);
    warm.push(await visit(await context.newPage(), HOURLY, network));
    await context.close();
  }
  return { cold, warm };
}
const { cold, warm } = await visits();
// The same on a phone's "Fast 3G" network (the second visit answered by the service
// worker, without the network).
const { cold: slowCold, warm: slowWarm } = await visits(FAST_3G);

// Station changes in one page: within a model (daily), and to another model.
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await page.goto(`${server.url}#/station/${HOURLY}`);
await page.waitForSelector('main[data-state="ready"]');
const change = (id) => page.evaluate(async (id) => {
  const t0 = performance.now();
  location.hash = `#/station/${id}`;
  await new Promise((resolve) => {
    const done = () => document.querySelector(`main[data-station="${id}"][data-state="ready"]`);
    if (done()) return resolve();
    const o = new MutationObserver(() => { if (done()) { o.disconnect(); resolve(); } });
    o.observe(document, { subtree: true, attributes: true, childList: true });
  });
  // Until the next frame is painted.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
}, id);
await change(daily[0]); // loads the daily model once
const sameModel = [], otherModel = [];
for (let i = 0; i < runs * 2; i++) {
  sameModel.push(await change(daily[(i + 1) % 2]));
}
for (let i = 0; i < runs; i++) {
  otherModel.push(await change(HOURLY));
  otherModel.push(await change(daily[0]));
}
await context.close();
await browser.close();
await server.close();

const wasm = readFileSync(path.join(dist, "pkg/aqcast_web_bg.wasm"));
const reg = JSON.parse(readFileSync(path.join(store, "registry/no2-72h.json"), "utf8"));
const model = reg.versions.find((v) => v.stage === "production");
const modelBytes = readFileSync(path.join(store, model.model));
const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
const ms = (n) => `${n.toFixed(0)} ms`;
console.log(`dashboard on loopback, headless Chromium, ${runs} runs (medians)`);
console.log(`  forecast on screen, cold (empty cache) ${ms(median(cold.map((r) => r.ready)))}  target ≤ 1000 ms`);
console.log(`  forecast on screen, warm (second visit) ${ms(median(warm.map((r) => r.ready)))}`);
console.log(`  the same on "Fast 3G", cold            ${ms(median(slowCold.map((r) => r.ready)))}  target ≤ 1500 ms`);
console.log(`  the same on "Fast 3G", second visit    ${ms(median(slowWarm.map((r) => r.ready)))}  target ≤ 300 ms`);
console.log(`  bytes transferred, cold, gzip, until the answer ${kb(median(cold.map((r) => r.atAnswer.bytes)))} in ${cold[0].atAnswer.requests} requests  target ≤ 500 KB`);
console.log(`  … and with the why and the history     ${kb(median(cold.map((r) => r.bytes)))} in ${cold[0].requests} requests`);
console.log(`  the forecast read made (not computed)  ${cold.map((r) => r.made).join(" ")}`);
console.log(`  bytes transferred, warm (page's view)  ${kb(median(warm.map((r) => r.bytes)))}`);
console.log(`    of which the wasm                    ${kb(gzipSync(wasm, { level: 9 }).length)} (${kb(statSync(path.join(dist, "pkg/aqcast_web_bg.wasm")).size)} raw)`);
console.log(`    each request of the first cold visit (bytes on the wire, headers included):`);
for (const [u, n] of [...cold[0].byUrl].sort((a, b) => b[1] - a[1])) {
  console.log(`      ${String(n).padStart(7)}  ${u.replace(server.url, "/")}`);
}
console.log(`    of which the no2-72h model            ${kb(gzipSync(modelBytes, { level: 9 }).length)} (${kb(modelBytes.length)} raw)`);
console.log(`  the first screen's report in the page  ${ms(median(cold.map((r) => r.compute)))}`);
console.log(`  (same model, each: ${sameModel.map((x) => x.toFixed(0)).join(" ")})`);
console.log(`  station change, same model             ${ms(median(sameModel))} (max ${ms(Math.max(...sameModel))})  target ≤ 100 ms`);
console.log(`  station change, another model          ${ms(median(otherModel))} (max ${ms(Math.max(...otherModel))})`);
console.log(`  layout shift (CLS), cold, until the answer ${median(cold.map((r) => r.atAnswer.shifts)).toFixed(3)}; with the why and the history ${median(cold.map((r) => r.shifts)).toFixed(3)}`);
console.log(`    what shifted (ms, score, elements): ${JSON.stringify(cold[0].shifted)}`);
