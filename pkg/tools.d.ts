/* aqcast/tools: the package's optional second module (importers and the feature pipeline). */
import type { InitInput, InitOutput, SyncInitInput } from "./aqcast_tools.js";

/**
 * Imports a model into `.aqm` bytes: LightGBM text, XGBoost JSON or aqcast's JSON form
 * (an `.aqm` artifact is verified and written again). The bytes load with
 * `Model.fromBytes`, here or anywhere aqcast runs. Throws an `AqcastError`
 * (`import_failed`, `unsupported_model`, `malformed_model`, …).
 */
export function importModel(bytes: Uint8Array): Uint8Array;

/**
 * Fetches and instantiates `aqcast_tools_bg.wasm` (by default next to this file), then
 * registers the importers and the pipeline with the runtime: `Model.fromBytes` reads
 * LightGBM text, XGBoost JSON and aqcast JSON models, and `model.preprocess` works.
 */
export default function initTools(
  moduleOrPath?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;

/** Like `initTools`, from the module's bytes or a compiled `WebAssembly.Module`. */
export function initToolsSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;
