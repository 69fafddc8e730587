// The same app for esbuild: it does not rewrite `new URL("…wasm", import.meta.url)`, so
// the app imports each .wasm as a file (esbuild --loader:.wasm=file copies it next to the
// bundle and gives its URL) and hands the URL to init: the one line it needs per module.
import init from "aqcast";
import initImport from "aqcast/import";
import initPipeline from "aqcast/pipeline";
import runtimeWasm from "aqcast/aqcast_bg.wasm";
import importWasm from "aqcast/aqcast_import_bg.wasm";
import pipelineWasm from "aqcast/aqcast_pipeline_bg.wasm";
import { use } from "./use.js";

await Promise.all([
  init({ module_or_path: runtimeWasm }),
  initImport({ module_or_path: importWasm }),
  initPipeline({ module_or_path: pipelineWasm }),
]);
await use();
