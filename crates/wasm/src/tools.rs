//! The way to the package's optional second module, `aqcast/tools` (`crates/wasm-tools`):
//! the importers and the feature pipeline. Its JavaScript entry (`pkg/tools.js`) loads it
//! and registers its functions here with `__registerTools`; until then the calls below
//! throw a `needs_tools` error that says how to load it.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::errors::error;

thread_local! {
    static TOOLS: RefCell<Option<Object>> = const { RefCell::new(None) };
}

/// Called by `aqcast/tools` once its module is instantiated, with its functions
/// (`{ importModel, preprocess }`). Not part of the public API.
#[wasm_bindgen(js_name = __registerTools, skip_typescript)]
pub fn register_tools(hooks: Object) {
    TOOLS.with(|t| *t.borrow_mut() = Some(hooks));
}

const HOW: &str =
    "load them first: `import initTools from \"aqcast/tools\"; await initTools();` (Node, workers: `initToolsSync({ module })`)";

fn hook(name: &str, what: &str) -> Result<Function, JsValue> {
    let f = TOOLS.with(|t| {
        t.borrow()
            .as_ref()
            .and_then(|o| Reflect::get(o, &JsValue::from_str(name)).ok())
    });
    f.and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| error("needs_tools", &format!("{what} {HOW}")))
}

/// Model bytes that are not an `.aqm` artifact (LightGBM text, XGBoost JSON, aqcast's
/// JSON form), imported into `.aqm` bytes by `aqcast/tools`.
pub(crate) fn import_model(bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
    let f = hook(
        "importModel",
        "not an .aqm artifact: LightGBM text, XGBoost JSON and aqcast JSON models are read by the importers in aqcast/tools;",
    )?;
    let out = f.call1(&JsValue::NULL, &Uint8Array::from(bytes))?;
    out.dyn_into::<Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| error("internal", "aqcast/tools returned no model bytes"))
}

/// `model.preprocess`, run by the pipeline in `aqcast/tools`.
pub(crate) fn preprocess(
    pipeline_json: &str,
    features: &[String],
    observations: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    let f = hook(
        "preprocess",
        "preprocess runs the model's feature pipeline, which is in aqcast/tools;",
    )?;
    let names: Array = features.iter().map(|f| JsValue::from_str(f)).collect();
    let args = Array::of4(
        &JsValue::from_str(pipeline_json),
        &names,
        observations,
        options,
    );
    f.apply(&JsValue::NULL, &args)
}
