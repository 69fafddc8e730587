// What each module of the npm package costs to download: its .wasm and its JavaScript
// glue, raw, GNU gzip -9 and brotli (quality 11, Node's zlib), as a table. With --check FILE, fails unless
// FILE (pkg/README.md) states each module's figures as this prints them, so the README's
// sizes are always measured ones.
// Usage: node bench/pkg/sizes.mjs [--check pkg/README.md]     (after scripts/build-pkg)
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { brotliCompressSync, constants } from "node:zlib";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = path.join(root, "pkg");
const kb = (n) => (n / 1000).toFixed(1);
// GNU gzip -9, as build-pkg and the issue's figures measure (zlib's level 9 differs by ~0.5 kB).
const gz = (b) => execFileSync("gzip", ["-9c"], { input: b, maxBuffer: 1 << 26 }).length;
const br = (b) =>
  brotliCompressSync(b, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
  }).length;

const modules = [
  ["aqcast", "aqcast"],
  ["aqcast/import", "aqcast_import"],
  ["aqcast/pipeline", "aqcast_pipeline"],
];
const rows = modules.map(([name, file]) => {
  const wasm = readFileSync(path.join(pkg, `${file}_bg.wasm`));
  const js = readFileSync(path.join(pkg, `${file}.js`));
  return {
    name,
    wasm: wasm.length,
    wasmGz: gz(wasm),
    wasmBr: br(wasm),
    jsGz: gz(js),
    jsBr: br(js),
  };
});
// How the README states a module: "69.2 kB gzip, 58.0 kB brotli" (the .wasm).
const stated = (r) => `${kb(r.wasmGz)} kB gzip, ${kb(r.wasmBr)} kB brotli`;

console.log("| module | .wasm | gzip -9 | brotli 11 | JS glue gzip | JS glue brotli |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| \`${r.name}\` | ${kb(r.wasm)} kB | ${kb(r.wasmGz)} kB | ${kb(r.wasmBr)} kB | ${kb(r.jsGz)} kB | ${kb(r.jsBr)} kB |`);
}
const runtime = rows[0];
console.log(`runtime download (wasm and JS): ${kb(runtime.wasmGz + runtime.jsGz)} kB gzip, ${kb(runtime.wasmBr + runtime.jsBr)} kB brotli`);

const at = process.argv.indexOf("--check");
if (at > 0) {
  // The stated figures must be the measured ones, to the 0.1 kB shown (give or take
  // 0.2 kB: a build in another folder embeds other paths in the wasm).
  const file = process.argv[at + 1];
  const lines = readFileSync(file, "utf8").split("\n");
  let wrong = 0;
  for (const r of rows) {
    const line = lines.find((l) => l.startsWith(`| \`${r.name}\``));
    const m = line && /([\d.]+) kB gzip, ([\d.]+) kB brotli/.exec(line);
    const near = (stated, bytes) => Math.abs(Number(stated) * 1000 - bytes) <= 200;
    if (!m || !near(m[1], r.wasmGz) || !near(m[2], r.wasmBr)) {
      console.error(`${file}: the row of \`${r.name}\` should say "${stated(r)}"${line ? `, not: ${line}` : ""}`);
      wrong += 1;
    }
  }
  if (wrong) process.exit(1);
  console.log(`${file}: every module's size as measured`);
}
