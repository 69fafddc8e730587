// The citizen dashboard end to end, as a person meets it: the built app (web/dist) served
// on 127.0.0.1 with what the pipeline published, in headless Chromium. The page's numbers
// equal `aqcast forecast`; choosing another station (map, search, keyboard) updates it;
// every error state shows its message; a reload offline works; axe-core finds no serious
// or critical violation. Screenshots go to target/test-output/web/.
//
//   node --test wasm-tests/web/      (after scripts/build-web; scripts/test does both)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { serve } from "../../web/serve.mjs";
import { root, dist, aqcast, publishStore, launch, launchProfile, settled } from "./harness.mjs";

const work = path.join(root, "target/web-test");
const shots = path.join(root, "target/test-output/web");
const AURN = "aurn_no2_2001_2003";
let store, server, browser;

before(async () => {
  store = publishStore(work);
  mkdirSync(shots, { recursive: true });
  server = await serve({ dist, store });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const registry = (s, name) => JSON.parse(readFileSync(path.join(s, "registry", `${name}.json`), "utf8"));
const production = (s, name) => registry(s, name).versions.find((v) => v.stage === "production");

/** A fresh page (its own context: no service worker or storage from another test). */
async function open(url, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, timezoneId: "UTC", serviceWorkers: "block" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  return { page, context, errors };
}

/** The forecast table's rows as numbers. */
const rows = (page) =>
  page.$$eval("table.steps tbody tr", (trs) =>
    trs.map((tr) => ({
      time: Number(tr.dataset.time), p10: Number(tr.dataset.p10), p50: Number(tr.dataset.p50),
      p90: Number(tr.dataset.p90), aqi: Number(tr.dataset.aqi),
    })));

for (const [station, model] of [[AURN, "no2-72h"], ["DEBY047", "pm10-de"]]) {
  test(`the page's forecast for ${station} is aqcast forecast's, bit for bit`, async () => {
    const { page, context, errors } = await open(`${server.url}#/station/${station}`);
    assert.deepEqual(await settled(page), { state: "ready", station });
    const v = production(store, model);
    const cli = JSON.parse(aqcast("forecast", "--model", path.join(store, v.model), "--store", store, "--site", station, "--json"));
    const shown = await rows(page);
    assert.equal(shown.length, cli.steps.length);
    assert.equal(shown.length, model === "no2-72h" ? 72 : 3);
    cli.steps.forEach((s, i) => {
      assert.deepEqual(shown[i], { time: s.time, p10: s.p10, p50: s.p50, p90: s.p90, aqi: s.aqi }, `step ${i + 1}`);
    });
    // Now: the AQI of the latest measurement, as the trainer published it for the map.
    const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8"));
    const latest = list.stations.find((s) => s.id === station).latest;
    assert.equal(await page.$eval(".aqi-number", (e) => Number(e.dataset.aqi)), latest.aqi);
    const text = await page.$eval("main", (m) => m.innerText);
    assert.match(text, new RegExp(`${model} version ${v.version} \\(production\\)`));
    assert.match(text, /These are the latest measurements published for this station/); // the data are from the past
    assert.match(text, /(Sensitive groups|Sensitive populations)/);
    assert.match(text, /raises it by|lowers it by/); // why
    assert.match(text, /forecast made the day before was off by/); // history
    assert.match(text, /outcomes since training moved them/); // the bands, tracked as published
    // About links the version's published training report.
    const report = await page.$eval("#about a", (a) => a.href);
    assert.ok(report.endsWith(v.report_html), report);
    assert.equal((await fetch(report)).status, 200);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("without a station in the address, the page shows the forecast station with the newest data", async () => {
  const { page, context } = await open(server.url);
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
  const newest = list.filter((s) => s.models.length).reduce((a, b) => (b.data_time >= a.data_time ? b : a)).id;
  assert.deepEqual(await settled(page), { state: "ready", station: newest });
  await context.close();
});

test("a link to a station that is not published says so, and shows another", async () => {
  const { page, context } = await open(`${server.url}#/station/nowhere`);
  const s = await settled(page);
  assert.equal(s.state, "ready");
  assert.notEqual(s.station, "nowhere");
  assert.match(await page.$eval("main", (m) => m.innerText), /There is no station "nowhere" in the published list/);
  // Choosing a station clears it.
  await page.evaluate(() => { location.hash = "#/station/DEBY047"; });
  await page.waitForSelector('main[data-station="DEBY047"][data-state="ready"]');
  assert.doesNotMatch(await page.$eval("main", (m) => m.innerText), /There is no station/);
  await context.close();
});

test("with fresh data the days read Today and Tomorrow, and nothing is called stale", async () => {
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
  const dataTime = list.find((s) => s.id === AURN).data_time;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "UTC", serviceWorkers: "block" });
  // The browser's clock an hour after the latest measurement (23:00 UTC).
  await context.clock.setFixedTime(new Date((dataTime + 1800) * 1000));
  const page = await context.newPage();
  await page.goto(`${server.url}#/station/${AURN}`);
  await settled(page);
  const days = await page.$$eval(".days li strong", (e) => e.map((x) => x.textContent));
  assert.match(days[0], /^Thu 1 Jan \(from 00:00\)|^Tomorrow/);
  assert.ok(days.some((d) => d.startsWith("Tomorrow")), days.join(" | "));
  const text = await page.$eval("main", (m) => m.innerText);
  assert.doesNotMatch(text, /Newer ones have not arrived/);
  assert.match(text, /\(30 minutes ago\)/);
  await context.close();
});

test("another station from the map, the search and the keyboard updates the page", async () => {
  const { page, context } = await open(`${server.url}#/station/${AURN}`);
  await settled(page);
  const first = await rows(page);
  // The map: a dot, chosen by the keyboard.
  await page.focus('circle.dot[aria-label^="DEBY047"]');
  await page.keyboard.press("Enter");
  await page.waitForSelector('main[data-station="DEBY047"][data-state="ready"]');
  assert.match(await page.$eval("#now-h", (e) => e.textContent), /DEBY047/);
  assert.equal((await rows(page)).length, 3);
  assert.notDeepEqual(await rows(page), first);
  // The search.
  await page.fill("#search", "demv");
  await page.click('.results a[href="#/station/DEMV017"]');
  await page.waitForSelector('main[data-station="DEMV017"][data-state="ready"]');
  // Back goes back.
  await page.goBack();
  await page.waitForSelector('main[data-station="DEBY047"][data-state="ready"]');
  // The palette switch recolours the Now card, and is remembered.
  const before = await page.$eval(".aqi", (e) => e.style.background);
  await page.click("button.palette");
  assert.equal(await page.$eval("button.palette", (b) => b.getAttribute("aria-pressed")), "true");
  assert.notEqual(await page.$eval(".aqi", (e) => e.style.background), before);
  await page.reload();
  await settled(page);
  assert.equal(await page.$eval("button.palette", (b) => b.getAttribute("aria-pressed")), "true");
  await context.close();
});

test("near me picks the nearest station when the browser may tell where it is", async () => {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }, serviceWorkers: "block",
    geolocation: { latitude: 48.0, longitude: 11.0 }, permissions: ["geolocation"],
  });
  const page = await context.newPage();
  await page.goto(`${server.url}#/station/${AURN}`);
  await settled(page);
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
  const km = (s) => Math.hypot(s.lat - 48.0, (s.lon - 11.0) * Math.cos((48 * Math.PI) / 180));
  const nearest = list.filter((s) => s.lat != null).sort((a, b) => km(a) - km(b))[0].id;
  await page.click("button.near");
  await page.waitForSelector(`main[data-station="${nearest}"]`);
  assert.match(await page.$eval(".picker", (e) => e.innerText), /The nearest station is \d+ km away/);
  await context.close();
});

