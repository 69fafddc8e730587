// The edge worker (crates/edge-worker) in workerd: wrangler dev --local on a free port of
// 127.0.0.1, its R2 bucket loaded with what the native CLI published (a LightGBM model in
// two versions and a 72-hour forecasting model, the station list and snapshots). Every
// endpoint; answers equal to the CLI's bit for bit; every auth failure; bad input is a
// 4xx JSON error, never a 5xx; a promotion takes effect without a redeploy while requests
// keep succeeding.
// Needs: scripts/build-worker, `npm ci` in wasm-tests/worker (wrangler), $AQCAST_BIN.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createHmac, generateKeyPairSync, sign as cryptoSign } from "node:crypto";
import { gunzipSync } from "node:zlib";
import http from "node:http";
import { fileURLToPath } from "node:url";
import path from "node:path";
import autocannon from "autocannon";

import { root, fx, env, NAMES, sha, aqcast, aqcastBin, publishStore, loadBucket, startWorker } from "./harness.mjs";
import { startPushService, browserKeys, decrypt, checkVapid } from "./push-service.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const KEYS = { admin: "k-admin-0123456789", reader: "k-reader-0123456789", predictor: "k-predict-0123456789", limited: "k-limited-0123456789", client: "k-client-0123456789", sensor: "k-sensor-0123456789", network: "k-network-0123456789" };
const SENSOR_STATIONS = ["aurn_no2_2001_2003", "sensor-new"];
const HS_SECRET = "hs256-test-secret-0123456789";
const es = generateKeyPairSync("ec", { namedCurve: "P-256" });
const b64u = (b) => Buffer.from(b).toString("base64url");
const jwt = (alg, claims, { key, header } = {}) => {
  const h = b64u(JSON.stringify(header ?? { alg, typ: "JWT" }));
  const p = b64u(JSON.stringify(claims));
  const data = `${h}.${p}`;
  let sig = "";
  if (alg === "HS256") sig = createHmac("sha256", key ?? HS_SECRET).update(data).digest("base64url");
  if (alg === "ES256") sig = cryptoSign("sha256", Buffer.from(data), { key: key ?? es.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return `${data}.${sig}`;
};
const nowS = () => Math.floor(Date.now() / 1000);

const dir = path.join(root, "wasm-tests/.tmp/edge");
let worker;
let url;
let store;
let rows;
let native;
let forecastModel;
let allRows;
let workerVars;
let workerState;
// The push service alerts go to, and the server's VAPID key (as `npx web-push
// generate-vapid-keys` makes one: the private scalar and the public point, base64url).
let pushService;
const vapid = generateKeyPairSync("ec", { namedCurve: "P-256" });
const vapidJwk = vapid.privateKey.export({ format: "jwk" });
const vapidPublic = Buffer.concat([Buffer.from([4]), Buffer.from(vapidJwk.x, "base64url"), Buffer.from(vapidJwk.y, "base64url")]).toString("base64url");

const call = async (p, { key, method = "GET", body, headers = {} } = {}) => {
  const h = { ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  if (body !== undefined) h["content-type"] = "application/json";
  const r = await fetch(url + p, { method, headers: h, body: typeof body === "string" ? body : body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, headers: r.headers, text, json };
};

const assertError = (r, status, code) => {
  assert.equal(r.status, status, r.text);
  assert.ok(r.json?.error, r.text);
  if (code) assert.equal(r.json.error.code, code, r.text);
  assert.equal(typeof r.json.error.message, "string");
  assert.equal(r.json.error.request_id, r.headers.get("x-request-id"));
  assert.doesNotMatch(r.text, /\/work\/|\/home\/|\.rs:|panicked|stack/i, "no internals in an error");
};

before(async () => {
  ({ store, rows, native, forecastModel } = publishStore(dir));
  allRows = rows;
  rows = rows.slice(0, 60);
  native = native.slice(0, 60);
  const state = loadBucket(dir, store);
  // The keys: only their hashes reach the worker.
  const keys = [
    { id: "admin", sha256: sha(KEYS.admin), scopes: ["read", "predict", "admin"] },
    { id: "reader", sha256: sha(KEYS.reader), scopes: ["read"] },
    { id: "predictor", sha256: sha(KEYS.predictor), scopes: ["predict"] },
    { id: "limited", sha256: sha(KEYS.limited), scopes: ["read"], per_minute: 3 },
    { id: "client", sha256: sha(KEYS.client), scopes: ["read", "predict"] },
    { id: "sensor", sha256: sha(KEYS.sensor), scopes: ["ingest"], stations: SENSOR_STATIONS },
    { id: "network", sha256: sha(KEYS.network), scopes: ["ingest"], stations: ["*"] },
  ];
  workerVars = {
    API_KEYS: JSON.stringify(keys),
    REGISTRY_TTL: "0",
    MAX_BODY_BYTES: "20000",
    MAX_BATCH_ROWS: "100",
    PUBLIC_READ: "true",
    CORS_ORIGINS: "https://air.example.org",
    JWT_HS256_SECRET: HS_SECRET,
    JWT_ES256_PUBLIC_KEY: JSON.stringify(es.publicKey.export({ format: "jwk" })),
    JWT_AUDIENCE: "aqcast",
    RATE_LIMIT_PER_MINUTE: "0",
    MAX_PUSH_BYTES: "100000",
    // The shipped data are from 2003: pushes continue them.
    MAX_PUSH_AGE_DAYS: "10000",
  };
  pushService = await startPushService();
  workerVars.VAPID_PRIVATE_KEY = vapidJwk.d;
  workerVars.PUSH_SERVICES = pushService.origin;
  // Two subscriptions at most, so that the alert test sees a full server refuse a third.
  workerVars.MAX_ALERT_SUBSCRIPTIONS = "2";
  // The shipped data are from 2003: alerts from them all the same.
  workerVars.ALERT_MAX_DATA_AGE_HOURS = "1000000";
  workerState = state;
  worker = await startWorker(state, workerVars);
  url = worker.url;
});

after(async () => {
  if (worker) await worker.stop();
  if (pushService) await pushService.stop();
});

test("health, live, ready and the OpenAPI document", async () => {
  const h = await call("/v1/health");
  assert.equal(h.status, 200);
  assert.equal(h.json.status, "ok");
  assert.match(h.headers.get("x-request-id"), /^[a-z0-9]{20}$/);
  assert.equal((await call("/v1/live")).json.status, "live");
  const ready = await call("/v1/ready");
  assert.equal(ready.status, 200, ready.text);
  assert.deepEqual(ready.json.models.map((m) => m.name), ["no2-72h", "no2-h1"]);
  const doc = (await call("/v1/openapi.json")).json;
  assert.equal(doc.openapi, "3.1.0");
  for (const p of ["/v1/predict", "/v1/predict/batch", "/v1/explain", "/v1/forecast/{station}", "/v1/stations", "/v1/models/{name}/promote", "/v1/metrics"]) {
    assert.ok(doc.paths[p], p);
  }
  // A client's own request id is kept.
  const mine = await call("/v1/health", { headers: { "x-request-id": "trace-42" } });
  assert.equal(mine.headers.get("x-request-id"), "trace-42");
});

test("the registry, read with a key", async () => {
  assertError(await call("/v1/models"), 401, "unauthorized");
  const list = await call("/v1/models", { key: KEYS.reader });
  assert.equal(list.status, 200, list.text);
  const h1 = list.json.models.find((m) => m.name === "no2-h1");
  assert.equal(h1.production, 1);
  assert.equal(h1.staging, 2);
  const doc = await call("/v1/models/no2-h1", { key: KEYS.reader });
  assert.equal(doc.json.versions.length, 2);
  const v = await call("/v1/models/no2-h1/versions/staging", { key: KEYS.reader });
  assert.equal(v.json.version, 2);
  assertError(await call("/v1/models/nothing", { key: KEYS.reader }), 404, "not_found");
  assertError(await call("/v1/models/no2-h1/versions/9", { key: KEYS.reader }), 404, "no_such_version");
});

test("predictions equal the CLI's, bit for bit, one by one and in a batch", async () => {
  const names = NAMES.split(",");
  for (let i = 0; i < 20; i++) {
    const arr = rows[i].map((v) => (Number.isNaN(v) ? null : v));
    const features = i % 2 ? Object.fromEntries(names.map((n, j) => [n, arr[j]])) : arr;
    const r = await call("/v1/predict", { key: KEYS.predictor, method: "POST", body: { model: "no2-h1", features } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 1);
    assert.ok(Object.is(r.json.prediction, native[i]), `row ${i}: ${r.json.prediction} vs ${native[i]}`);
  }
  const batch = await call("/v1/predict/batch", {
    key: KEYS.predictor,
    method: "POST",
    body: { model: "no2-h1", rows: rows.map((r) => r.map((v) => (Number.isNaN(v) ? null : v))) },
  });
  assert.equal(batch.status, 200, batch.text);
  assert.equal(batch.json.predictions.length, rows.length);
  batch.json.predictions.forEach((p, i) => assert.ok(Object.is(p, native[i]), `batch row ${i}`));
});

test("explanations sum to the prediction and equal the CLI's", async () => {
  const arr = rows[3].map((v) => (Number.isNaN(v) ? null : v));
  const r = await call("/v1/explain", { key: KEYS.predictor, method: "POST", body: { model: "no2-h1", features: arr } });
  assert.equal(r.status, 200, r.text);
  const sum = Object.values(r.json.contributions).reduce((a, b) => a + b, 0) + r.json.bias;
  assert.ok(Math.abs(sum - r.json.prediction) < 1e-9, `${sum} vs ${r.json.prediction}`);
  const one = path.join(dir, "one.csv");
  const lines = gunzipSync(readFileSync(path.join(fx, "test_X_h1.csv.gz"))).toString().trim().split("\n");
  writeFileSync(one, `${lines[0]}\n${lines[4]}\n`);
  const cli = aqcast("explain", "--model", path.join(dir, "h1.aqm"), "--input", one).trim().split("\n");
  const header = cli[0].split(",");
  const values = cli[1].split(",").map(Number);
  header.forEach((h, j) => {
    const got = h === "bias" ? r.json.bias : r.json.contributions[h];
    assert.ok(Object.is(got, values[j]), `${h}: ${got} vs ${values[j]}`);
  });
});

test("the forecast equals the CLI's and is cacheable, a minute at most, by its ETag", async () => {
  const station = "aurn_no2_2001_2003";
  const r = await call(`/v1/forecast/${station}`);
  assert.equal(r.status, 200, r.text);
  // Served as `aqcast stations publish` published it: the same bytes as computed from the
  // same origin, but for when each was made.
  assert.equal(r.headers.get("x-forecast"), "published");
  assert.equal(r.headers.get("x-model-version"), "no2-72h/1");
  const latest = new Date(r.json.data_time * 1000).toISOString().replace("T", " ").slice(0, 19);
  const computed = await call(`/v1/forecast/${station}?at=${encodeURIComponent(latest)}`);
  assert.equal(computed.headers.get("x-forecast"), "computed");
  assert.deepEqual({ ...computed.json, generated: null }, { ...r.json, generated: null });
  assert.ok(r.json.snapshot_start < r.json.data_time);
  const cli = JSON.parse(aqcast("forecast", "--model", forecastModel, "--store", store, "--json"));
  assert.equal(r.json.model, "no2-72h");
  assert.equal(r.json.version, 1);
  assert.equal(r.json.origin, cli.origin);
  assert.equal(r.json.data_time, cli.data_time);
  assert.equal(r.json.steps.length, 72);
  r.json.steps.forEach((s, i) => {
    for (const k of ["p10", "p50", "p90", "aqi", "category", "time"]) {
      assert.ok(Object.is(s[k], cli.steps[i][k]), `step ${i + 1} ${k}: ${s[k]} vs ${cli.steps[i][k]}`);
    }
    assert.deepEqual(s.probabilities, cli.steps[i].probabilities);
  });
  // Kept a minute at most: a station's sensors may start pushing any time.
  const maxAge = Number(/max-age=(\d+)/.exec(r.headers.get("cache-control"))[1]);
  assert.ok(maxAge <= 60, r.headers.get("cache-control"));
  const etag = r.headers.get("etag");
  assert.ok(etag);
  const again = await fetch(`${url}/v1/forecast/${station}`, { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  // As of an earlier time within the snapshot (two days back): the CLI's --at.
  const at = new Date((cli.data_time - 2 * 86400) * 1000).toISOString().replace("T", " ").slice(0, 19);
  const past = await call(`/v1/forecast/${station}?at=${encodeURIComponent(at)}`);
  const cliPast = JSON.parse(aqcast("forecast", "--model", forecastModel, "--store", store, "--json", "--at", at));
  assert.equal(past.json.origin, cliPast.origin);
  assert.ok(Object.is(past.json.steps[23].p50, cliPast.steps[23].p50));
  // Before the snapshot's window there is nothing to forecast from: a 4xx that says so.
  // Before the snapshot's data there is nothing to forecast from, and there never will be:
  // 422 with the core's own code (without `at`, the same cause is a 409: come back later).
  assertError(await call(`/v1/forecast/${station}?at=${encodeURIComponent("2003-06-01 12:00:00")}`), 422, "no_recent_data");
  assertError(await call("/v1/forecast/nowhere"), 404, "not_found");
  assertError(await call(`/v1/forecast/${station}?at=yesterday`), 400, "bad_request");
  const misspelt = await call(`/v1/forecast/${station}?modle=no2-72h`);
  assertError(misspelt, 400, "bad_request");
  assert.match(misspelt.json.error.message, /unknown query parameter "modle" \(this route takes: model, at\)/);
  assertError(await call(`/v1/forecast/${station}?model=no2-h1`), 422, "not_a_forecaster");
  const st = await call("/v1/stations");
  assert.equal(st.status, 200);
  assert.equal(st.json.stations[0].id, station);
});

test("a station's bad-air days as an Atom feed and an iCalendar file: the forecast's days at or past the threshold", async () => {
  const station = "aurn_no2_2001_2003";
  const fc = (await call(`/v1/forecast/${station}`)).json;
  // Each local day's worst category (0 best), as the core's daily summary counts them.
  const worst = (offset) => {
    const days = new Map();
    for (const s of fc.steps) {
      const d = new Date((s.time + offset) * 1000).toISOString().slice(0, 10);
      days.set(d, Math.max(days.get(d) ?? 0, s.category));
    }
    return [...days];
  };
  for (const [from, offset] of [[1, 0], [2, 0], [3, 0], [6, 0], [1, 60], [2, -300]]) {
    const want = worst(offset * 60).filter(([, c]) => c + 1 >= from);
    const atom = await call(`/v1/forecast/${station}/atom?from=${from}&offset=${offset}`);
    assert.equal(atom.status, 200, atom.text);
    assert.match(atom.headers.get("content-type"), /^application\/atom\+xml/);
    const entries = [...atom.text.matchAll(/<entry>[\s\S]*?<title>(\d{4}-\d\d-\d\d): ([^<(]+) \(/g)].map((m) => [m[1], m[2].trim()]);
    assert.deepEqual(entries, want.map(([d, c]) => [d, fc.categories[c].name]), `from ${from}, offset ${offset}`);
    // Well-formed XML, read by a real parser.
    execFileSync("python3", ["-c", "import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.buffer.read()); assert r.tag == '{http://www.w3.org/2005/Atom}feed'"], { input: atom.text });
    const ics = await call(`/v1/forecast/${station}/ics?from=${from}&offset=${offset}`);
    assert.equal(ics.status, 200, ics.text);
    assert.match(ics.headers.get("content-type"), /^text\/calendar/);
    assert.ok(ics.text.startsWith("BEGIN:VCALENDAR\r\n") && ics.text.endsWith("END:VCALENDAR\r\n"));
    for (const line of ics.text.split("\r\n")) assert.ok(Buffer.byteLength(line) <= 75, line);
    const starts = [...ics.text.matchAll(/DTSTART;VALUE=DATE:(\d{8})/g)].map((m) => m[1]);
    assert.deepEqual(starts, want.map(([d]) => d.replaceAll("-", "")));
    assert.equal(ics.text.split("BEGIN:VEVENT").length - 1, ics.text.split("END:VEVENT").length - 1);
    // Cached as the forecast is, by an ETag of its own.
    const again = await fetch(`${url}/v1/forecast/${station}/ics?from=${from}&offset=${offset}`, { headers: { "if-none-match": ics.headers.get("etag") } });
    assert.equal(again.status, 304);
    assert.notEqual(ics.headers.get("etag"), atom.headers.get("etag"));
  }
  assertError(await call(`/v1/forecast/${station}/atom?from=7`), 400, "bad_request");
  assertError(await call(`/v1/forecast/${station}/ics?offset=9999`), 400, "bad_request");
  assertError(await call("/v1/forecast/nowhere/ics"), 404, "not_found");
});

test("published files are served as stored (the dashboard's source), and nothing else of the store", async () => {
  const bytes = (rel) => readFileSync(path.join(store, rel));
  const list = await fetch(`${url}/v1/files/stations.json`);
  assert.equal(list.status, 200);
  assert.match(list.headers.get("content-type"), /application\/json/);
  assert.deepEqual(Buffer.from(await list.arrayBuffer()), bytes("stations.json"));
  const reg = JSON.parse(bytes("registry/no2-72h.json"));
  const key = reg.versions[0].model;
  const model = await fetch(`${url}/v1/files/${key}`);
  assert.equal(model.status, 200);
  assert.match(model.headers.get("cache-control"), /immutable/);
  assert.deepEqual(Buffer.from(await model.arrayBuffer()), bytes(key));
  const again = await fetch(`${url}/v1/files/${key}`, { headers: { "if-none-match": model.headers.get("etag") } });
  assert.equal(again.status, 304);
  const snap = await fetch(`${url}/v1/files/stations/aurn_no2_2001_2003/recent.json`);
  assert.deepEqual(Buffer.from(await snap.arrayBuffer()), bytes("stations/aurn_no2_2001_2003/recent.json"));
  for (const other of ["manifest.json", "runs/x.json", "registry/..%2Fmanifest.json", "stations/x/recent.json", "models/no2-72h/abc/model.aqm"]) {
    assertError(await call(`/v1/files/${other}`), 404, "not_found");
  }
  // No key is no file (it was a 405); a key or station longer than object storage takes
  // is a 404, not the storage's "try again" 503.
  assertError(await call("/v1/files/"), 404, "not_found");
  const long = "x".repeat(2000);
  assertError(await call(`/v1/files/stations/${long}/recent.json`), 404, "not_found");
  assertError(await call(`/v1/forecast/${long}?model=no2-72h`), 404, "not_found");
  assertError(await call(`/v1/forecast/${long}`), 404, "not_found");
  // If-None-Match as RFC 9110 reads it: weak tags, lists and "*" match too.
  const etag = model.headers.get("etag");
  for (const tag of [`W/${etag}`, `"other", ${etag}`, "*"]) {
    const r = await fetch(`${url}/v1/files/${key}`, { headers: { "if-none-match": tag } });
    assert.equal(r.status, 304, tag);
  }
  assert.equal((await fetch(`${url}/v1/files/${key}`, { headers: { "if-none-match": '"other"' } })).status, 200);
  // Public, cacheable answers vary by Origin whether or not one was sent or allowed, so
  // a shared cache never hands one origin's answer (with or without CORS) to another.
  assert.match(list.headers.get("vary") ?? "", /origin/i);
  const foreign = await fetch(`${url}/v1/files/stations.json`, { headers: { origin: "https://evil.example" } });
  assert.match(foreign.headers.get("vary") ?? "", /origin/i);
});

test("every auth failure is a 401 or 403 with a JSON error", async () => {
  const body = { model: "no2-h1", features: rows[0].map((v) => (Number.isNaN(v) ? null : v)) };
  assertError(await call("/v1/predict", { method: "POST", body }), 401, "unauthorized");
  assertError(await call("/v1/predict", { key: "not-a-key", method: "POST", body }), 401, "unauthorized");
  assertError(await call("/v1/predict", { key: KEYS.reader, method: "POST", body }), 403, "forbidden");
  assertError(await call("/v1/models/no2-h1/promote", { key: KEYS.predictor, method: "POST", body: { version: 2, stage: "production" } }), 403, "forbidden");
  assertError(await call("/v1/metrics"), 401, "unauthorized");
  const viaHeader = await call("/v1/models", { headers: { "x-api-key": KEYS.reader } });
  assert.equal(viaHeader.status, 200);
});

test("bad input is a 4xx JSON error, never a 5xx", async () => {
  const k = { key: KEYS.predictor, method: "POST" };
  const row = rows[0].map((v) => (Number.isNaN(v) ? null : v));
  assertError(await call("/v1/predict", { ...k, body: "{not json" }), 400, "bad_request");
  assertError(await call("/v1/predict", { ...k, body: `{"model":"no2-h1","features":[NaN]}` }), 400, "bad_request");
  assertError(await call("/v1/predict", { ...k, body: `{"model":"no2-h1","features":[Infinity]}` }), 400, "bad_request");
  assertError(await call("/v1/predict", { ...k, body: { features: row } }), 400, "bad_request");
  assertError(await call("/v1/predict", { ...k, body: { model: "nothing", features: row } }), 404, "not_found");
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: row.slice(1) } }), 422, "bad_input_shape");
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: { hour: 3 } } }), 422, "missing_feature");
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: { ...Object.fromEntries(NAMES.split(",").map((n) => [n, 1])), nope: 1 } } }), 422, "unknown_feature");
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: row.map(() => "7") } }), 422, "bad_input");
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: row, head: 5 } }), 422, "no_such_head");
  assertError(await call("/v1/predict", { ...k, body: [1, 2] }), 400, "bad_request");
  assertError(await call("/v1/predict/batch", { ...k, body: { model: "no2-h1", rows: [] } }), 422, "bad_batch_size");
  assertError(await call("/v1/predict/batch", { ...k, body: { model: "no2-h1", rows: Array(101).fill(row) } }), 422, "bad_batch_size");
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: row, pad: "x".repeat(30000) } }), 413, "payload_too_large");
  assertError(await call("/v1/nothing"), 404, "not_found");
  assertError(await call("/v1/predict", { key: KEYS.predictor }), 405, "method_not_allowed");
  assertError(await call("/v1/stations", { method: "DELETE" }), 405, "method_not_allowed");
  assertError(await call("/v1/predict", { ...k, body: "" }), 400, "bad_request");
  // Bodies are typed: a misspelt field is an error, not a default.
  assertError(await call("/v1/predict", { ...k, body: { model: "no2-h1", features: row, haed: 1 } }), 400, "bad_request");
  // A chunked body (no Content-Length) is counted as it arrives: 413 once the limit is
  // passed, without waiting for (or holding) the rest.
  const early = await new Promise((resolve, reject) => {
    const req = http.request(url + "/v1/predict", {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.predictor}`, "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode, headers: new Headers(res.headers), text });
      });
    });
    // The server may close the connection while more is being sent: that is the point.
    req.on("error", (e) => (e.code === "EPIPE" || e.code === "ECONNRESET" ? undefined : reject(e)));
    // 64 chunks of 1,000 bytes, three times the limit: small enough to sit in the
    // sockets' buffers if the server stops reading, so nothing waits on anything.
    for (let i = 0; i < 64; i++) req.write("x".repeat(1000));
    req.end();
  });
  assertError({ ...early, json: JSON.parse(early.text) }, 413, "payload_too_large");
});

test("HEAD answers as GET without a body", async () => {
  const get = await call("/v1/stations");
  const head = await fetch(`${url}/v1/stations`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("etag"), get.headers.get("etag"));
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const missing = await fetch(`${url}/v1/forecast/nowhere`, { method: "HEAD" });
  assert.equal(missing.status, 404);
});

test("CORS answers allowed origins only", async () => {
  const ok = await call("/v1/stations", { headers: { origin: "https://air.example.org" } });
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://air.example.org");
  const no = await call("/v1/stations", { headers: { origin: "https://evil.example" } });
  assert.equal(no.headers.get("access-control-allow-origin"), null);
  const pre = await fetch(`${url}/v1/predict`, { method: "OPTIONS", headers: { origin: "https://air.example.org" } });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get("access-control-allow-headers"), /authorization/);
});

test("a promotion takes effect without a redeploy, and requests in flight never fail", async () => {
  const body = { model: "no2-h1", features: rows[5].map((v) => (Number.isNaN(v) ? null : v)) };
  let stop = false;
  const seen = new Set();
  const load = (async () => {
    while (!stop) {
      const rs = await Promise.all(Array.from({ length: 8 }, () => call("/v1/predict", { key: KEYS.predictor, method: "POST", body })));
      for (const r of rs) {
        assert.equal(r.status, 200, r.text);
        seen.add(r.json.version);
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  const p = await call("/v1/models/no2-h1/promote", { key: KEYS.admin, method: "POST", body: { version: 2, stage: "production", note: "q90 head" } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.stage, "production");
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await load;
  assert.ok(seen.has(2), `answers came from versions ${[...seen]}`);
  const after = await call("/v1/predict", { key: KEYS.predictor, method: "POST", body });
  assert.equal(after.json.version, 2);
  const doc = await call("/v1/models/no2-h1", { key: KEYS.reader });
  assert.equal(doc.json.versions[0].stage, "archived");
  assert.equal(doc.json.versions[1].history.at(-1).by, "key:admin");
  assertError(await call("/v1/models/no2-h1/promote", { key: KEYS.admin, method: "POST", body: { version: 2, stage: "live" } }), 400, "bad_request");
  // A selector is read before the change: "production" moves the version that served, and
  // the answer names it (it used to answer 404 after applying the change).
  const back = await call("/v1/models/no2-h1/promote", { key: KEYS.admin, method: "POST", body: { version: "production", stage: "staging" } });
  assert.equal(back.status, 200, back.text);
  assert.deepEqual([back.json.version, back.json.stage], [2, "staging"]);
  const again = await call("/v1/models/no2-h1/promote", { key: KEYS.admin, method: "POST", body: { version: 2, stage: "production" } });
  assert.equal(again.status, 200, again.text);
  assertError(await call("/v1/models/no2-h1/promote", { key: KEYS.admin, method: "POST", body: { version: 9, stage: "staging" } }), 404, "no_such_version");
});

test("metrics count requests by route and status", async () => {
  const m = await call("/v1/metrics", { key: KEYS.reader });
  assert.equal(m.status, 200);
  assert.match(m.text, /aqcast_requests_total\{isolate="[0-9a-f]+",route="\/v1\/predict",status="200"\} \d+/);
  assert.match(m.text, /aqcast_request_duration_seconds_bucket\{/);
  // Refusals are counted under their route too (a wrong method, a missing key).
  assert.match(m.text, /route="\/v1\/predict",status="405"\} \d+/);
  assert.match(m.text, /route="\/v1\/models",status="401"\} \d+/);
  assert.match(m.text, /aqcast_model_cache_total\{isolate="[0-9a-f]+",result="hit"\} \d+/);
  // What the isolate holds, as its caches are bounded: compiled models, snapshots, the
  // forecasts' answers made once for everyone, and the published forecasts read (the
  // forecast test asked for one).
  const gauge = (re) => Number(re.exec(m.text)?.[1] ?? NaN);
  assert.ok(gauge(/aqcast_cache_bytes\{isolate="[0-9a-f]+",cache="models"\} (\d+)/) > 0, m.text);
  // A forecast document, not only a key known to have none.
  assert.ok(gauge(/aqcast_cache_bytes\{isolate="[0-9a-f]+",cache="published"\} (\d+)/) > 2000, m.text);
  assert.ok(gauge(/aqcast_wasm_memory_bytes\{isolate="[0-9a-f]+"\} (\d+)/) >= 65536, m.text);
});

test("JWTs (HS256 and ES256) carry scopes; expired, early, foreign, forged and alg:none tokens are refused", async () => {
  const body = { model: "no2-h1", version: 1, features: rows[0].map((v) => (Number.isNaN(v) ? null : v)) };
  const good = { sub: "app", scope: "read predict", aud: "aqcast", exp: nowS() + 600 };
  for (const alg of ["HS256", "ES256"]) {
    const r = await call("/v1/predict", { key: jwt(alg, good), method: "POST", body });
    assert.equal(r.status, 200, `${alg}: ${r.text}`);
    assert.ok(Object.is(r.json.prediction, native[0]));
  }
  const bad = {
    expired: jwt("HS256", { ...good, exp: nowS() - 10 }),
    early: jwt("ES256", { ...good, nbf: nowS() + 600 }),
    "wrong audience": jwt("HS256", { ...good, aud: "someone-else" }),
    "no exp": jwt("HS256", { sub: "app", scope: "predict", aud: "aqcast" }),
    "forged HS256": jwt("HS256", good, { key: "a-guessed-secret" }),
    "forged ES256": jwt("ES256", good, { key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }),
    "alg none": `${b64u(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64u(JSON.stringify(good))}.`,
    "alg HS512": jwt("HS256", good, { header: { alg: "HS512", typ: "JWT" } }),
    "tampered claims": (() => {
      const t = jwt("ES256", { ...good, scope: "read" }).split(".");
      t[1] = b64u(JSON.stringify(good));
      return t.join(".");
    })(),
  };
  for (const [why, token] of Object.entries(bad)) {
    const r = await call("/v1/predict", { key: token, method: "POST", body });
    assertError(r, 401);
    assert.equal(r.json.error.code, "invalid_token", `${why}: ${r.text}`);
  }
  // A valid token without the scope: 403.
  assertError(await call("/v1/predict", { key: jwt("HS256", { ...good, scope: "read" }), method: "POST", body }), 403, "forbidden");
});

test("a caller over its rate limit gets 429 with Retry-After", async () => {
  // The "limited" key may make 3 requests a minute.
  const codes = [];
  let last;
  for (let i = 0; i < 5; i++) {
    last = await call("/v1/models", { key: KEYS.limited });
    codes.push(last.status);
  }
  assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  assertError(last, 429, "rate_limited");
  assert.equal(last.headers.get("retry-after"), "20");
  // Other callers are not affected.
  assert.equal((await call("/v1/models", { key: KEYS.reader })).status, 200);
});

test("the OpenAPI document is valid, the API holds to it under fuzzing, and ops/ queries exported metrics", async () => {
  const python = path.join(root, "target/tools/py/bin/python");
  let out;
  try {
    out = execFileSync(python, [path.join(here, "contract.py"), url, KEYS.client], { env, stdio: ["ignore", "pipe", "pipe"] }).toString();
  } catch (e) {
    if (e.code === "ENOENT" && !process.env.CI) {
      console.log(`skipped: no ${python} (scripts/test installs openapi-spec-validator and schemathesis there)`);
      return;
    }
    throw new Error(`${e.stdout ?? ""}\n${e.stderr ?? ""}\n${e.message}`);
  }
  assert.match(out, /document valid/);
  assert.match(out, /all exported/);
  console.log(out);
});

test("a load test on loopback: zero errors while a promotion happens mid-run", async () => {
  const body = JSON.stringify({ model: "no2-h1", features: rows[7].map((v) => (Number.isNaN(v) ? null : v)) });
  const run = autocannon({
    url: `${url}/v1/predict`,
    method: "POST",
    headers: { authorization: `Bearer ${KEYS.predictor}`, "content-type": "application/json" },
    body,
    connections: 8,
    duration: 5,
  });
  await new Promise((r) => setTimeout(r, 2000));
  // Back to version 1, mid-run.
  const p = await call("/v1/models/no2-h1/promote", { key: KEYS.admin, method: "POST", body: { version: 1, stage: "production" } });
  assert.equal(p.status, 200, p.text);
  const result = await run;
  assert.equal(result.errors, 0, "connection errors");
  assert.equal(result.timeouts, 0, "timeouts");
  assert.equal(result.non2xx, 0, "non-2xx answers");
  assert.ok(result.requests.total > 100, `only ${result.requests.total} requests`);
  const after = await call("/v1/predict", { key: KEYS.predictor, method: "POST", body: JSON.parse(body) });
  assert.equal(after.json.version, 1);
  console.log(`load: ${result.requests.total} requests in 5 s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, 0 errors`);
});

test("inputs are watched for drift: the PSI against the training rows' histograms", async () => {
  // The 72-hour model carries histograms of its training rows (the pipeline's features);
  // its head also takes the step ahead and the target's calendar.
  const names = JSON.parse(aqcast("inspect", "--json", forecastModel)).features;
  const asRow = (r, hour) => names.map((n, j) => {
    if (j < 15) return n === "hour" && hour !== undefined ? hour : Number.isNaN(r[j]) ? null : r[j];
    return { ahead: 1, target_hour: (r[0] + 1) % 24, target_weekday: r[1] }[n] ?? null;
  });
  const psi = async (feature) => {
    const m = (await call("/v1/metrics", { key: KEYS.reader })).text;
    const line = m.split("\n").find((l) => l.startsWith("aqcast_input_psi{") && l.includes(`model="no2-72h"`) && l.includes(`feature="${feature}"`));
    assert.ok(line, `no PSI of ${feature} in\n${m}`);
    return Number(line.split(" ").at(-1));
  };
  const send = async (rs) => {
    const r = await call("/v1/predict/batch", { key: KEYS.predictor, method: "POST", body: { model: "no2-72h", rows: rs } });
    assert.equal(r.status, 200, r.text);
  };
  // 100 consecutive hours of 2003: the hours of the day as in training.
  await send(allRows.map((r) => asRow(r)));
  const before = await psi("hour");
  assert.ok(before < 0.1, `PSI of hour on like data: ${before}`);
  // Then 100 rows at an hour training never saw.
  await send(allRows.map((r) => asRow(r, 99)));
  const after = await psi("hour");
  assert.ok(after > 0.25, `PSI of hour after a shift: ${after}`);
});

// Last: it spends this client's allowance of failed authentications.
test("guessing keys is rate limited: past AUTH_FAILURES_PER_MINUTE a wrong key is a 429", async () => {
  const codes = [];
  for (let i = 0; i < 40; i++) {
    codes.push((await call("/v1/models", { key: `guess-${i}-0123456789` })).status);
  }
  // 30 a minute, a few already spent by the tests above: 401s, then only 429s.
  const first429 = codes.indexOf(429);
  assert.ok(first429 >= 15, codes.join(","));
  assert.ok(codes.slice(0, first429).every((c) => c === 401), codes.join(","));
  assert.ok(codes.slice(first429).every((c) => c === 429), codes.join(","));
  const r = await call("/v1/models", { key: "one-more-guess-0123" });
  assertError(r, 429, "rate_limited");
  assert.ok(Number(r.headers.get("retry-after")) >= 1);
  // A probe is never limited.
  assert.equal((await call("/v1/health", { key: "one-more-guess-0123" })).status, 401);
});

// ---------------------------------------------------------------------------------------
// Observations pushed by a station's sensors
// ---------------------------------------------------------------------------------------

const STATION = "aurn_no2_2001_2003";
const push = (observations, key = KEYS.sensor) => call("/v1/observations", { key, method: "POST", body: { observations } });
const iso = (t) => new Date(t * 1000).toISOString().replace(".000Z", "Z");
/** Every value pushed for a station, paged by sequence number. */
const pushedValues = async (station) => {
  const out = [];
  let after = 0;
  for (;;) {
    const r = await call(`/v1/observations/${encodeURIComponent(station)}?after=${after}&limit=500`, { key: KEYS.reader });
    assert.equal(r.status, 200, r.text);
    out.push(...r.json.observations);
    if (r.json.observations.length < 500) return out;
    after = r.json.observations.at(-1).seq;
  }
};

test("a push refuses every bad input with a 4xx and stores nothing of it", async () => {
  const t = Math.floor(Date.now() / 3.6e6) * 3600 - 3600;
  const good = { station: STATION, variable: "no2", time: iso(t), value: 20, unit: "ppb" };
  assertError(await push([good], null), 401, "unauthorized");
  assertError(await push([good], KEYS.reader), 403, "forbidden");
  assertError(await push([{ ...good, station: "elsewhere" }]), 403, "forbidden_station");
  // A station the key may write beside one it may not: nothing of either is stored.
  assertError(await push([good, { ...good, station: "elsewhere" }]), 403, "forbidden_station");
  // Pushing does not let a key read what was pushed.
  assertError(await call("/v1/observations", { key: KEYS.sensor }), 403, "forbidden");
  // A push spans 20 stations at most (each is a Durable Object call).
  const many = Array.from({ length: 21 }, (_, i) => ({ ...good, station: `s-${i}` }));
  assertError(await push(many, KEYS.network), 422, "too_many_stations");
  assertError(await call("/v1/observations", { key: KEYS.sensor, method: "POST", body: "{not json" }), 400, "bad_request");
  assertError(await call("/v1/observations", { key: KEYS.sensor, method: "POST", body: "" }), 400, "bad_request");
  assertError(await call("/v1/observations", { key: KEYS.sensor, method: "POST", body: { observations: [good], extra: 1 } }), 400, "bad_request");
  assertError(await push([{ ...good, value: null }]), 400, "bad_request");
  assertError(await push([{ ...good, vaule: 3 }]), 400, "bad_request");
  assertError(await push([]), 422, "bad_batch_size");
  assertError(await push(Array.from({ length: 101 }, (_, i) => ({ ...good, time: t - i * 3600 }))), 422, "bad_batch_size");
  for (const [bad, why] of [
    [{ ...good, unit: "furlongs" }, /not a unit/],
    [{ ...good, variable: "benzene" }, /not one aqcast keeps/],
    [{ ...good, value: -3 }, /negative/],
    [{ ...good, variable: "pm2.5", unit: "µg/m³", value: 1e6 }, /beyond physical bounds/],
    [{ ...good, time: iso(t + 86400) }, /in the future/],
    [{ ...good, time: "yesterday" }, /not a time/],
    [{ ...good, time: t + 1800 }, /not the start of an hour/],
    [{ ...good, variable: "pm2.5", unit: "ppb" }, /unknown unit/],
  ]) {
    // One bad value among good ones refuses the whole batch.
    const r = await push([good, bad, { ...good, time: iso(t - 3600) }]);
    assertError(r, 422, "bad_observation");
    assert.match(r.json.error.message, why);
    assert.match(r.json.error.message, /observations\[1\]/);
  }
  assert.equal((await call("/v1/observations", { key: KEYS.sensor, method: "POST", body: "x".repeat(100_001) })).status, 413);
  assertError(await call("/v1/observations", { key: KEYS.sensor, method: "PUT", body: { observations: [] } }), 405, "method_not_allowed");
  // Reading what was pushed takes the read scope, even with PUBLIC_READ.
  assertError(await call("/v1/observations"), 401, "unauthorized");
  assert.deepEqual(await pushedValues(STATION), [], "nothing was stored");
});

test("a push is durable and idempotent, and the station's next forecast and snapshot use it", async () => {
  const before = await call(`/v1/forecast/${STATION}`);
  assert.equal(before.status, 200, before.text);
  assert.equal(before.headers.get("x-forecast"), "published");
  const t0 = before.json.data_time;
  // The three hours after the published data, in µg/m³ (stored in ppb).
  const obs = [1, 2, 3].map((h) => ({ station: STATION, variable: "NO2", time: iso(t0 + h * 3600), value: 40 + h, unit: "µg/m³" }));
  const started = performance.now();
  const r = await push(obs);
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.accepted, 3);
  const after = await call(`/v1/forecast/${STATION}`);
  const ms = performance.now() - started;
  assert.equal(after.status, 200, after.text);
  assert.equal(after.json.data_time, t0 + 3 * 3600, "the forecast starts from the pushed values");
  assert.equal(after.json.origin, t0 + 3 * 3600);
  assert.notEqual(after.headers.get("etag"), before.headers.get("etag"));
  assert.match(after.headers.get("cache-control"), /max-age=0/);
  assert.equal(after.headers.get("x-forecast"), "computed", "values were pushed since the forecast was published");
  console.log(`# push → a forecast from it: ${ms.toFixed(0)} ms`);
  // The same forecast as the CLI's from a store that holds those values.
  const more = path.join(dir, "pushed.csv");
  writeFileSync(more, "site,time,no2\n" + [1, 2, 3].map((h) => `${STATION},${iso(t0 + h * 3600)},${(40 + h) * 24.45 / 46.0055}`).join("\n") + "\n");
  const copy = path.join(dir, "store-pushed");
  execFileSync("cp", ["-r", store, copy]);
  aqcast("ingest", more, "--store", copy, "--map", "site=site", "--map", "time=time", "--map", "no2=no2:ppb");
  const cli = JSON.parse(aqcast("forecast", "--model", forecastModel, "--store", copy, "--json"));
  assert.equal(cli.origin, after.json.origin);
  for (const i of [0, 23, 71]) assert.ok(Math.abs(after.json.steps[i].p50 - cli.steps[i].p50) < 1e-9 * Math.max(1, Math.abs(cli.steps[i].p50)), `step ${i + 1}`);
  // Pushed again: recognised, not doubled; another value for a time already held: the
  // first is kept, and the answer says so.
  const again = await push(obs);
  assert.deepEqual([again.status, again.json.accepted, again.json.repeated], [202, 0, 3]);
  const clash = await push([{ ...obs[0], value: 99 }]);
  assert.equal(clash.json.conflicting.length, 1);
  assert.deepEqual([clash.json.conflicting[0].unit, clash.json.conflicting[0].kept], ["ppb", obs[0].value * 24.45 / 46.0055]);
  assert.ok(Math.abs(clash.json.conflicting[0].sent - 99 * 24.45 / 46.0055) < 1e-9);
  // The snapshot the dashboard reads carries them too; its ETag moves with them.
  const snap = await call(`/v1/files/stations/${STATION}/recent.json`);
  assert.equal(snap.status, 200);
  assert.equal(snap.json.data_time, t0 + 3 * 3600);
  assert.equal(snap.json.site, STATION);
  const revalidated = await fetch(`${url}/v1/files/stations/${STATION}/recent.json`, { headers: { "if-none-match": snap.headers.get("etag") } });
  assert.equal(revalidated.status, 304);
  // What was pushed, for the trainer.
  const list = await call("/v1/observations", { key: KEYS.reader });
  assert.deepEqual(list.json.stations.map((s) => s.station), [STATION]);
  const values = await pushedValues(STATION);
  assert.deepEqual(values.map((v) => v.time), [1, 2, 3].map((h) => t0 + h * 3600));
  assert.ok(Math.abs(values[0].value - 41 * 24.45 / 46.0055) < 1e-9);
  // aqcast fetch worker takes them into a data store, once.
  const taken = path.join(dir, "taken");
  const fetchArgs = ["fetch", "worker", "--base-url", url, "--store", taken, "--json"];
  const run = () => JSON.parse(execFileSync(aqcastBin, fetchArgs, { env: { ...env, AQCAST_WORKER_KEY: KEYS.reader } }).toString());
  assert.equal(run().values, 3);
  assert.equal(run().values, 0);
  const exported = aqcast("export", "--store", taken).trim().split("\n").slice(1);
  assert.equal(exported.length, 3);
  assert.ok(exported.every((l) => l.startsWith(`${STATION},no2,`)), exported.join("\n"));
});

test("concurrent pushes lose nothing and double nothing, across a kill of the worker", async () => {
  const station = "sensor-new";
  const t0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 2000 * 3600;
  // 1,000 hours of PM2.5 in 20 batches of 50, sent 10 at a time; each batch also repeats
  // a value of the batch before.
  const value = (h) => ({ station, variable: "pm2.5", time: t0 + h * 3600, value: 5 + (h % 17), unit: "µg/m³" });
  const batches = Array.from({ length: 20 }, (_, b) => [
    ...Array.from({ length: 50 }, (_, i) => value(b * 50 + i)),
    ...(b > 0 ? [value(b * 50 - 1)] : []),
  ]);
  const acked = new Set();
  let failed = 0;
  let firstAck;
  const acknowledged = new Promise((r) => (firstAck = r));
  const sendAll = async (list) => {
    const queue = [...list];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let b = queue.shift(); b; b = queue.shift()) {
          try {
            const r = await push(b);
            if (r.status === 202) {
              for (const o of b) acked.add(o.time);
              firstAck();
            } else failed++;
          } catch {
            failed++;
          }
        }
      }),
    );
  };
  // Crash the worker (SIGKILL) as soon as the first push is answered, the others in flight.
  const killing = (async () => {
    await acknowledged;
    await worker.crash();
  })();
  await Promise.all([sendAll(batches), killing]);
  assert.ok(failed > 0, "the crash caught pushes in flight");
  worker = await startWorker(workerState, workerVars);
  url = worker.url;
  const survived = new Set((await pushedValues(station)).map((v) => v.time));
  for (const t of acked) assert.ok(survived.has(t), `a value answered 202 is stored: ${t}`);
  console.log(`# before the kill: ${acked.size} values acknowledged, ${survived.size} stored, ${failed} pushes failed`);
  // The client sends everything again: each value is then there exactly once.
  await sendAll(batches);
  const values = await pushedValues(station);
  const times = values.map((v) => v.time);
  assert.equal(new Set(times).size, times.length, "no value twice");
  assert.equal(times.length, 1000, "every value once");
  assert.equal(new Set(values.map((v) => v.seq)).size, values.length);
});

