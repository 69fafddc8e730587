// The citizen dashboard end to end, as a person meets it: the built app (web/dist) served
// on 127.0.0.1 with what the pipeline published, in headless Chromium. The page's numbers
// equal `aqcast forecast`; choosing another station (map, search, keyboard) updates it;
// every error state shows its message; a reload offline works; axe-core finds no serious
// or critical violation. Screenshots go to target/test-output/web/.
//
//   node --test wasm-tests/web/      (after scripts/build-web; scripts/test does both)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
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

/** A fresh page (its own context: no service worker or storage from another test);
 * `setup` (the context) runs before it opens. */
async function open(url, viewport = { width: 1280, height: 900 }, setup = null) {
  const context = await browser.newContext({ viewport, timezoneId: "UTC", serviceWorkers: "block" });
  if (setup) await setup(context);
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
    // Read as the trainer published it, not computed: the model is loaded for the why.
    assert.equal(await page.$eval("[data-made]", (e) => e.dataset.made), "true");
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
    // The data are from the past: not called "now".
    assert.match(await page.$eval("#now-h", (e) => e.textContent), /^No recent measurement at /);
    assert.match(text, /This station has no recent measurement, so what the air is like there now is not known/);
    // What to do is said for the days ahead, in the agency's words, not for an old "now".
    const outlook = await page.$eval("#outlook", (e) => e.innerText);
    assert.match(outlook, /Everyone(, including sensitive groups)?: /);
    assert.match(outlook, /Advice: (US EPA, Air Quality Guide|European Environment Agency, European Air Quality Index)/);
    assert.doesNotMatch(await page.$eval("#now", (e) => e.innerText), /Everyone/);
    assert.equal(await page.$$eval(".outlook-day", (d) => d.length), 2);
    // Why: every reason's verb follows the sign of what it adds.
    const reasons = await page.$$eval("#why li[data-by]", (ls) => ls.map((l) => [Number(l.dataset.by), l.textContent]));
    assert.ok(reasons.length >= 2, JSON.stringify(reasons));
    for (const [by, line] of reasons) {
      assert.match(line, by >= 0 ? / raises it by / : / lowers it by /, `${by}: ${line}`);
    }
    assert.match(text, /forecast made the day before was off by/); // history
    assert.match(text, /checked against [\d,]+ measurements since the model was trained/); // the bands, tracked as published
    assert.doesNotMatch(await page.$eval("#about", (e) => e.innerText), /RMSE|persistence|outcomes/, "About speaks plainly");
    // The start is not a reason too, and no sentence is broken.
    const start = await page.$eval("#why li:first-child", (l) => l.textContent);
    const anchor = start.match(/^It starts from (.*): /)?.[1];
    if (anchor) {
      for (const [, line] of reasons.slice(0, -1)) assert.ok(!line.toLowerCase().startsWith(anchor.toLowerCase()), `${line} repeats ${start}`);
    }
    assert.doesNotMatch(text, /forecast for (lowers|raises)/);
    // About links the version's published training report.
    const report = await page.$eval("#about a", (a) => a.href);
    assert.ok(report.endsWith(v.report_html), report);
    assert.equal((await fetch(report)).status, 200);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("without a published forecast, or with one from other data, the page computes the same bits", async () => {
  const station = AURN;
  const expected = async (route) => {
    const { page, context, errors } = await open(`${server.url}#/station/${station}`, undefined, route);
    assert.deepEqual(await settled(page), { state: "ready", station });
    assert.equal(await page.$eval("[data-made]", (e) => e.dataset.made), "false");
    const shown = await rows(page);
    assert.deepEqual(errors, []);
    await context.close();
    return shown;
  };
  const { page, context } = await open(`${server.url}#/station/${station}`);
  await settled(page);
  const published = await rows(page);
  await context.close();
  // Not published (an older store): 404.
  assert.deepEqual(await expected((ctx) => ctx.route("**/forecasts/**", (r) => r.fulfill({ status: 404, body: "" }))), published);
  // Published from an hour earlier than the snapshot: not used.
  assert.deepEqual(await expected((ctx) => ctx.route("**/forecasts/**", async (r) => {
    const doc = await (await r.fetch()).json();
    doc.snapshot_data_time -= 3600;
    doc.steps[0].p50 = -1;
    await r.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(doc) });
  })), published);
});

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
  // The browser's clock half an hour after the latest measurement (23:00 UTC).
  await context.clock.setFixedTime(new Date((dataTime + 1800) * 1000));
  const page = await context.newPage();
  await page.goto(`${server.url}#/station/${AURN}`);
  await settled(page);
  const days = await page.$$eval(".days li strong", (e) => e.map((x) => x.textContent));
  assert.match(days[0], /^Thu 1 Jan \(from 00:00\)|^Tomorrow/);
  assert.ok(days.some((d) => d.startsWith("Tomorrow")), days.join(" | "));
  const text = await page.$eval("main", (m) => m.innerText);
  assert.match(await page.$eval("#now-h", (e) => e.textContent), /^Now at /);
  assert.doesNotMatch(text, /no recent measurement/i);
  assert.match(text, /\(30 minutes ago\)/);
  await context.close();
});