/** A copy of the store, broken by `harm`, served on its own port. */
async function broken(name, harm) {
  const copy = path.join(work, `broken-${name}`);
  rmSync(copy, { recursive: true, force: true });
  cpSync(store, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}data${path.sep}`) });
  harm(copy);
  return serve({ dist, store: copy });
}

const ERRORS = [
  ["no station list", "Not published", /station list is not published/, (s) => rmSync(path.join(s, "stations.json"))],
  ["a damaged station list", "Damaged data", /station list .* is damaged/, (s) => writeFileSync(path.join(s, "stations.json"), "{ not json")],
  ["a missing model", "Not published", /model no2-72h v\d+ is not published/, (s) => rmSync(path.join(s, production(s, "no2-72h").model))],
  ["a corrupt model", "Damaged data", /model no2-72h v\d+ .* is damaged and was not used/, (s) => {
    const f = path.join(s, production(s, "no2-72h").model);
    const b = readFileSync(f);
    b[b.length >> 1] ^= 0xff;
    writeFileSync(f, b);
  }],
  ["no model in production", "No model in service", /No version of the model no2-72h is in production/, (s) => {
    const f = path.join(s, "registry/no2-72h.json");
    const r = JSON.parse(readFileSync(f, "utf8"));
    for (const v of r.versions) if (v.stage === "production") v.stage = "staging";
    writeFileSync(f, JSON.stringify(r));
  }],
  ["a damaged snapshot", "Damaged data", /latest measurements .* is damaged/, (s) => writeFileSync(path.join(s, `stations/${AURN}/recent.json`), "[]")],
  ["a station no model serves", "No forecast here", /No model forecasts aurn_no2_2001_2003 yet/, (s) => {
    const f = path.join(s, "stations.json");
    const l = JSON.parse(readFileSync(f, "utf8"));
    l.stations.find((x) => x.id === AURN).models = [];
    writeFileSync(f, JSON.stringify(l));
  }],
  ["no measurements of the pollutant", "No forecast possible", /no observation of "no2": nothing to forecast from/, (s) => {
    const f = path.join(s, `stations/${AURN}/recent.json`);
    const snap = JSON.parse(readFileSync(f, "utf8"));
    snap.series = snap.series.filter((s) => s.variable !== "no2");
    writeFileSync(f, JSON.stringify(snap));
  }],
];

for (const [name, title, message, harm] of ERRORS) {
  test(`${name}: the page says so`, async () => {
    const s = await broken(name.replace(/\W+/g, "-"), harm);
    try {
      const { page, context, errors } = await open(`${s.url}#/station/${AURN}`);
      await settled(page);
      const alert = await page.waitForSelector('[role="alert"]');
      const text = await alert.innerText();
      assert.match(text, new RegExp(title));
      assert.match(text, message);
      assert.deepEqual(errors, []);
      await page.screenshot({ path: path.join(shots, `error-${name.replace(/\W+/g, "-")}.png`) });
      await context.close();
    } finally {
      await s.close();
    }
  });
}

