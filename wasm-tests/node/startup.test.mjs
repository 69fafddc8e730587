// The package's modules started in any order, as developers start them: each case in a
// fresh Node process (module state is per process). A call before `init` is an
// AqcastError with code `not_initialised`, never a TypeError from the generated glue.
// Needs: scripts/build-pkg (pkg/ built).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = (f) => pathToFileURL(path.join(root, "pkg", f)).href;
const fx = path.join(root, "tests/fixtures/models");

/** Runs `body` as an ES module in a new Node process; returns what it printed (JSON). */
function run(body) {
  const src = `
    import { readFileSync } from "node:fs";
    const bytes = (f) => readFileSync(new URL(f, ${JSON.stringify(pkg("aqcast.js"))}));
    const init = (await import(${JSON.stringify(pkg("aqcast.js"))})).default;
    const { Model, aqi, AqcastError } = await import(${JSON.stringify(pkg("aqcast.js"))});
    const initImport = (await import(${JSON.stringify(pkg("import.js"))})).default;
    const initPipeline = (await import(${JSON.stringify(pkg("pipeline.js"))})).default;
    const lightgbm = readFileSync(${JSON.stringify(path.join(fx, "lightgbm_l2.txt"))});
    const out = {};
    ${body}
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", src], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  // Both streams: wasm-bindgen warns on stderr (console.warn).
  return { out: JSON.parse(lines.at(-1)), printed: r.stdout + r.stderr };
}

const calls = `
  const m = Model.fromBytes(lightgbm);                      // through aqcast/import
  out.prediction = m.predict(new Float64Array(m.features.length));
  out.aqi = aqi.compute("pm2.5", 35.4).aqi;
`;

for (const [name, start] of [
  ["all at once", "await Promise.all([initPipeline({ module_or_path: bytes('aqcast_pipeline_bg.wasm') }), initImport({ module_or_path: bytes('aqcast_import_bg.wasm') }), init({ module_or_path: bytes('aqcast_bg.wasm') })]);"],
  ["optional modules first", "await initImport({ module_or_path: bytes('aqcast_import_bg.wasm') }); await initPipeline({ module_or_path: bytes('aqcast_pipeline_bg.wasm') }); await init({ module_or_path: bytes('aqcast_bg.wasm') });"],
  ["runtime first, bytes given alone", "await init({ module_or_path: bytes('aqcast_bg.wasm') }); await initImport(bytes('aqcast_import_bg.wasm')); await initPipeline(bytes('aqcast_pipeline_bg.wasm'));"],
]) {
  test(`modules started ${name} work, without a warning`, () => {
    const { out, printed } = run(start + calls);
    assert.equal(out.aqi, 100);
    assert.ok(Number.isFinite(out.prediction), JSON.stringify(out));
    assert.doesNotMatch(printed, /deprecated/);
  });
}

test("a call before init is an AqcastError with code not_initialised", () => {
  const { out } = run(`
    for (const [what, f] of [
      ["Model.fromBytes", () => Model.fromBytes(lightgbm)],
      ["aqi.compute", () => aqi.compute("pm2.5", 12)],
    ]) {
      try { f(); out[what] = "no error"; }
      catch (e) { out[what] = [e instanceof AqcastError, e.code, e.message]; }
    }
    await init({ module_or_path: bytes('aqcast_bg.wasm') });
    out.after = aqi.compute("pm2.5", 35.4).aqi;
  `);
  for (const what of ["Model.fromBytes", "aqi.compute"]) {
    const [isAqcast, code, message] = out[what];
    assert.equal(isAqcast, true, `${what}: ${JSON.stringify(out[what])}`);
    assert.equal(code, "not_initialised");
    assert.match(message, /await init\(\)/);
  }
  assert.equal(out.after, 100);
});

test("require works where Node loads ES modules from it, and says why where it cannot", async () => {
  const { mkdirSync, rmSync, symlinkSync } = await import("node:fs");
  const dir = path.join(root, "wasm-tests/.tmp/require");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  symlinkSync(path.join(root, "pkg"), path.join(dir, "node_modules/aqcast"), "dir");
  const node = (flags, src) =>
    execFileSync(process.execPath, [...flags, "-e", src], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString().trim();
  // This Node (≥ 20.19) loads them: the same exports as `import`.
  assert.equal(node([], 'const a = require("aqcast"); const i = require("aqcast/import"); const p = require("aqcast/pipeline"); console.log([typeof a.Model, typeof a.aqi.compute, typeof i.default, typeof p.default].join())'),
    "function,function,function,function");
  // As Node before 20.19 does (the flag turns require of ES modules off): a clear error.
  const said = node(["--no-experimental-require-module"], 'try { require("aqcast/pipeline") } catch (e) { console.log(e.code + ": " + e.message) }');
  assert.match(said, /^not_commonjs: aqcast\/pipeline is an ES module: use `import`/);
  assert.match(said, /Node 20\.19\+ and 22\.12\+/);
});