test("Now is now for 3 hours after an hourly measurement and 2 days after a daily one, then says there is none", async () => {
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
  for (const [station, step, within] of [[AURN, 3600, 3 * 3600], ["DEBY047", 86400, 2 * 86400]]) {
    const s = list.find((x) => x.id === station);
    assert.equal(s.step, step, `${station} publishes how often it measures`);
    for (const [after, recent] of [[within, true], [within + 60, false]]) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "UTC", serviceWorkers: "block" });
      await context.clock.setFixedTime(new Date((s.data_time + after) * 1000));
      const page = await context.newPage();
      await page.goto(`${server.url}#/station/${station}`);
      await settled(page);
      const heading = await page.$eval("#now-h", (e) => e.textContent);
      assert.match(heading, recent ? /^Now at / : /^No recent measurement at /, `${station}, ${after} s after its data`);
      assert.equal(await page.$(".now-body.stale") === null, recent);
      await context.close();
    }
  }
});

test("values fetched into the store make Now fresh, with the source credited where they are shown", async () => {
  const copy = path.join(work, "fetched");
  rmSync(copy, { recursive: true, force: true });
  cpSync(store, copy, { recursive: true });
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
  const t0 = list.find((s) => s.id === AURN).data_time;
  // Two more hours of NO2 in the CSV form `aqcast fetch openaq` writes, with the credit.
  const iso = (t) => new Date(t * 1000).toISOString().replace(".000Z", "+00:00");
  const csv = path.join(work, "fetched.csv");
  writeFileSync(csv, "location_id,datetime,parameter,units,value,network,licence,attribution\n" +
    [1, 2].map((h) => `${AURN},${iso(t0 + h * 3600)},no2,µg/m³,${30 + h},UK-AIR (AURN),OGL v3.0,© Crown copyright\n`).join(""));
  aqcast("ingest", csv, "--store", copy);
  aqcast("stations", "publish", "--store", copy);
  const s = await serve({ dist, store: copy });
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, timezoneId: "UTC", serviceWorkers: "block" });
    await context.clock.setFixedTime(new Date((t0 + 2 * 3600 + 600) * 1000));
    const page = await context.newPage();
    await page.goto(`${s.url}#/station/${AURN}`);
    assert.deepEqual(await settled(page), { state: "ready", station: AURN });
    assert.match(await page.$eval("#now-h", (e) => e.textContent), /^Now at /);
    const text = await page.$eval("#now", (e) => e.innerText);
    assert.match(text, /\(10 minutes ago\)/);
    assert.match(text, /Data: UK-AIR \(AURN\) · OGL v3\.0 · © Crown copyright/);
    await page.screenshot({ path: path.join(shots, "fresh-now-360x800.png"), fullPage: true });
    // The first screen, as README shows it (docs/dashboard-*.png are copies).
    await page.screenshot({ path: path.join(shots, "first-screen-360x800.png") });
    await context.close();
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: "UTC", serviceWorkers: "block" });
    await desktop.clock.setFixedTime(new Date((t0 + 2 * 3600 + 600) * 1000));
    const wide = await desktop.newPage();
    await wide.goto(`${s.url}#/station/${AURN}`);
    await settled(wide);
    await wide.waitForSelector(".map .basemap");
    await wide.screenshot({ path: path.join(shots, "first-screen-1280x900.png") });
    await desktop.close();
  } finally {
    await s.close();
  }
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

