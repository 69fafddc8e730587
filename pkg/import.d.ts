/* aqcast/import: an optional module of the package (LightGBM and XGBoost importers). */
import type { InitInput, InitOutput, SyncInitInput } from "./aqcast_import.js";

/**
 * Imports a LightGBM text model or an XGBoost JSON model into `.aqm` bytes, which load
 * with `Model.fromBytes` here or anywhere aqcast runs (the CLI, the edge worker, the
 * registry). Throws an `AqcastError` (`import_failed`, `unsupported_model`,
 * `malformed_model`, …).
 */
export function importModel(bytes: Uint8Array): Uint8Array;

/**
 * Fetches and instantiates `aqcast_import_bg.wasm` (by default next to this file, or from
 * `module_or_path`: a URL, a `Response`, bytes or a compiled `WebAssembly.Module`) and
 * registers it: `Model.fromBytes` then reads LightGBM text and XGBoost
 * JSON models too. It may be started before, after or together with the
 * runtime's `init`.
 */
export default function initImport(options?: {
  module_or_path?: InitInput | Promise<InitInput>;
}): Promise<InitOutput>;

/** Like `initImport`, synchronously, from the module's bytes or a compiled `WebAssembly.Module`. */
export function initImportSync(options: { module: SyncInitInput }): InitOutput;
