// aqcast/tools: the package's optional second module (importers and the feature pipeline).
// Loading it registers its functions with the runtime ("aqcast"), whose Model.fromBytes
// then also reads LightGBM text, XGBoost JSON and aqcast JSON models, and whose
// model.preprocess runs the model's fitted pipeline. Pages that only predict with .aqm
// artifacts never download it. This file is a source; aqcast_tools.js is generated.
import initModule, { initSync as initModuleSync, importModel, preprocess } from "./aqcast_tools.js";
import { __registerTools } from "./aqcast.js";

export { importModel };

function register() {
  __registerTools({ importModel, preprocess });
}

/** Fetches and instantiates aqcast_tools_bg.wasm (by default next to this file). */
export default async function initTools(moduleOrPath) {
  const out = await initModule(moduleOrPath);
  register();
  return out;
}

/** Instantiates the module from its bytes or a compiled `WebAssembly.Module`. */
export function initToolsSync(module) {
  const out = initModuleSync(module);
  register();
  return out;
}
