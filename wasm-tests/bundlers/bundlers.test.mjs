// The npm package as developers bundle it: the packed tarball (`npm pack pkg/`) installed
// into a small app (app/main.js), built by each bundler (pinned in this folder's
// package.json), served from 127.0.0.1 and run in headless Chromium (Debian's, through
// playwright-core); the page must show Node's numbers for the same calls. What each
// bundler needs is what pkg/README.md's "Bundlers" section says, and no more.
// Needs: scripts/build-pkg, chromium, `npm ci` in this folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const tmp = path.join(here, ".tmp");
const bin = path.join(here, "node_modules/.bin");
const fx = path.join(root, "tests/fixtures/models");
const row = new Float64Array([7, 2, 3, 4.1, -2.0, 1.5, 6.5, 41, 38, 35, 30, 44, 39, 37.5, 20]);
const aqcastBin = process.env.AQCAST_BIN ?? path.join(root, "target/debug/aqcast");
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_ENV: "production" } });

/** A small forecasting model (the shipped 72-hour task, made small) and ten days of
 * the station's observations, for the page's `model.forecast`. */
function forecastingModel() {
  const dir = path.join(tmp, "forecast");
  mkdirSync(dir, { recursive: true });
  const store = path.join(dir, "store");
  const cli = (args) => execFileSync(aqcastBin, args, { maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"] }).toString();
  cli(["ingest", path.join(root, "tests/fixtures/data/aurn_no2_2001_2003.csv.gz"), "--store", store]);
  const task = path.join(dir, "forecast.toml");
  writeFileSync(task, readFileSync(path.join(root, "configs/forecast.toml"), "utf8")
    .replace("trees = 300", "trees = 10").replace("stride = 6 ", "stride = 24 ").replace("dense_steps = 6", "dense_steps = 1"));
  const aqm = path.join(dir, "forecast.aqm");
  cli(["train", "--config", task, "--store", store, "-o", aqm]);
  const from = Date.parse("2003-07-04T17:00:00Z");
  const to = Date.parse("2003-07-14T17:00:00Z");
  const observations = cli(["export", "--store", store]).trim().split("\n").slice(1).map((l) => {
    const [, variable, time, value] = l.split(",");
    return { variable, time, value: Number(value) };
  }).filter((o) => {
    const t = Date.parse(o.time.replace(" ", "T") + "Z");
    return t > from && t <= to;
  });
  const json = path.join(dir, "observations.json");
  writeFileSync(json, JSON.stringify(observations));
  return { aqm, json, observations };
}

/** Node's numbers, from the built package itself. */
async function expected(forecast) {
  const pkg = (f) => path.join(root, "pkg", f);
  const { initSync, Model, aqi } = await import(pkg("aqcast.js"));
  initSync({ module: readFileSync(pkg("aqcast_bg.wasm")) });
  const { initImportSync } = await import(pkg("import.js"));
  initImportSync({ module: readFileSync(pkg("aqcast_import_bg.wasm")) });
  const { initPipelineSync } = await import(pkg("pipeline.js"));
  initPipelineSync({ module: readFileSync(pkg("aqcast_pipeline_bg.wasm")) });
  const model = Model.fromBytes(readFileSync(path.join(fx, "lightgbm_l2.txt")));
  const forecaster = Model.fromBytes(readFileSync(forecast.aqm));
  return {
    predict: model.predict(row),
    explain: Array.from(model.explain(row)),
    aqi: aqi.compute("pm2.5", 35.9).aqi,
    forecast: JSON.parse(JSON.stringify(forecaster.forecast(forecast.observations))),
  };
}

const html = (script, module = true) =>
  `<!doctype html><meta charset="utf-8"><title>aqcast app</title><script ${module ? 'type="module" ' : ""}src="${script}"></script>\n`;

// name → how the app is laid out and built; each leaves the site in `dist/`.
const BUNDLERS = {
  "webpack 5 (no configuration)": (dir) => {
    run(path.join(bin, "webpack"), ["--mode", "production", "--entry", "./main.js", "--output-path", "dist", "--output-filename", "main.js"], dir);
    writeFileSync(path.join(dir, "dist/index.html"), html("main.js", false));
  },
  "Vite 8 (no configuration)": (dir) => {
    writeFileSync(path.join(dir, "index.html"), html("./main.js"));
    run(path.join(bin, "vite"), ["build", "--logLevel", "error"], dir);
  },
  "Vite 6 (build.target es2022, for the top-level await)": (dir) => {
    writeFileSync(path.join(dir, "index.html"), html("./main.js"));
    writeFileSync(path.join(dir, "vite.config.js"), 'export default { build: { target: "es2022" } };\n');
    run(process.execPath, [path.join(here, "node_modules/vite6/bin/vite.js"), "build", "--logLevel", "error"], dir);
  },
  "esbuild (--loader:.wasm=file, each .wasm's URL given to its init)": (dir) => {
    run(path.join(bin, "esbuild"), ["main-urls.js", "--bundle", "--format=esm", "--outdir=dist", "--loader:.wasm=file"], dir);
    writeFileSync(path.join(dir, "dist/index.html"), html("main-urls.js"));
  },
  "Rollup (node-resolve and import-meta-assets)": (dir) => {
    writeFileSync(
      path.join(dir, "rollup.config.mjs"),
      `import { nodeResolve } from "@rollup/plugin-node-resolve";
import { importMetaAssets } from "@web/rollup-plugin-import-meta-assets";
export default { input: "main.js", output: { dir: "dist", format: "es" }, plugins: [nodeResolve(), importMetaAssets()] };
`,
    );
    run(path.join(bin, "rollup"), ["-c", "--silent"], dir);
    writeFileSync(path.join(dir, "dist/index.html"), html("main.js"));
  },
};

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };
function serve(dir) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x").pathname;
    if (url === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    let p = path.join(dir, decodeURIComponent(url));
    if (p.endsWith("/")) p = path.join(p, "index.html");
    if (!p.startsWith(dir) || !existsSync(p)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(p)] ?? "application/octet-stream" });
    res.end(readFileSync(p));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let browser;
