// The npm package as users import it, under Node's own test runner.
// Needs: scripts/build-pkg (pkg/ built) and the native CLI at $AQCAST_BIN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = path.join(root, "pkg");
const fx = path.join(root, "tests/fixtures/models");
const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");

const { initSync, Model, aqi, AqcastError } = await import(path.join(pkg, "aqcast.js"));
initSync({ module: readFileSync(path.join(pkg, "aqcast_bg.wasm")) });
// The optional modules (runtime.test.mjs checks the runtime without them).
const { initImportSync, importModel } = await import(path.join(pkg, "import.js"));
initImportSync({ module: readFileSync(path.join(pkg, "aqcast_import_bg.wasm")) });
const { initPipelineSync } = await import(path.join(pkg, "pipeline.js"));
initPipelineSync({ module: readFileSync(path.join(pkg, "aqcast_pipeline_bg.wasm")) });

function testRows() {
  const lines = gunzipSync(readFileSync(path.join(fx, "test_X_h1.csv.gz"))).toString().trim().split("\n");
  const header = lines[0].split(",");
  const rows = lines.slice(1).map((l) => l.split(",").map(Number));
  return { header, rows };
}

test("predictions equal the native aqcast CLI, bit for bit, on every canonical row", () => {
  const { header, rows } = testRows();
  for (const name of ["lightgbm_l2.txt", "xgboost_named.json", "lightgbm_poisson.txt"]) {
    const model = Model.fromBytes(readFileSync(path.join(fx, name)));       // through aqcast/import
    assert.equal(model.features.length, header.length);
    const flat = new Float64Array(rows.flat());
    const got = model.predictBatch(flat, rows.length);
    const native = execFileSync(aqcastBin, ["predict", "--model", path.join(fx, name), "--input", path.join(fx, "test_X_h1.csv.gz")], { maxBuffer: 1 << 26 })
      .toString().trim().split("\n").map(Number);
    assert.equal(got.length, native.length);
    for (let i = 0; i < got.length; i++) {
      assert.ok(Object.is(got[i], native[i]), `${name} row ${i}: wasm ${got[i]} native ${native[i]}`);
    }
    // One row at a time, as an array, a Float32Array and (named models) an object.
    for (let i = 0; i < 50; i++) {
      assert.ok(Object.is(model.predict(rows[i]), native[i]));
      if (model.namedFeatures) {
        const obj = Object.fromEntries(header.map((h, j) => [h, Number.isNaN(rows[i][j]) ? null : rows[i][j]]));
        assert.ok(Object.is(model.predict(obj), native[i]));
      }
    }
    const f32 = new Float32Array(flat.subarray(0, 15 * 10));
    assert.equal(model.predictBatch(f32, 10).length, 10);
  }
});

test("importModel in wasm writes artifacts the native CLI reads and predicts with, bit for bit", () => {
  const { rows } = testRows();
  const dir = path.join(root, "wasm-tests/.tmp");
  mkdirSync(dir, { recursive: true });
  for (const name of ["lightgbm_l2.txt", "xgboost_named.json"]) {
    const aqm = importModel(readFileSync(path.join(fx, name)));
    const file = path.join(dir, `${name}.aqm`);
    writeFileSync(file, aqm);
    const native = execFileSync(aqcastBin, ["predict", "--model", file, "--input", path.join(fx, "test_X_h1.csv.gz")], { maxBuffer: 1 << 26 })
      .toString().trim().split("\n").map(Number);
    const got = Model.fromBytes(aqm).predictBatch(new Float64Array(rows.flat()), rows.length);
    for (let i = 0; i < got.length; i++) assert.ok(Object.is(got[i], native[i]), `${name} row ${i}`);
    // An artifact is not imported again.
    assert.throws(() => importModel(aqm), (e) => e.code === "unsupported_model" && /already an aqcast/.test(e.message));
  }
});

