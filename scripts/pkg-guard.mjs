// Post-processes the glue wasm-bindgen 0.2.130 generates for one module of the npm
// package (--target web), so that the package behaves as developers expect:
// - a call before the module is initialised throws AqcastError("not_initialised", …)
//   saying which init to call, instead of a TypeError from inside the glue
//   ("reading '__wbindgen_malloc'");
// - its declarations compile without Node's types (which declare Symbol.dispose):
//   `/// <reference lib="esnext.disposable" />`.
// Each edit checks the generated text it changes is there exactly as expected, so a new
// wasm-bindgen that generates other code stops the build here rather than shipping an
// unguarded module.
// Usage: node scripts/pkg-guard.mjs DIR NAME "INIT HINT"
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [dir, name, hint] = process.argv.slice(2);
if (!dir || !name || !hint) throw new Error("usage: pkg-guard.mjs DIR NAME HINT");

function edit(file, from, to, times) {
  const text = readFileSync(file, "utf8");
  const found = text.split(from).length - 1;
  if (found !== times) {
    throw new Error(`${file}: expected ${times} of ${JSON.stringify(from)}, found ${found} (a new wasm-bindgen?)`);
  }
  writeFileSync(file, text.replaceAll(from, to));
}

const js = path.join(dir, `${name}.js`);
const message = `${name === "aqcast" ? "aqcast" : name.replace("aqcast_", "aqcast/")} is not initialised yet: ${hint} first`;
edit(
  js,
  "let wasmModule, wasmInstance, wasm;",
  `// Until init: every use of the module's exports throws this (scripts/pkg-guard.mjs).
const NOT_READY = new Proxy({}, {
  get() {
    const AqcastError = globalThis[Symbol.for("aqcast.AqcastError")];
    throw new AqcastError("not_initialised", ${JSON.stringify(message)});
  },
});
let wasmModule, wasmInstance, wasm = NOT_READY;`,
  1,
);
edit(js, "if (wasm !== undefined) return wasm;", "if (wasm !== NOT_READY) return wasm;", 2);
const dts = path.join(dir, `${name}.d.ts`);
const types = readFileSync(dts, "utf8");
if (types.includes("Symbol.dispose") && !types.includes('reference lib="esnext.disposable"')) {
  writeFileSync(dts, `/// <reference lib="esnext.disposable" />\n${types}`);
}
