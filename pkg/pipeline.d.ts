/* aqcast/pipeline: an optional module of the package (the feature pipeline, the forecast). */
import type { InitInput, InitOutput, SyncInitInput } from "./aqcast_pipeline.js";

/**
 * Fetches and instantiates `aqcast_pipeline_bg.wasm` (by default next to this file, or from
 * `module_or_path`: a URL, a `Response`, bytes or a compiled `WebAssembly.Module`) and
 * registers it: `model.preprocess` and `model.forecast` then work. It may be started
 * before, after or together with the runtime's `init`.
 */
export default function initPipeline(options?: {
  module_or_path?: InitInput | Promise<InitInput>;
}): Promise<InitOutput>;

/** Like `initPipeline`, synchronously, from the module's bytes or a compiled
 * `WebAssembly.Module`. */
export function initPipelineSync(options: { module: SyncInitInput }): InitOutput;