test("explanations sum to the prediction and match the CLI", () => {
  const { rows } = testRows();
  const model = Model.fromBytes(readFileSync(path.join(fx, "lightgbm_l2.txt")));
  for (const r of rows.slice(0, 20)) {
    const phi = model.explain(new Float64Array(r));
    assert.equal(phi.length, 16);
    const sum = phi.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - model.predict(r)) < 1e-9);
  }
});

test("metadata, heads and horizons describe the model", () => {
  const model = Model.fromBytes(readFileSync(path.join(fx, "lightgbm_q90.txt")));
  assert.equal(model.metadata.source, "LightGBM v4");
  assert.equal(model.heads.length, 1);
  assert.equal(model.heads[0].quantile, 0.9);
  assert.deepEqual(model.horizons, [null]);
  assert.equal(model.namedFeatures, false);
});

test("the AQI matches EPA's worked examples", () => {
  assert.equal(aqi.compute("o3", 0.07853).aqi, 126);
  assert.equal(aqi.compute("pm2.5", 35.9).aqi, 102);
  assert.equal(aqi.compute("co", 8.4).aqi, 90);
  assert.equal(aqi.compute("pm2.5", 12.0, { table: "2012" }).aqi, 50);
  const r = aqi.compute("pm2.5", 35.9, { palette: "cva" });
  assert.equal(r.category, "Unhealthy for Sensitive Groups");
  assert.equal(aqi.compute("no2", 95, { unit: "ug/m3", scale: "eea" }).category, "Moderate");
  const nc = aqi.nowcast("o3", [63, 69, 80, 74, 60, NaN, 35, 22]);
  assert.ok(Math.abs(nc - 65.27) < 0.01);
  assert.equal(aqi.categories().length, 6);
});

test("the AQI never calls hazardous air good, over the whole range of doubles", () => {
  // 1e17 µg/m³ of PM2.5 once wrapped around to AQI 0, "Good".
  for (const [pollutant, options] of [["pm2.5", {}], ["pm10", {}], ["o3", { averaging: "1h" }],
    ["no2", {}], ["so2", { averaging: "24h" }], ["co", {}]]) {
    let last = 0;
    for (let e = -3; e <= 308; e += 1) {
      for (const m of [1, 3.7]) {
        const v = m * 10 ** e;
        if (!Number.isFinite(v)) continue;
        let r;
        try { r = aqi.compute(pollutant, v, options); } catch (err) {
          assert.equal(err.code, "aqi_undefined", `${pollutant} ${v}`);
          continue;
        }
        assert.ok(r.aqi >= last, `${pollutant} ${v}: ${r.aqi} after ${last}`);
        last = r.aqi;
        if (v >= 1e9) {
          assert.equal(r.category, "Hazardous", `${pollutant} ${v}`);
          assert.equal(r.beyondIndex, true, `${pollutant} ${v}`);
        }
      }
    }
  }
});