test("near me picks the nearest station with a recent measurement, or any when asked", async () => {
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations;
  const de = list.find((s) => s.id === "DEBY047");
  // The German stations' clock: a day after the latest of them; standing beside one whose
  // data ended years before.
  const now = de.data_time + 86400;
  const recent = (s) => s.data_time != null && now - s.data_time <= (s.step >= 86400 ? 2 * 86400 : 3 * 3600);
  const stale = list.find((s) => s.lat != null && !recent(s));
  const here = { latitude: stale.lat, longitude: stale.lon };
  const km = (s) => Math.hypot(s.lat - here.latitude, (s.lon - here.longitude) * Math.cos((here.latitude * Math.PI) / 180));
  const byDistance = list.filter((s) => s.lat != null).sort((a, b) => km(a) - km(b));
  assert.equal(byDistance[0].id, stale.id);
  const nearestRecent = byDistance.find(recent).id;
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }, serviceWorkers: "block", geolocation: here, permissions: ["geolocation"],
  });
  await context.clock.setFixedTime(new Date(now * 1000));
  const page = await context.newPage();
  await page.goto(`${server.url}#/station/DEMV017`);
  await settled(page);
  await page.click("button.near");
  await page.waitForSelector(`main[data-station="${nearestRecent}"]`);
  assert.match(await page.$eval(".picker", (e) => e.innerText), /The nearest station with a recent measurement is \d+ km away \(one \d+ km away has none\)/);
  // The map greys what is not recent, rather than colour it by an old rating.
  const dot = (s) => page.$eval(`circle.dot[aria-label^="${s.name ?? s.id}"]`, (c) => [c.getAttribute("fill"), c.getAttribute("aria-label")]);
  const [staleFill, staleLabel] = await dot(stale);
  assert.deepEqual([staleFill, /no recent measurement$/.test(staleLabel)], ["#BBBBBB", true]);
  assert.notEqual((await dot(de))[0], "#BBBBBB");
  // The search says which have none.
  await page.fill("#search", stale.id);
  assert.match(await page.$eval(".results", (e) => e.innerText), new RegExp(`${stale.id}\\b.* — no recent measurement`));
  await page.fill("#search", "");
  // Asked to include them, near me takes the nearest of all.
  await page.check(".include-stale input");
  await page.click("button.near");
  await page.waitForSelector(`main[data-station="${stale.id}"]`);
  assert.match(await page.$eval(".picker", (e) => e.innerText), /The nearest station is \d+ km away/);
  await context.close();
  // With no station recent at all (today's clock), near me says so and moves nowhere.
  const today = await browser.newContext({
    viewport: { width: 1280, height: 900 }, serviceWorkers: "block", geolocation: here, permissions: ["geolocation"],
  });
  const p2 = await today.newPage();
  await p2.goto(`${server.url}#/station/DEMV017`);
  await settled(p2);
  await p2.click("button.near");
  await p2.waitForFunction(() => /No station has a recent measurement/.test(document.querySelector(".picker").innerText));
  assert.equal(await p2.$eval("main", (m) => m.dataset.station), "DEMV017");
  await today.close();
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
  // The forecast comes made: without the model the answer is still there, and the why
  // and the history say what is missing.
  ["a missing model", null, /model no2-72h v\d+ is not published/, (s) => rmSync(path.join(s, production(s, "no2-72h").model))],
  ["a corrupt model", null, /model no2-72h v\d+ .* is damaged and was not used/, (s) => {
    const f = path.join(s, production(s, "no2-72h").model);
    const b = readFileSync(f);
    b[b.length >> 1] ^= 0xff;
    writeFileSync(f, b);
  }],
  // Without the forecast made (an older store), the page needs the model to compute it.
  ["a missing model and no forecast made", "Not published", /model no2-72h v\d+ is not published/, (s) => {
    rmSync(path.join(s, production(s, "no2-72h").model));
    rmSync(path.join(s, `stations/${AURN}/forecasts`), { recursive: true });
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
    // As the trainer publishes such a station: with no forecast made.
    rmSync(path.join(s, `stations/${AURN}/forecasts`), { recursive: true });
  }],
];

for (const [name, title, message, harm] of ERRORS) {
  test(`${name}: the page says so`, async () => {
    const s = await broken(name.replace(/\W+/g, "-"), harm);
    try {
      const { page, context, errors } = await open(`${s.url}#/station/${AURN}`);
      const state = await settled(page);
      if (title) {
        const alert = await page.waitForSelector('[role="alert"]');
        const text = await alert.innerText();
        assert.match(text, new RegExp(title));
        assert.match(text, message);
      } else {
        assert.equal(state.state, "ready");
        assert.equal(await page.$$eval(".outlook-day", (d) => d.length), 2);
        assert.equal(await page.$eval("#why", (e) => e.dataset.state), "error");
        assert.match(await page.$eval("#why", (e) => e.innerText), message);
        assert.match(await page.$eval("#history", (e) => e.innerText), message);
        await (await page.$("#why")).screenshot({ path: path.join(shots, `error-${name.replace(/\W+/g, "-")}-why.png`) });
      }
      assert.deepEqual(errors, []);
      await page.screenshot({ path: path.join(shots, `error-${name.replace(/\W+/g, "-")}.png`) });
      await context.close();
    } finally {
      await s.close();
    }
  });
}