test("from the edge worker's /v1/files/ (workerd) the page shows the same forecast", async () => {
  const { loadBucket, startWorker } = await import("../edge/harness.mjs");
  const dir = path.join(work, "worker");
  mkdirSync(dir, { recursive: true });
  const worker = await startWorker(loadBucket(dir, store), {
    API_KEYS: "[]", PUBLIC_READ: "true", CORS_ORIGINS: server.url.replace(/\/$/, ""), RATE_LIMIT_PER_MINUTE: "0",
  });
  try {
    const data = encodeURIComponent(`${worker.url}/v1/files/`);
    const { page, context, errors } = await open(`${server.url}?data=${data}#/station/${AURN}`);
    assert.deepEqual(await settled(page), { state: "ready", station: AURN });
    const v = production(store, "no2-72h");
    const cli = JSON.parse(aqcast("forecast", "--model", path.join(store, v.model), "--store", store, "--site", AURN, "--json"));
    assert.deepEqual((await rows(page)).map((r) => r.p50), cli.steps.map((s) => s.p50));
    // Everything came from the worker.
    const fromWorker = await page.evaluate((w) => performance.getEntriesByType("resource").filter((e) => e.name.startsWith(w)).length, worker.url);
    assert.ok(fromWorker >= 4, `${fromWorker} requests to the worker`);
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    await worker.stop();
  }
});

test("after the first visit the page works offline and says how old its copy is", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, timezoneId: "UTC" });
  const page = await context.newPage();
  await page.goto(`${server.url}#/station/${AURN}`);
  await settled(page);
  // The service worker keeps the app at install and the station's data once it is shown.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(async () => {
    const keys = await caches.keys();
    if (!keys.some((k) => k.startsWith("aqcast-app-"))) return false;
    const data = await caches.open("aqcast-data");
    return (await data.keys()).some((r) => r.url.endsWith("recent.json"));
  }, null, { timeout: 20_000 });
  const online = await rows(page);
  await context.setOffline(true);
  await page.reload();
  assert.deepEqual(await settled(page), { state: "ready", station: AURN });
  assert.deepEqual(await rows(page), online);
  assert.match(await page.$eval("main", (m) => m.innerText), /You are offline: this is the copy saved on this device/);
  await page.screenshot({ path: path.join(shots, "offline-360x800.png"), fullPage: true });
  // A station never opened has nothing saved: the page says it is offline.
  await page.evaluate(() => { location.hash = "#/station/DEBY047"; });
  const alert = await page.waitForSelector('[role="alert"]');
  assert.match(await alert.innerText(), /You seem to be offline[\s\S]*no copy was saved on this device/);
  await context.close();
});

test("the app is installable: Chromium finds no installability error in its manifest, icons and service worker", async () => {
  const profile = path.join(work, "profile");
  rmSync(profile, { recursive: true, force: true });
  const context = await launchProfile(profile);
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}#/station/${AURN}`);
    await settled(page);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    assert.deepEqual(installabilityErrors, []);
    const manifest = await cdp.send("Page.getAppManifest");
    assert.deepEqual(manifest.errors, []);
  } finally {
    await context.close();
  }
});

test("screenshots at phone and desktop sizes, and no serious or critical axe-core violation", async () => {
  const axe = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
  for (const [w, h] of [[360, 800], [1280, 900]]) {
    for (const station of [AURN, "DEBY047"]) {
      const { page, context } = await open(`${server.url}#/station/${station}`, { width: w, height: h });
      await settled(page);
      // Nothing wider than the screen (no sideways scrolling on a phone).
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${w}px wide`);
      await page.screenshot({ path: path.join(shots, `${station}-${w}x${h}.png`), fullPage: true });
      await page.addScriptTag({ path: axe });
      const result = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
      const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), [], `${station} at ${w}px`);
      await context.close();
    }
  }
});