let tarball;
let want;
let forecast;
before(async () => {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const packed = run("npm", ["pack", path.join(root, "pkg"), "--pack-destination", tmp, "--silent"], root).toString().trim().split("\n").at(-1);
  tarball = path.join(tmp, packed);
  forecast = forecastingModel();
  want = await expected(forecast);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
after(async () => {
  await browser?.close();
});

for (const [name, build] of Object.entries(BUNDLERS)) {
  test(`${name}: the app built on the packed package shows Node's numbers`, async () => {
    const dir = path.join(tmp, name.split(" ")[0].toLowerCase() + name.split(" ")[1]);
    mkdirSync(path.join(dir, "node_modules/aqcast"), { recursive: true });
    run("tar", ["xzf", tarball, "-C", path.join(dir, "node_modules/aqcast"), "--strip-components=1"], dir);
    cpSync(path.join(here, "app"), dir, { recursive: true });
    // What the page fetches: in public/ (Vite copies it), else copied next to the build.
    const served = [[path.join(fx, "lightgbm_l2.txt"), "model.txt"], [forecast.aqm, "forecast.aqm"], [forecast.json, "observations.json"]];
    mkdirSync(path.join(dir, "public"), { recursive: true });
    for (const [from, to] of served) cpSync(from, path.join(dir, "public", to));
    build(dir);
    const dist = path.join(dir, "dist");
    for (const [from, to] of served) if (!existsSync(path.join(dist, to))) cpSync(from, path.join(dist, to));
    const server = await serve(dist);
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
    try {
      await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
      await page.waitForFunction(() => document.body?.dataset.result, null, { timeout: 20000 }).catch(() => {});
      const result = await page.evaluate(() => document.body?.dataset.result ?? null);
      assert.ok(result, `no result; errors: ${errors.join(" | ")}`);
      const got = JSON.parse(result);
      assert.ok(Object.is(got.predict, want.predict), `predict ${got.predict} vs Node ${want.predict}`);
      assert.deepEqual(got.explain, want.explain);
      assert.equal(got.aqi, want.aqi);
      assert.deepEqual(got.forecast, want.forecast, "model.forecast through aqcast/pipeline");
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      server.close();
    }
  });
}
