/* aqcast/pipeline: an optional module of the package (the feature pipeline, the forecast). */
import type { InitInput, InitOutput, SyncInitInput } from "./aqcast_pipeline.js";

/**
 * Fetches and instantiates `aqcast_pipeline_bg.wasm` (by default next to this file) and
 * registers it with the runtime: `model.preprocess` and `model.forecast` then work.
 */
export default function initPipeline(
  moduleOrPath?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<InitOutput>;

/** Like `initPipeline`, from the module's bytes or a compiled `WebAssembly.Module`. */
export function initPipelineSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;