test("bad input throws AqcastError with a code, never a trap", () => {
  const model = Model.fromBytes(readFileSync(path.join(fx, "xgboost_named.json")));
  const cases = [
    [() => Model.fromBytes(new Uint8Array([1, 2, 3])), "unsupported_model"],
    [() => importModel(new TextEncoder().encode("{}")), "unsupported_model"],
    [() => Model.fromBytes(new TextEncoder().encode("tree\nversion=v4\n")), "import_failed"],
    [() => model.predict(new Float64Array(3)), "bad_input_shape"],
    [() => model.predict("hello"), "bad_input"],
    [() => model.predictBatch(new Float64Array(31), 2), "bad_input_shape"],
    [() => model.predictBatch([1, 2], 1), "bad_input"],
    [() => model.predict(new Float64Array(15), 3), "no_such_head"],
    [() => aqi.compute("pm2.5", -1), "aqi_undefined"],
    [() => aqi.compute("benzene", 1), "aqi_undefined"],
    [() => aqi.compute("pm2.5", 1, { palette: "neon" }), "bad_option"],
    [() => aqi.nowcast("pm2.5", [1]), "aqi_undefined"],
  ];
  for (const [f, code] of cases) {
    // The exported class, whichever module threw (the runtime, aqcast/import).
    assert.throws(f, (e) => e instanceof AqcastError && e instanceof Error && e.name === "AqcastError" && e.code === code && e.message.length > 0, code);
  }

  // A corrupted artifact is refused by its checksum.
  const aqm = path.join(root, "wasm-tests/.tmp/m.aqm");
  mkdirSync(path.dirname(aqm), { recursive: true });
  execFileSync(aqcastBin, ["import", path.join(fx, "xgboost_named.json"), "-o", aqm], { stdio: "ignore" });
  const bytes = readFileSync(aqm);
  assert.ok(Model.fromBytes(bytes).features.length === 15);
  bytes[bytes.length - 2] ^= 1;
  assert.throws(() => Model.fromBytes(bytes), (e) => e.code === "checksum_mismatch");
});

/** Ingests the shipped data into a fresh store and bundles the canonical pipeline with the
 * LightGBM fixture model, with the native CLI. */
function storeAndModel() {
  const tmp = path.join(root, "wasm-tests/.tmp/preprocess");
  execFileSync("rm", ["-rf", tmp]);
  mkdirSync(tmp, { recursive: true });
  const store = path.join(tmp, "store");
  const run = (args) => execFileSync(aqcastBin, args, { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] }).toString();
  run(["ingest", path.join(root, "tests/fixtures/data/aurn_no2_2001_2003.csv.gz"), "--store", store]);
  const config = path.join(root, "configs/canonical.toml");
  const aqm = path.join(tmp, "m.aqm");
  run(["import", path.join(fx, "lightgbm_l2.txt"), "--config", config, "--store", store, "-o", aqm]);
  const features = path.join(tmp, "features.csv");
  run(["features", "--config", config, "--store", store, "-o", features]);
  const observations = run(["export", "--store", store]).trim().split("\n").slice(1).map((l) => {
    const [, variable, time, value] = l.split(",");
    return { variable, time, value: Number(value) };
  });
  const predictions = run(["predict", "--model", aqm, "--input", features]).trim().split("\n").map(Number);
  return { aqm, features, observations, predictions, run };
}

test("preprocess turns raw observations into the native CLI's feature rows and forecasts, bit for bit", () => {
  const { aqm, features, observations, predictions } = storeAndModel();
  const model = Model.fromBytes(readFileSync(aqm));
  assert.equal(model.hasPipeline, true);
  const lines = readFileSync(features, "utf8").trim().split("\n");
  const header = lines[0].split(",");
  const nf = model.features.length;
  assert.deepEqual(header.slice(1, 1 + nf), model.features);
  const out = model.preprocess(observations);
  assert.deepEqual(out.features, model.features);
  assert.equal(out.nRows, lines.length - 1);
  for (let i = 0; i < out.nRows; i++) {
    const cells = lines[i + 1].split(",");
    assert.equal(out.times[i], Date.parse(cells[0].replace(" ", "T") + "Z") / 1000, `row ${i} time`);
    for (let j = 0; j < nf; j++) {
      const want = Number(cells[1 + j]);
      assert.ok(Object.is(out.rows[i * nf + j], want), `row ${i} ${header[1 + j]}: wasm ${out.rows[i * nf + j]} native ${want}`);
    }
  }
  const got = model.predictBatch(out.rows, out.nRows);
  for (let i = 0; i < out.nRows; i++) {
    assert.ok(Object.is(got[i], predictions[i]), `forecast ${i}: wasm ${got[i]} native ${predictions[i]}`);
  }
  // A station's last 8 days are enough for the latest hour's features (lags reach 167 h).
  const end = Date.parse("2003-06-01T12:00:00Z") / 1000;
  const recent = observations.filter((o) => {
    const t = Date.parse(o.time.replace(" ", "T") + "Z") / 1000;
    return t > end - 200 * 3600 && t <= end;
  });
  const last = model.preprocess(recent, { start: end - 199 * 3600, end: "2003-06-01 12:00:00" });
  const row = out.times.indexOf(end);
  for (let j = 0; j < nf; j++) {
    assert.ok(Object.is(last.rows[(last.nRows - 1) * nf + j], out.rows[row * nf + j]), model.features[j]);
  }
  // Errors say what is wrong.
  assert.throws(() => model.preprocess([{ variable: "no2", time: "yesterday", value: 1 }]), (e) => e.code === "bad_observations");
  assert.throws(() => model.preprocess("no2"), (e) => e.code === "bad_observations");
  assert.throws(() => model.preprocess([]), (e) => e.code === "bad_pipeline");
  const plain = Model.fromBytes(readFileSync(path.join(fx, "lightgbm_l2.txt")));
  assert.equal(plain.hasPipeline, false);
  assert.throws(() => plain.preprocess(observations), (e) => e.code === "no_pipeline");
});

