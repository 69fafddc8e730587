// The same app for esbuild: it does not rewrite `new URL("…wasm", import.meta.url)`, so
// the app imports each .wasm as a file (esbuild --loader:.wasm=file copies it next to the
// bundle and gives its URL) and hands the URL to init: the one line it needs per module.
import init, { Model, aqi } from "aqcast";
import initImport from "aqcast/import";
import initPipeline from "aqcast/pipeline";
import runtimeWasm from "aqcast/aqcast_bg.wasm";
import importWasm from "aqcast/aqcast_import_bg.wasm";
import pipelineWasm from "aqcast/aqcast_pipeline_bg.wasm";

await Promise.all([
  init({ module_or_path: runtimeWasm }),
  initImport({ module_or_path: importWasm }),
  initPipeline({ module_or_path: pipelineWasm }),
]);
const text = new Uint8Array(await (await fetch("./model.txt")).arrayBuffer());
const model = Model.fromBytes(text);
const row = new Float64Array([7, 2, 3, 4.1, -2.0, 1.5, 6.5, 41, 38, 35, 30, 44, 39, 37.5, 20]);
const why = model.explain(row);
const forecaster = Model.fromBytes(new Uint8Array(await (await fetch("./forecast.aqm")).arrayBuffer()));
const observations = await (await fetch("./observations.json")).json();
document.body.dataset.result = JSON.stringify({
  predict: model.predict(row),
  explain: Array.from(why),
  aqi: aqi.compute("pm2.5", 35.9).aqi,
  forecast: forecaster.forecast(observations),
});
