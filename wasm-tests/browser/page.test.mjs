// The browser example of pkg/README.md, run as written in headless Chromium (Debian's, via
// playwright-core), served from 127.0.0.1 on a free port with the built package laid out
// as `npm install aqcast` lays it out. Needs: scripts/build-pkg, $AQCAST_BIN, chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync, mkdirSync, rmSync, cpSync, writeFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const site = path.join(root, "wasm-tests/.tmp/site");
const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

function layOutSite() {
  rmSync(site, { recursive: true, force: true });
  const pkgDir = path.join(site, "node_modules/aqcast");
  mkdirSync(pkgDir, { recursive: true });
  const pkg = JSON.parse(readFileSync(path.join(root, "pkg/package.json")));
  for (const f of pkg.files.concat("package.json")) cpSync(path.join(root, "pkg", f), path.join(pkgDir, f), { recursive: true });
  mkdirSync(path.join(site, "models"));
  const names = "hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,no2_lag23,no2_lag167,no2_roll24,bg_no2";
  execFileSync(aqcastBin, ["import", path.join(root, "tests/fixtures/models/lightgbm_l2.txt"), "-o", path.join(site, "models/no2.aqm"), "--feature-names", names], { stdio: "ignore" });
  cpSync(path.join(root, "tests/fixtures/models/lightgbm_l2.txt"), path.join(site, "models/no2.txt"));
  const readme = readFileSync(path.join(root, "pkg/README.md"), "utf8");
  const html = readme.split("```html\n")[1].split("```")[0];
  writeFileSync(path.join(site, "index.html"), `<!doctype html><meta charset="utf-8"><title>aqcast</title>\n${html}`);
}

function serve() {
  const server = createServer((req, res) => {
    const p = path.join(site, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!p.startsWith(site) || !existsSync(p)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": types[path.extname(p)] ?? "application/octet-stream" });
    res.end(readFileSync(p.endsWith("/") ? path.join(p, "index.html") : p));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("the README browser example runs in Chromium and shows a forecast and the AQI", async () => {
  layOutSite();
  const server = await serve();
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    const fetched = [];
    page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
    await page.waitForFunction(() => document.querySelector("#aqi").textContent.length > 0, null, { timeout: 20000 });
    const forecast = await page.textContent("#forecast");
    const aqiText = await page.textContent("#aqi");
    const bg = await page.$eval("#aqi", (e) => getComputedStyle(e).backgroundColor);
    assert.deepEqual(errors, []);
    assert.match(forecast, /^NO2 next hour: \d+\.\d µg\/m³$/);
    assert.equal(aqiText, "Ozone AQI 126: Unhealthy for Sensitive Groups");
    assert.equal(bg, "rgb(255, 126, 0)");
    // The same forecast natively, from the same model and the same (partly missing) row.
    const csv = path.join(site, "row.csv");
    writeFileSync(csv, "hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,no2_lag23,no2_lag167,no2_roll24,bg_no2\n7,2,3,4.1,,,,41,38,,,,,,\n");
    const native = Number(execFileSync(aqcastBin, ["predict", "--model", path.join(site, "models/no2.aqm"), "--input", csv]).toString());
    const inPage = await page.evaluate(async () => {
      const { Model } = await import("./node_modules/aqcast/aqcast.js");
      const bytes = new Uint8Array(await (await fetch("./models/no2.aqm")).arrayBuffer());
      return Model.fromBytes(bytes).predict({ hour: 7, dow: 2, month: 3, ws: 4.1, no2_lag0: 41, no2_lag1: 38 });
    });
    assert.ok(Object.is(inPage, native), `page ${inPage} native ${native}`);
    assert.equal(forecast, `NO2 next hour: ${native.toFixed(1)} µg/m³`);
    // aqcast/import in the page: fetched next to import.js, it imports the LightGBM text
    // model itself, which then predicts the same row (by position) to the same bits.
    assert.ok(!fetched.some((p) => /import|pipeline/.test(p)), `the example needs only the runtime: ${fetched.join(" ")}`);
    const viaImport = await page.evaluate(async () => {
      const { Model } = await import("./node_modules/aqcast/aqcast.js");
      const { default: initImport } = await import("./node_modules/aqcast/import.js");
      const text = new Uint8Array(await (await fetch("./models/no2.txt")).arrayBuffer());
      let before = "";
      try { Model.fromBytes(text); } catch (e) { before = e.code; }
      await initImport();
      const row = [7, 2, 3, 4.1, NaN, NaN, NaN, 41, 38, NaN, NaN, NaN, NaN, NaN, NaN];
      return { before, value: Model.fromBytes(text).predict(row) };
    });
    assert.equal(viaImport.before, "needs_module");
    assert.ok(Object.is(viaImport.value, native), `import ${viaImport.value} native ${native}`);
    assert.ok(fetched.includes("/node_modules/aqcast/aqcast_import_bg.wasm"), fetched.join(" "));
  } finally {
    await browser.close();
    server.close();
  }
});
