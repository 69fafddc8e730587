// The runtime module alone ("aqcast", without "aqcast/import" and "aqcast/pipeline"), as a
// page that only predicts with .aqm artifacts loads it: everything but importing and
// preprocessing works, and those say which module to load. Needs: scripts/build-pkg, the native CLI at $AQCAST_BIN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = path.join(root, "pkg");
const fx = path.join(root, "tests/fixtures/models");
const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");
const tmp = path.join(root, "wasm-tests/.tmp/runtime");

const { initSync, Model, aqi } = await import(path.join(pkg, "aqcast.js"));
initSync({ module: readFileSync(path.join(pkg, "aqcast_bg.wasm")) });

const run = (args) => execFileSync(aqcastBin, args, { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] }).toString();

test("the runtime alone loads .aqm artifacts and predicts, explains and describes them as the CLI does", () => {
  mkdirSync(tmp, { recursive: true });
  const aqm = path.join(tmp, "q90.aqm");
  run(["import", path.join(fx, "lightgbm_q90.txt"), "-o", aqm]);
  const model = Model.fromBytes(readFileSync(aqm));
  assert.equal(model.metadata.source, "LightGBM v4");
  assert.equal(model.heads[0].quantile, 0.9);
  assert.equal(model.hasPipeline, false);
  const lines = gunzipSync(readFileSync(path.join(fx, "test_X_h1.csv.gz"))).toString().trim().split("\n").slice(1);
  const rows = lines.map((l) => l.split(",").map(Number));
  const got = model.predictBatch(new Float64Array(rows.flat()), rows.length);
  const native = run(["predict", "--model", aqm, "--input", path.join(fx, "test_X_h1.csv.gz")]).trim().split("\n").map(Number);
  for (let i = 0; i < rows.length; i++) assert.ok(Object.is(got[i], native[i]), `row ${i}`);
  const phi = model.explain(rows[3]);
  assert.ok(Math.abs(phi.reduce((a, b) => a + b, 0) - got[3]) < 1e-9);
  assert.equal(aqi.compute("pm2.5", 35.9).aqi, 102);
});

test("other model formats ask for aqcast/import, preprocess for aqcast/pipeline", () => {
  const needs = (module) => (e) => e.name === "AqcastError" && e.code === "needs_module" && e.message.includes(module);
  assert.throws(() => Model.fromBytes(readFileSync(path.join(fx, "lightgbm_l2.txt"))), needs("aqcast/import"));
  assert.throws(() => Model.fromBytes(readFileSync(path.join(fx, "xgboost_named.json"))), needs("aqcast/import"));
  // A model with a pipeline: its metadata and predictions work, preprocess needs the module.
  const store = path.join(tmp, "store");
  execFileSync("rm", ["-rf", store]);
  run(["ingest", path.join(root, "tests/fixtures/data/aurn_no2_2001_2003.csv.gz"), "--store", store]);
  const aqm = path.join(tmp, "piped.aqm");
  run(["import", path.join(fx, "lightgbm_l2.txt"), "--config", path.join(root, "configs/canonical.toml"), "--store", store, "-o", aqm]);
  const model = Model.fromBytes(readFileSync(aqm));
  assert.equal(model.hasPipeline, true);
  assert.throws(() => model.preprocess([{ variable: "no2", time: 0, value: 1 }]), needs("aqcast/pipeline"));
});
