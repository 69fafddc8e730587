// A small app on the npm package, as a developer writes it: the three modules started at
// once (each finds its .wasm next to its JavaScript), then use.js.
import init from "aqcast";
import initImport from "aqcast/import";
import initPipeline from "aqcast/pipeline";
import { use } from "./use.js";

await Promise.all([init(), initImport(), initPipeline()]);
await use();
