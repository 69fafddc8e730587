//! `aqcast-wasm-import`: the npm package's optional module `aqcast/import` (SPEC §8):
//! LightGBM text and XGBoost JSON models into `.aqm` artifacts. The parsers and a JSON
//! parser are left out of the runtime (`crates/wasm`) to keep it small; a page that loads
//! `.aqm` artifacts never downloads this module.
//!
//! `pkg/import.js` loads it and registers [`import_model`] with the runtime, whose
//! `Model.fromBytes` then imports those formats itself:
//!
//! ```js
//! import init, { Model } from "aqcast";
//! import initImport, { importModel } from "aqcast/import";
//! await init();
//! await initImport();
//! const model = Model.fromBytes(lightgbmText);      // imported, then loaded
//! const aqm = importModel(lightgbmText);            // or keep the .aqm bytes
//! ```

#[path = "../../wasm/src/errors.rs"]
mod errors;

use aqcast_core::import;
use wasm_bindgen::prelude::*;

use crate::errors::core_error;

/// Imports a LightGBM text or XGBoost JSON model into `.aqm` bytes, which load with
/// `Model.fromBytes` here or anywhere aqcast runs (the CLI, the edge worker, the registry).
#[wasm_bindgen(js_name = importModel)]
pub fn import_model(bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
    let model = import::import_foreign(bytes).map_err(core_error)?;
    model.encode().map_err(core_error)
}