test("a model trained by aqcast predicts in wasm exactly as natively, from raw observations", () => {
  const { features, observations, run } = storeAndModel();
  const tmp = path.join(root, "wasm-tests/.tmp/preprocess");
  const config = path.join(tmp, "task.toml");
  writeFileSync(config, readFileSync(path.join(root, "configs/canonical.toml"), "utf8").replace("trees = 500", "trees = 40"));
  const aqm = path.join(tmp, "trained.aqm");
  run(["train", "--config", config, "--store", path.join(tmp, "store"), "-o", aqm]);
  const native = run(["predict", "--model", aqm, "--input", features]).trim().split("\n").map((l) => l.split(",").map(Number));
  const model = Model.fromBytes(readFileSync(aqm));
  assert.deepEqual(model.horizons, [1, 24]);
  assert.equal(model.metadata.source.startsWith("aqcast "), true);
  const out = model.preprocess(observations);
  for (const head of [0, 1]) {
    const got = model.predictBatch(out.rows, out.nRows, head);
    for (let i = 0; i < out.nRows; i++) {
      assert.ok(Object.is(got[i], native[i][head]), `head ${head} row ${i}: wasm ${got[i]} native ${native[i][head]}`);
    }
  }
});

test("model.forecast gives aqcast forecast's 72-hour forecast, bit for bit", () => {
  const { observations, run } = storeAndModel();
  const tmp = path.join(root, "wasm-tests/.tmp/preprocess");
  const store = path.join(tmp, "store");
  // The shipped forecast task, made small (the same code paths, fewer trees).
  const config = path.join(tmp, "forecast.toml");
  writeFileSync(config, readFileSync(path.join(root, "configs/forecast.toml"), "utf8")
    .replace("trees = 300", "trees = 20").replace("stride = 6 ", "stride = 24 ").replace("dense_steps = 6", "dense_steps = 1"));
  const aqm = path.join(tmp, "forecast.aqm");
  run(["train", "--config", config, "--store", store, "-o", aqm]);
  const model = Model.fromBytes(readFileSync(aqm));
  assert.equal(model.hasForecast, true);
  // The bands as trained: the CLI's --bands artifact, at four origins.
  for (const at of [undefined, "2003-01-15 06:00:00", "2003-07-14 17:00:00", 1070236800]) {
    const args = ["forecast", "--model", aqm, "--store", store, "--json", "--bands", "artifact"];
    if (at !== undefined) args.push("--at", typeof at === "number" ? new Date(at * 1000).toISOString().replace("T", " ").slice(0, 19) : at);
    const native = JSON.parse(run(args));
    const got = model.forecast(observations, at === undefined ? undefined : { at });
    assert.equal(got.steps.length, 72);
    assert.deepStrictEqual(got, native, `forecast at ${at}`);
    assert.equal(got.tracked, undefined);
  }
  // Tracked bands: the CLI replays the station's record from the store; published, the
  // station's snapshot holds the result, and with it model.forecast gives the same bits.
  run(["publish", aqm, "--name", "no2-72h", "--stage", "production", "--store", store]);
  run(["stations", "publish", "--store", store]);
  const snapshot = JSON.parse(readFileSync(path.join(store, "stations/aurn_no2_2001_2003/recent.json"), "utf8"));
  const sha = createHash("sha256").update(readFileSync(aqm)).digest("hex");
  const entry = snapshot.tracked.find((t) => t.model === "no2-72h" && t.sha256 === sha);
  assert.ok(entry && entry.bands.shifts.length === 72, JSON.stringify(snapshot.tracked));
  const tracked = JSON.parse(run(["forecast", "--model", aqm, "--store", store, "--json"]));
  assert.ok(tracked.tracked > 100000, `${tracked.tracked}`);
  assert.deepStrictEqual(model.forecast(observations, { bands: entry.bands }), tracked);
  const fixed = model.forecast(observations);
  assert.notDeepStrictEqual(fixed.steps.map((s) => s.p90), tracked.steps.map((s) => s.p90));
  // From the snapshot's recent data alone, as the dashboard does.
  const series = snapshot.series.flatMap((r) => {
    let t = 0;
    return r.times.map((d, i) => ({ variable: r.variable, time: (t = i === 0 ? d : t + d), value: r.values[i] }));
  });
  assert.deepStrictEqual(model.forecast(series, { bands: entry.bands }), tracked);
  // Bands tracked to a later origin are not used for an earlier one (they rest on
  // outcomes it could not know).
  assert.deepStrictEqual(model.forecast(observations, { at: "2003-07-14 17:00:00", bands: entry.bands }),
    model.forecast(observations, { at: "2003-07-14 17:00:00" }));
  // Only the last days are needed: the same forecast from a station's recent snapshot.
  const end = Date.parse("2003-07-14T17:00:00Z") / 1000;
  const recent = observations.filter((o) => {
    const t = Date.parse(o.time.replace(" ", "T") + "Z") / 1000;
    return t > end - 200 * 3600 && t <= end;
  });
  assert.deepStrictEqual(model.forecast(recent), model.forecast(observations, { at: end }));
  // A forecasting model is not read as a one-row model: preprocess points to forecast,
  // and its P10/P50/P90 heads are never chosen for the caller.
  assert.throws(() => model.preprocess(recent), (e) => e instanceof AqcastError && e.code === "forecasting_model" && /model\.forecast/.test(e.message));
  const row = new Float64Array(model.features.length);
  assert.throws(() => model.predict(row), (e) => e.code === "head_required" && /0: P10, 1: P50, 2: P90/.test(e.message));
  assert.throws(() => model.explain(row), (e) => e.code === "head_required");
  assert.ok(Number.isFinite(model.predict(row, 1)));
  // Errors.
  assert.throws(() => model.forecast([], {}), (e) => e.code === "no_data" && /nothing to forecast/.test(e.message));
  // Observations, but none within the history the model reads before the origin.
  assert.throws(() => model.forecast(observations, { at: end + 400 * 86400 }), (e) => e.code === "no_recent_data" && /too little recent data/.test(e.message));
  // Thrown by aqcast/pipeline, an instance of the runtime's exported class.
  assert.throws(() => model.forecast(observations, { at: "soon" }), (e) => e instanceof AqcastError && e.code === "bad_observations");
  assert.throws(() => model.forecast(observations, { bands: "wide" }), (e) => e.code === "bad_observations" && /options.bands/.test(e.message));
  assert.throws(() => model.forecast(observations, { bands: { shifts: [{ lower: 1 }], origin: 0, outcomes: 1 } }), (e) => e.code === "bad_observations");
  assert.throws(() => model.forecast(observations, { bands: { shifts: [{ lower: 1, upper: 1 }], origin: 0, outcomes: 1 } }),
    (e) => /not this model's/.test(e.message));
  const plain = Model.fromBytes(readFileSync(path.join(fx, "lightgbm_l2.txt")));
  assert.equal(plain.hasForecast, false);
  assert.throws(() => plain.forecast(observations), (e) => e.code === "no_forecast");
});

test("model.forecast reads the weather ahead as aqcast forecast --weather does, bit for bit", () => {
  const { observations, run } = storeAndModel();
  const tmp = path.join(root, "wasm-tests/.tmp/preprocess");
  const store = path.join(tmp, "store");
  const config = path.join(tmp, "weather.toml");
  writeFileSync(config, readFileSync(path.join(root, "configs/forecast_weather.toml"), "utf8")
    .replace("trees = 300", "trees = 20").replace("stride = 6 ", "stride = 24 ").replace("dense_steps = 6", "dense_steps = 1"));
  const aqm = path.join(tmp, "weather.aqm");
  run(["train", "--config", config, "--store", store, "-o", aqm]);
  const model = Model.fromBytes(readFileSync(aqm));
  const at = "2003-07-14 17:00:00";
  const origin = Date.parse("2003-07-14T17:00:00Z") / 1000;
  // The weather forecast: what the station measured in the 72 hours after the origin.
  const weather = observations.filter((o) => {
    const t = Date.parse(o.time.replace(" ", "T") + "Z") / 1000;
    return ["ws", "wd", "temp"].includes(o.variable) && t > origin && t <= origin + 72 * 3600 && o.value !== null;
  });
  const times = [...new Set(weather.map((o) => o.time))].sort();
  const cell = (v, t) => {
    const o = weather.find((w) => w.variable === v && w.time === t);
    return o === undefined ? "" : String(o.value);
  };
  const csv = path.join(tmp, "weather.csv");
  writeFileSync(csv, "time,ws,wd,temp\n" + times.map((t) => [t, cell("ws", t), cell("wd", t), cell("temp", t)].join(",")).join("\n") + "\n");
  const native = JSON.parse(run(["forecast", "--model", aqm, "--store", store, "--at", at, "--weather", csv, "--bands", "artifact", "--json"]));
  const got = model.forecast(observations, { at, weather });
  assert.deepEqual(got.ahead, ["ws", "wd", "temp"]);
  assert.deepStrictEqual(got, native);
  // A stronger wind forecast changes the forecast; no forecast of the weather, no forecast.
  const windy = weather.map((o) => (o.variable === "ws" ? { ...o, value: o.value + 6 } : o));
  assert.notDeepStrictEqual(model.forecast(observations, { at, weather: windy }).steps, got.steps);
  assert.throws(() => model.forecast(observations, { at }), (e) => e instanceof AqcastError && e.code === "ahead_missing" && /"ws"/.test(e.message));
  assert.throws(() => model.forecast(observations, { at, weather: "sunny" }), (e) => e.code === "bad_observations");
});

test("model.forecast serves a daily model of several stations as aqcast forecast does", () => {
  const tmp = path.join(root, "wasm-tests/.tmp/stations");
  execFileSync("rm", ["-rf", tmp]);
  mkdirSync(tmp, { recursive: true });
  const store = path.join(tmp, "store");
  const run = (args) => execFileSync(aqcastBin, args, { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] }).toString();
  run(["ingest", path.join(root, "tests/fixtures/data/airbase_pm10_de_1998_2009.csv.gz"), "--store", store,
    "--map", "site=code", "--map", "time=date", "--map", "pm10=pm10:ug/m3"]);
  const config = path.join(tmp, "de.toml");
  writeFileSync(config, readFileSync(path.join(root, "configs/forecast_de.toml"), "utf8")
    .replace('sites = ["*"]', 'sites = ["DEBY047", "DENI063", "DEMV017"]')
    .replace('stations = "../tests/fixtures/data/airbase_pm10_de_stations.csv"',
      `stations = ${JSON.stringify(path.join(root, "tests/fixtures/data/airbase_pm10_de_stations.csv"))}`)
    .replace("trees = 300", "trees = 20"));
  const aqm = path.join(tmp, "de.aqm");
  run(["train", "--config", config, "--store", store, "-o", aqm]);
  const model = Model.fromBytes(readFileSync(aqm));
  for (const station of ["DEBY047", "DENI063"]) {
    const observations = run(["export", "--store", store, "--site", station]).trim().split("\n").slice(1).map((l) => {
      const [, variable, time, value] = l.split(",");
      return { variable, time, value: Number(value) };
    });
    const at = "2009-06-01 00:00:00";
    const native = JSON.parse(run(["forecast", "--model", aqm, "--store", store, "--site", station, "--at", at, "--json", "--bands", "artifact"]));
    const got = model.forecast(observations, { at, station });
    assert.equal(got.steps.length, 3);
    assert.deepStrictEqual(got, native, station);
  }
  assert.throws(() => model.forecast([], { station: "DEXX999" }), (e) => e.code === "unknown_station" && /not one this model/.test(e.message));
  assert.throws(() => model.forecast([], {}), (e) => e.code === "station_required" && /name one/.test(e.message));
  assert.throws(() => model.forecast([], { station: 7 }), (e) => e.code === "bad_observations");
});