test("from the edge worker's /v1/files/ (workerd) the page shows the same forecast, and a sensor's push makes Now fresh", async () => {
  const { loadBucket, startWorker } = await import("../edge/harness.mjs");
  const dir = path.join(work, "worker");
  mkdirSync(dir, { recursive: true });
  const sensorKey = "k-sensor-web-0123456789";
  const keys = [{ id: "sensor", sha256: createHash("sha256").update(sensorKey).digest("hex"), scopes: ["ingest"], stations: [AURN] }];
  // Alerts: the server's VAPID key and a push service on loopback.
  const { startPushService, browserKeys, decrypt } = await import("../edge/push-service.mjs");
  const pushService = await startPushService();
  const vapid = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
  const worker = await startWorker(loadBucket(dir, store), {
    API_KEYS: JSON.stringify(keys), PUBLIC_READ: "true", CORS_ORIGINS: server.url.replace(/\/$/, ""), RATE_LIMIT_PER_MINUTE: "0", MAX_PUSH_AGE_DAYS: "10000",
    VAPID_PRIVATE_KEY: vapid.d, PUSH_SERVICES: pushService.origin, ALERT_MAX_DATA_AGE_HOURS: "1000000",
  });
  try {
    const data = encodeURIComponent(`${worker.url}/v1/files/`);
    const { page, context, errors } = await open(`${server.url}?data=${data}#/station/${AURN}`);
    assert.deepEqual(await settled(page), { state: "ready", station: AURN });
    const v = production(store, "no2-72h");
    const cli = JSON.parse(aqcast("forecast", "--model", path.join(store, v.model), "--store", store, "--site", AURN, "--json"));
    assert.deepEqual((await rows(page)).map((r) => r.p50), cli.steps.map((s) => s.p50));
    // The worker's answer, as published: no model before the answer.
    assert.equal(await page.$eval("[data-made]", (e) => e.dataset.made), "true");
    // The worker's feeds of the station's bad-air days, linked from the outlook.
    for (const kind of ["ics", "atom"]) {
      const href = await page.$eval(`.feeds a[href*="/${kind}?"]`, (a) => a.href);
      assert.ok(href.startsWith(`${worker.url}/v1/forecast/${AURN}/${kind}?offset=`), href);
      const r = await fetch(href);
      assert.equal(r.status, 200, href);
      assert.match(r.headers.get("content-type"), kind === "ics" ? /^text\/calendar/ : /^application\/atom\+xml/);
    }
    // Everything came from the worker.
    const fromWorker = await page.evaluate((w) => performance.getEntriesByType("resource").filter((e) => e.name.startsWith(w)).length, worker.url);
    assert.ok(fromWorker >= 4, `${fromWorker} requests to the worker`);
    assert.deepEqual(errors, []);
    await context.close();

    // Alerts, as a person asks for them: with a service worker, at phone size.
    const origin = new URL(server.url).origin;
    const phone = await browser.newContext({ viewport: { width: 360, height: 800 }, timezoneId: "UTC" });
    const ap = await phone.newPage();
    const apErrors = [];
    ap.on("pageerror", (e) => apErrors.push(e.message));
    await ap.goto(`${server.url}?data=${data}#/station/${AURN}`);
    assert.deepEqual(await settled(ap), { state: "ready", station: AURN });
    await ap.evaluate(() => navigator.serviceWorker.ready);
    const ask = ap.locator("#outlook button.alert-on");
    assert.equal(await ask.textContent(), "Tell me when sensitive groups should act here");
    await ask.scrollIntoViewIfNeeded();
    await ap.screenshot({ path: path.join(shots, "alerts-off-360x800.png") });
    // Notifications not allowed: said, with what to use instead.
    await ask.click();
    const failed = ap.locator("#outlook .alert-failed");
    await failed.waitFor();
    assert.match(await failed.textContent(), /^No alerts: notifications are blocked for this page: allow them in the browser's site settings\. The calendar and the feed below list the same days\.$/);
    // Allowed: headless Chromium has no push service (Chrome's is Google's FCM, not
    // reachable here), so the browser refuses the subscription, and the page says so.
    await phone.grantPermissions(["notifications"], { origin });
    await ap.locator("#outlook button.alert-on", { hasText: "Try again" }).click();
    await ap.waitForFunction(() => /could not subscribe/.test(document.querySelector("#outlook .alert-failed")?.textContent ?? ""));
    assert.match(await failed.textContent(), /^No alerts: this browser could not subscribe \(.+\)\. The calendar/);
    assert.equal(await ap.evaluate(() => localStorage.getItem("aqcast-alert")), null, "nothing remembered");
    await ap.screenshot({ path: path.join(shots, "alerts-failed-360x800.png") });
    await ap.setViewportSize({ width: 1280, height: 900 });
    await failed.scrollIntoViewIfNeeded();
    await ap.screenshot({ path: path.join(shots, "alerts-failed-1280x900.png") });
    await ap.setViewportSize({ width: 360, height: 800 });
    // The rest of the round trip with a browser's keys held here: subscribed through
    // the API as the page would, the worker's hourly round pushes to the push service,
    // the message is decrypted with the browser's keys, and handed to the page's service
    // worker as Chrome hands it (DevTools' ServiceWorker.deliverPushMessage), which shows
    // it.
    const keysHere = browserKeys();
    const endpoint = `${pushService.origin}/push/web`;
    const sub = await fetch(`${worker.url}/v1/alerts/subscriptions`, {
      method: "POST", headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ subscription: keysHere.subscription(endpoint), station: AURN, from: 1 }),
    });
    assert.equal(sub.status, 201, await sub.clone().text());
    const { id } = await sub.json();
    assert.equal((await fetch(`${worker.url}/__scheduled?cron=5+*+*+*+*`)).status, 200);
    for (let i = 0; i < 100 && !pushService.received.some((m) => m.path === "/push/web"); i++) await new Promise((r) => setTimeout(r, 100));
    const pushed = pushService.received.find((m) => m.path === "/push/web");
    assert.ok(pushed, "the round pushed");
    const note = JSON.parse(decrypt(pushed.body, keysHere));
    const cdp = await phone.newCDPSession(ap);
    const registrations = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => registrations.push(...e.registrations));
    await cdp.send("ServiceWorker.enable");
    for (let i = 0; i < 50 && !registrations.some((r) => !r.isDeleted); i++) await new Promise((r) => setTimeout(r, 100));
    const reg = registrations.find((r) => !r.isDeleted);
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: `${origin}/`, registrationId: reg.registrationId, data: JSON.stringify(note) });
    const notifications = () => ap.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data.url })));
    let shown = [];
    for (let i = 0; i < 50 && !shown.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      shown = await notifications();
    }
    assert.deepEqual(shown, [{ title: note.title, body: note.body, tag: `aqcast-${AURN}`, url: `./#/station/${AURN}` }]);
    assert.match(note.title, /^.+ air \(NO2\) forecast at /);
    // A browser that subscribed sees its alerts on, and stops them here.
    await ap.evaluate(([id, api, station]) => localStorage.setItem("aqcast-alert", JSON.stringify({ id, station, name: station, api })), [id, `${worker.url}/v1/alerts`, AURN]);
    await ap.reload();
    await settled(ap);
    const state = ap.locator("#outlook .alert-state");
    assert.match(await state.textContent(), /^This browser is told when sensitive groups should act here, and when that is over\./);
    await ap.screenshot({ path: path.join(shots, "alerts-on-360x800.png") });
    await ap.locator("#outlook button.alert-off").click();
    await ap.locator("#outlook button.alert-on").waitFor();
    assert.equal((await fetch(`${worker.url}/v1/alerts/subscriptions/${id}`, { method: "DELETE" })).status, 404, "the page ended the subscription");
    assert.equal(await ap.evaluate(() => localStorage.getItem("aqcast-alert")), null);
    assert.deepEqual(apErrors, []);
    await phone.close();

    // The station's sensor pushes the three hours after the published data; a page opened
    // ten minutes after the last of them says "Now", from the pushed value.
    const t0 = cli.data_time ?? JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8")).stations.find((s) => s.id === AURN).data_time;
    const observations = [1, 2, 3].map((h) => ({ station: AURN, variable: "no2", time: t0 + h * 3600, value: 40 + h, unit: "µg/m³" }));
    const started = performance.now();
    const r = await fetch(`${worker.url}/v1/observations`, {
      method: "POST", headers: { authorization: `Bearer ${sensorKey}`, "content-type": "application/json" }, body: JSON.stringify({ observations }),
    });
    assert.equal(r.status, 202, await r.text());
    const fresh = await browser.newContext({ viewport: { width: 360, height: 800 }, timezoneId: "UTC", serviceWorkers: "block" });
    await fresh.clock.setFixedTime(new Date((t0 + 3 * 3600 + 600) * 1000));
    const p2 = await fresh.newPage();
    await p2.goto(`${server.url}?data=${data}#/station/${AURN}`);
    assert.deepEqual(await settled(p2), { state: "ready", station: AURN });
    const ms = performance.now() - started;
    assert.match(await p2.$eval("#now-h", (e) => e.textContent), /^Now at /);
    assert.match(await p2.$eval("#now", (e) => e.innerText), /NO2, 43 µg\/m³ measured .*\(10 minutes ago\)/);
    // The forecast starts after the pushed hours: the worker made it with them.
    assert.equal((await rows(p2))[0].time, t0 + 4 * 3600);
    assert.equal(await p2.$eval("[data-made]", (e) => e.dataset.made), "true");
    console.log(`# push → the dashboard's fresh Now (page load included): ${ms.toFixed(0)} ms`);
    await p2.screenshot({ path: path.join(shots, "pushed-now-360x800.png") });
    await fresh.close();
  } finally {
    await worker.stop();
    await pushService.stop();
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
  // … and offers the station it kept, which opens from the saved copy.
  const kept = await page.waitForSelector(`.saved a[href="#/station/${AURN}"]`);
  await page.screenshot({ path: path.join(shots, "offline-not-saved-360x800.png") });
  await kept.click();
  await page.waitForSelector(`main[data-station="${AURN}"][data-state="ready"]`);
  assert.deepEqual(await rows(page), online);
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

test("screenshots at phone and desktop sizes and at 200 % zoom on a phone, and no axe-core violation of any impact", async () => {
  const axe = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
  // 180×400: what a 360×800 phone lays out at 200 % zoom.
  for (const [w, h] of [[360, 800], [1280, 900], [180, 400]]) {
    for (const station of [AURN, "DEBY047"]) {
      const { page, context } = await open(`${server.url}#/station/${station}`, { width: w, height: h });
      await settled(page);
      // Every disclosure open, so that axe sees what a person can open.
      await page.$$eval("details", (d) => d.forEach((x) => { x.open = true; }));
      // Nothing wider than the screen (no sideways scrolling on a phone).
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${w}px wide`);
      if (w === 180) {
        // About keeps readable columns (it was a 6,280 px card of 16 px columns).
        const about = await page.$eval("#about", (e) => e.getBoundingClientRect().height);
        assert.ok(about < 2000, `About is ${about} px tall at 200 %`);
      }
      await page.screenshot({ path: path.join(shots, `${station}-${w}x${h}.png`), fullPage: true });
      await page.addScriptTag({ path: axe });
      const result = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
      const bad = result.violations;
      assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), [], `${station} at ${w}px`);
      await context.close();
    }
  }
});

/** The top of an element relative to the viewport, and whether it has the focus. */
const seen = (page, sel) => page.$eval(sel, (e) => ({ top: e.getBoundingClientRect().top, focused: document.activeElement === e }));

test("on a phone, choosing a station brings its Now into view with the focus, and the address keeps the station", async () => {
  const { page, context, errors } = await open(`${server.url}#/station/${AURN}`, { width: 360, height: 800 });
  await settled(page);
  // The answer first: Now and today's outlook start on the first screen.
  assert.ok((await seen(page, "#now-h")).top < 800);
  assert.ok((await seen(page, "#outlook-h")).top < 800, "the outlook starts on the first screen");
  // By the search, far down the page.
  await page.fill("#search", "demv");
  const link = await page.waitForSelector('.results a[href="#/station/DEMV017"]');
  await link.scrollIntoViewIfNeeded();
  assert.ok(await page.evaluate(() => scrollY) > 800, "the picker is below the screens");
  await link.click();
  await page.waitForSelector('main[data-station="DEMV017"][data-state="ready"]');
  await page.waitForFunction(() => document.activeElement?.id === "now-h");
  const now = await seen(page, "#now-h");
  assert.ok(now.top >= 0 && now.top < 800, `Now at ${now.top}`);
  // By the map.
  await page.click('circle.dot[aria-label^="DEBY047"]');
  await page.waitForSelector('main[data-station="DEBY047"][data-state="ready"]');
  await page.waitForFunction(() => document.activeElement?.id === "now-h");
  assert.ok((await seen(page, "#now-h")).top < 800);
  await page.screenshot({ path: path.join(shots, "chosen-by-map-360x800.png") });
  // Back goes to the station before, its Now again in view.
  await page.goBack();
  await page.waitForSelector('main[data-station="DEMV017"][data-state="ready"]');
  await page.waitForFunction(() => document.activeElement?.id === "now-h");
  assert.ok((await seen(page, "#now-h")).top < 800);
  await page.goForward();
  await page.waitForSelector('main[data-station="DEBY047"][data-state="ready"]');
  // The section buttons and the skip link move the focus, not the station.
  await page.click('nav.sections button:text("About")');
  await page.waitForFunction(() => document.activeElement?.id === "about-h");
  assert.equal(await page.evaluate(() => location.hash), "#/station/DEBY047");
  await page.keyboard.press("Shift+Tab"); // anything, then the skip link
  await page.focus("a.skip");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  assert.equal(await page.evaluate(() => location.hash), "#/station/DEBY047");
  // A heading of the page, and a tab title that names the place.
  assert.equal(await page.$$eval("h1", (h) => h.length), 1);
  assert.match(await page.title(), /^DEBY047, \d+ km [NESW]+ of .+: air quality/);
  await page.reload();
  assert.deepEqual(await settled(page), { state: "ready", station: "DEBY047" });
  assert.deepEqual(errors, []);
  await context.close();
});

test("stations are found by the towns near them, and a search that finds nothing says so", async () => {
  const list = JSON.parse(readFileSync(path.join(store, "stations.json"), "utf8"));
  const named = list.stations.find((s) => s.near && s.models.length);
  assert.ok(named, "stations.json names the places of the stations");
  assert.ok(list.places.length > 0 && list.places.length < 400, `${list.places.length} places`);
  const { page, context } = await open(`${server.url}#/station/${named.id}`);
  await settled(page);
  assert.match(await page.$eval("#now-h", (e) => e.textContent), new RegExp(`${named.id}, (\\d+ km [NESW]+ of )?${named.near.place}`));
  // A town with stations near it: each result is a station.
  await page.fill("#search", "berlin");
  const results = await page.$$eval(".results a", (a) => a.map((x) => [x.getAttribute("href"), x.textContent]));
  assert.ok(results.length > 0, "berlin finds stations");
  assert.ok(results.every(([href]) => href.startsWith("#/station/")), JSON.stringify(results));
  assert.ok(results.some(([, t]) => /Berlin/.test(t)), JSON.stringify(results));
  await page.fill("#search", "xyzzy");
  assert.match(await page.$eval(".picker", (e) => e.innerText), /No station or town matches “xyzzy”/);
  assert.match(await page.$eval(".foot", (e) => e.innerText), /Place names: GeoNames/);
  await context.close();
});

test("near me refuses a station that is far away, says how far, and forgets it when another is chosen", async () => {
  // London: the only UK station has no coordinates; the nearest is in Germany.
  const context = await browser.newContext({
    viewport: { width: 360, height: 800 }, serviceWorkers: "block", geolocation: { latitude: 51.52, longitude: -0.15 }, permissions: ["geolocation"],
  });
  const page = await context.newPage();
  await page.goto(`${server.url}#/station/${AURN}`);
  await settled(page);
  await page.check(".include-stale input");
  await page.click("button.near");
  await page.waitForFunction(() => /too far to tell/.test(document.querySelector(".picker").innerText));
  const text = await page.$eval(".picker", (e) => e.innerText);
  assert.match(text, /The nearest station is \d{3} km away \(.+\): too far to tell what the air is like where you are/);
  assert.equal(await page.$eval("main", (m) => m.dataset.station), AURN, "not moved");
  await page.screenshot({ path: path.join(shots, "near-me-too-far-360x800.png") });
  // "Show … all the same" does.
  const link = await page.waitForSelector("text=/^Show .* all the same$/");
  const target = decodeURIComponent((await link.getAttribute("href")).slice("#/station/".length));
  await link.click();
  await page.waitForSelector(`main[data-station="${target}"]:is([data-state="ready"], [data-state="error"])`);
  assert.doesNotMatch(await page.$eval(".picker", (e) => e.innerText), /too far/);
  // Choosing another station forgets the message.
  await page.fill("#search", "demv");
  await page.click('.results a[href="#/station/DEMV017"]');
  await page.waitForSelector('main[data-station="DEMV017"][data-state="ready"]');
  assert.doesNotMatch(await page.$eval(".picker", (e) => e.innerText), /too far|nearest station is/);
  await context.close();
});

test("the colour-blind-safe colours are an order: each category darker than the one before", async () => {
  const { page, context } = await open(`${server.url}#/station/DEBY047`);
  await settled(page);
  await page.click("button.palette");
  const lightness = await page.$$eval(".map-legend li .chip", (chips) => chips.map((c) => {
    const [r, g, b] = getComputedStyle(c).backgroundColor.match(/\d+/g).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }));
  const ordered = lightness.slice(0, 6);
  assert.equal(ordered.length, 6);
  for (let i = 1; i < 6; i++) assert.ok(ordered[i] < ordered[i - 1], `category ${i + 1} lighter than ${i}: ${ordered}`);
  // The category is written where its colour is: the outlook's badges name it.
  assert.match(await page.$eval(".outlook-day .badge", (b) => b.textContent), /^\d (Good|Fair|Moderate|Poor|Very poor|Extremely poor)$/);
  await page.screenshot({ path: path.join(shots, "colour-blind-1280x900.png") });
  await context.close();
});

test("the map is a map (coasts, borders, towns), one tab stop, and the arrow keys move between its stations", async () => {
  const { page, context } = await open(`${server.url}#/station/DEBY047`);
  await settled(page);
  // The basemap the trainer published, drawn under the stations.
  await page.waitForSelector(".map .basemap");
  const drawn = await page.$eval(".map .basemap", (g) => ({
    coast: g.querySelector(".coast").getAttribute("d").split("M").length - 1,
    border: g.querySelector(".border").getAttribute("d").split("M").length - 1,
    towns: [...g.querySelectorAll(".town-name")].map((t) => t.textContent),
  }));
  assert.ok(drawn.coast >= 3 && drawn.border >= 5, JSON.stringify(drawn));
  for (const town of ["Berlin", "Hamburg", "Munich"]) assert.ok(drawn.towns.includes(town), drawn.towns.join());
  assert.match(await page.$eval(".foot", (e) => e.innerText), /Natural Earth/);
  // Every station stays a target: the point at the middle of each dot hits that dot (the
  // data hold pairs under 12 px apart, which the map spreads).
  const hits = await page.$$eval("circle.dot", (dots) => dots.map((c) => {
    const r = c.getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c ? null : c.getAttribute("aria-label");
  }).filter(Boolean));
  assert.deepEqual(hits, [], "dots hidden under others");
  assert.equal(await page.$$eval('circle.dot[tabindex="0"]', (d) => d.map((c) => c.getAttribute("aria-current"))).then((a) => a.join()), "true");
  await page.focus('circle.dot[aria-current="true"]');
  const start = await page.evaluate(() => document.activeElement.getAttribute("aria-label"));
  const moves = [];
  for (const key of ["ArrowRight", "ArrowUp", "ArrowLeft", "ArrowDown"]) {
    await page.keyboard.press(key);
    moves.push(await page.evaluate(() => document.activeElement.tagName + " " + document.activeElement.getAttribute("aria-label")));
  }
  assert.ok(moves.every((m) => m.startsWith("circle ")), moves.join(" | "));
  assert.ok(moves.some((m) => !m.endsWith(start)), "the focus moved");
  // The focused dot is drawn as focused.
  assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement).strokeWidth), "4px");
  // Enter chooses the focused station (another than the one shown).
  for (const key of ["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown"]) {
    if ((await page.evaluate(() => document.activeElement.getAttribute("aria-current"))) !== "true") break;
    await page.keyboard.press(key);
  }
  const focused = await page.evaluate(() => document.activeElement.getAttribute("aria-label"));
  assert.notEqual(focused, start);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => location.hash !== "#/station/DEBY047");
  const id = decodeURIComponent(await page.evaluate(() => location.hash.slice("#/station/".length)));
  assert.ok(focused.startsWith(id), `${focused} chose ${id}`);
  await context.close();
});