test("bad-air alerts: a browser subscribes, the hourly round tells it when an episode starts and when it clears, once each, signed and readable only by it; a dropped subscription is removed", async () => {
  const station = "aurn_no2_2001_2003";
  const key = await call("/v1/alerts/vapid-key");
  assert.equal(key.status, 200, key.text);
  assert.equal(key.json.key, vapidPublic);
  const subscribe = (body) => call("/v1/alerts/subscriptions", { method: "POST", body });
  // A browser subscribed from the first category up: every forecast day is one to tell.
  const browser = browserKeys();
  const endpoint = `${pushService.origin}/push/1`;
  const sub = await subscribe({ subscription: browser.subscription(endpoint), station, from: 1, offset: 60 });
  assert.equal(sub.status, 201, sub.text);
  assert.equal(sub.json.id, sha(endpoint));
  // One whose browser dropped it: the push service says 410.
  const goneEndpoint = `${pushService.origin}/gone/1`;
  assert.equal((await subscribe({ subscription: browserKeys().subscription(goneEndpoint), station, from: 1 })).status, 201);
  // What is refused, and why.
  const refused = async (body, status, code, says) => {
    const r = await subscribe(body);
    assertError(r, status, code);
    assert.match(r.json.error.message, says);
  };
  await refused({ subscription: browser.subscription("https://attacker.example/push"), station }, 422, "bad_subscription", /push service/);
  await refused({ subscription: browser.subscription(`${pushService.origin}.evil.example/push`), station }, 422, "bad_subscription", /push service/);
  await refused({ subscription: browser.subscription(endpoint), station: "nowhere" }, 404, "not_found", /no station "nowhere"/);
  await refused({ subscription: { ...browser.subscription(endpoint), keys: { p256dh: "BAAA", auth: "x" } }, station }, 422, "bad_subscription", /p256dh/);
  await refused({ subscription: browser.subscription(endpoint), station, from: 9 }, 422, "bad_subscription", /from=9/);
  await refused({ subscription: browser.subscription(endpoint), station, to: 3 }, 400, "bad_request", /unknown field `to`/);
  // Two are kept: a third browser is refused (503, and said why), the first may change.
  await refused({ subscription: browserKeys().subscription(`${pushService.origin}/push/3`), station }, 503, "alerts_full", /no more than 2 alert subscriptions/);
  // wrangler dev's /__scheduled answers once the round has ended: every push answered.
  const round = async () => {
    const r = await fetch(`${url}/__scheduled?cron=5+*+*+*+*`);
    assert.equal(r.status, 200, await r.text());
  };
  const to = (p) => pushService.received.filter((m) => m.path === p);
  const waitFor = async (ok) => {
    for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
  };
  await round();
  await waitFor(() => to("/push/1").length >= 1 && to("/gone/1").length >= 1);
  assert.equal(to("/push/1").length, 1, "one message for the episode");
  const [msg] = to("/push/1");
  assert.equal(msg.method, "POST");
  assert.equal(msg.headers["content-encoding"], "aes128gcm");
  assert.ok(Number(msg.headers.ttl) > 0, msg.headers.ttl);
  // Signed by the key the worker publishes, for this push service, for a day at most.
  const claims = checkVapid(msg.headers.authorization, vapidPublic);
  assert.equal(claims.aud, pushService.origin);
  assert.equal(claims.sub, "mailto:aqcast@localhost");
  assert.ok(claims.exp > nowS() && claims.exp <= nowS() + 86400, String(claims.exp));
  // Readable by the browser's keys (node's own crypto): the episode starts at the first
  // hour of the forecast's next 24 (every category is at least the first), its worst
  // category as the forecast says, with what to do.
  const note = JSON.parse(decrypt(msg.body, browser));
  const fc = (await call(`/v1/forecast/${station}`)).json;
  const day = fc.steps.filter((s) => s.time < fc.steps[0].time + 86400);
  const worst = Math.max(...day.map((s) => s.category));
  assert.equal(note.kind, "starts");
  assert.equal(note.station, station);
  assert.equal(note.from, fc.steps[0].time);
  assert.equal(note.category, worst + 1);
  assert.equal(note.threshold, 1);
  assert.equal(note.title, `${fc.categories[worst].name} air (NO2) forecast at ${station}`);
  assert.match(note.body, /^From .+\.\nEveryone/);
  assert.equal(note.url, `./#/station/${station}`);
  assert.throws(() => decrypt(msg.body, browserKeys()), "another browser cannot read it");
  // The dropped subscription is gone; the same episode is not told twice.
  assertError(await call(`/v1/alerts/subscriptions/${sha(goneEndpoint)}`, { method: "DELETE" }), 404, "not_found");
  await round();
  assert.equal(to("/push/1").length, 1, "the same episode is not told again");
  assert.equal(to("/gone/1").length, 1, "a removed subscription gets nothing");
  // The same browser raises its threshold to the worst category: the next 24 hours no
  // longer reach it, and the episode it was told of clears, once.
  const top = fc.categories.length;
  assert.equal((await subscribe({ subscription: browser.subscription(endpoint), station, from: top, offset: 60 })).status, 201);
  await round();
  await waitFor(() => to("/push/1").length >= 2);
  assert.equal(to("/push/1").length, 2);
  const cleared = JSON.parse(decrypt(to("/push/1")[1].body, browser));
  assert.equal(cleared.kind, "clears");
  assert.equal(cleared.title, `Air at ${station}: back below ${fc.categories[top - 1].name}`);
  assert.equal(cleared.body, `The next 24 hours are forecast ${fc.categories[worst].name} at worst (NO2).`);
  await round();
  assert.equal(to("/push/1").length, 2, "a clearing is told once");
  const del = await fetch(`${url}/v1/alerts/subscriptions/${sub.json.id}`, { method: "DELETE" });
  assert.equal(del.status, 204);
  assertError(await call(`/v1/alerts/subscriptions/${sub.json.id}`, { method: "DELETE" }), 404, "not_found");
  // Unsubscribed: nothing more.
  await round();
  assert.equal(to("/push/1").length, 2, "nothing after unsubscribing");
});
