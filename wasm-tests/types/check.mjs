// Type-checks the npm package as TypeScript users meet it: every JavaScript example of
// pkg/README.md (extracted as written) and usage.mts (every export), with tsc --strict
// and module nodenext, against the built pkg/ installed as node_modules/aqcast.
// Usage: node wasm-tests/types/check.mjs (after scripts/build-pkg).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const tmp = path.join(here, ".tmp");
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
rmSync(path.join(here, "node_modules"), { recursive: true, force: true });
mkdirSync(path.join(here, "node_modules"), { recursive: true });
symlinkSync(path.join(root, "pkg"), path.join(here, "node_modules", "aqcast"), "dir");

const readme = readFileSync(path.join(root, "pkg/README.md"), "utf8");
const blocks = [...readme.matchAll(/```(js[^\n]*|html)\n([\s\S]*?)```/g)].map((m) => ({
  lang: m[1],
  code: m[2],
}));
// The Node example, then the sections that continue it (they use its `model`), as one
// module; the browser example's script; the Workers example.
const js = blocks.filter((b) => b.lang.startsWith("js"));
const node = js.findIndex((b) => b.lang === "js node");
const workers = js.findIndex((b) => b.code.includes("export default"));
if (node < 0 || workers < 0) throw new Error("pkg/README.md: the Node or Workers example is missing");
// (A bundler's example imports .wasm files, which only a bundler resolves.)
const continued = js
  .slice(node, workers)
  .filter((b) => !b.lang.includes("bundler"))
  .map((b) => b.code)
  .join("\n");
writeFileSync(path.join(tmp, "readme-node.mjs"), continued);
writeFileSync(path.join(tmp, "readme-workers.mjs"), js[workers].code);
const html = blocks.find((b) => b.lang === "html");
const script = html && /<script type="module">([\s\S]*?)<\/script>/.exec(html.code);
if (!script) throw new Error("pkg/README.md: the browser example's script is missing");
// In a page the package is imported by URL; here it is the installed package.
writeFileSync(
  path.join(tmp, "readme-browser.mjs"),
  script[1].replaceAll("./node_modules/aqcast/aqcast.js", "aqcast"),
);
const files = ["readme-node.mjs", "readme-workers.mjs", "readme-browser.mjs", "usage.mts"];
execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", path.join(here, "tsconfig.json")], {
  stdio: "inherit",
});
// A browser project: no Node types (which declare Symbol.dispose), lib ES2023, a bundler's
// resolution, and the package's declarations checked too (skipLibCheck false).
execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", path.join(here, "tsconfig.browser.json")], {
  stdio: "inherit",
});
console.log(`tsc --strict: ${files.length + 1} passed, 0 failed (${files.join(", ")}, and the browser example without Node's types)`);