test("a daily station's days are the same days in every time zone", async () => {
  const days = {};
  for (const timezoneId of ["UTC", "America/New_York", "Asia/Tokyo"]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId, serviceWorkers: "block" });
    const page = await context.newPage();
    await page.goto(`${server.url}#/station/DEBY047`);
    await settled(page);
    days[timezoneId] = await page.$$eval("table.steps tbody th", (t) => t.map((x) => x.textContent));
    await context.close();
  }
  assert.match(days.UTC[0], /^\w{3} \d+ \w{3} \d{4}, 00:00$/);
  assert.deepEqual(days["America/New_York"], days.UTC);
  assert.deepEqual(days["Asia/Tokyo"], days.UTC);
});

test("the last 12 months against the WHO guidelines, from the station's published summary", async () => {
  const summary = JSON.parse(readFileSync(path.join(store, "stations/DEBY047/summary.json"), "utf8"));
  const pm10 = summary.pollutants.find((p) => p.variable === "pm10");
  assert.deepEqual([pm10.guideline.short_term, pm10.guideline.long_term], [45, 15]);
  assert.equal(pm10.months.length, 12);
  // The published counts are the data's: days over 45 µg/m³ in the last 12 months of it.
  const rows = readFileSync(path.join(root, "tests/fixtures/data/airbase_pm10_de_1998_2009.csv.gz"));
  const text = (await import("node:zlib")).gunzipSync(rows).toString().split("\n");
  const months = new Set(pm10.months.map((m) => m.month));
  let over = 0, days = 0;
  for (const line of text) {
    const [code, date, v] = line.split(",");
    if (code !== "DEBY047" || v === undefined || v === "" || !months.has(date.slice(0, 7))) continue;
    days++;
    if (Number(v) > 45) over++;
  }
  assert.deepEqual([pm10.months.reduce((a, m) => a + m.over, 0), pm10.months.reduce((a, m) => a + m.days, 0)], [over, days]);
  const { page, context } = await open(`${server.url}#/station/DEBY047`, { width: 360, height: 800 });
  await settled(page);
  const card = await page.$eval("#year", (e) => ({
    text: e.innerText, rows: e.querySelectorAll(".months li").length,
    over: Number(e.querySelector(".year-pollutant").dataset.over),
  }));
  assert.equal(card.rows, 12);
  assert.equal(card.over, over);
  assert.match(card.text, new RegExp(`PM10: ${over} of ${days} days measured were over the WHO guideline for the 24-hour mean \\(45 µg/m³\\)`));
  assert.match(card.text, /(above|within) the WHO's annual guideline of 15 µg\/m³/);
  await page.click('nav.sections button:text("Year")');
  await page.waitForFunction(() => document.activeElement?.id === "year-h");
  await page.screenshot({ path: path.join(shots, "year-360x800.png") });
  await context.close();
});