test("every kind of preprocessing step gives the same bits in wasm as natively", () => {
  const { observations, run } = storeAndModel();
  const tmp = path.join(root, "wasm-tests/.tmp/preprocess");
  const store = path.join(tmp, "store");
  const config = path.join(tmp, "every-step.toml");
  writeFileSync(config, readFileSync(path.join(root, "configs/every-step.toml"), "utf8") + "\n[train]\ntrees = 10\n");
  const aqm = path.join(tmp, "every-step.aqm");
  run(["train", "--config", config, "--store", store, "-o", aqm]);
  const features = path.join(tmp, "every-step.csv");
  run(["features", "--config", config, "--store", store, "-o", features]);
  const lines = readFileSync(features, "utf8").trim().split("\n");
  const model = Model.fromBytes(readFileSync(aqm));
  const nf = model.features.length;
  const out = model.preprocess(observations);
  assert.equal(out.nRows, lines.length - 1);
  for (let i = 0; i < out.nRows; i++) {
    const cells = lines[i + 1].split(",");
    for (let j = 0; j < nf; j++) {
      const want = Number(cells[1 + j]);
      assert.ok(Object.is(out.rows[i * nf + j], want), `row ${i} ${model.features[j]}: wasm ${out.rows[i * nf + j]} native ${want}`);
    }
  }
});

test("the Node example of pkg/README.md runs as written", () => {
  const readme = readFileSync(path.join(pkg, "README.md"), "utf8");
  const block = readme.split("```js node\n")[1].split("```")[0];
  const dir = path.join(root, "wasm-tests/.tmp/node_modules/aqcast");
  mkdirSync(dir, { recursive: true });
  // Install the package as npm would: its files, under node_modules/aqcast.
  for (const f of JSON.parse(readFileSync(path.join(pkg, "package.json"))).files.concat("package.json")) {
    execFileSync("cp", ["-r", path.join(pkg, f), dir]);
  }
  const file = path.join(root, "wasm-tests/.tmp/example.mjs");
  writeFileSync(file, block);
  const out = execFileSync("node", [file], { env: { ...process.env, AQCAST_MODEL: path.join(fx, "lightgbm_l2.txt") } }).toString().trim().split("\n");
  assert.equal(out.length, 3);
  assert.match(out[0], /^\d+\.\d{3} true$/);
  assert.equal(out[2], "102");
});
