//! The way to the package's optional modules: `aqcast/import` (`crates/wasm-import`:
//! LightGBM and XGBoost models into `.aqm`) and `aqcast/pipeline` (`crates/wasm-pipeline`:
//! `model.preprocess`). Each one's JavaScript entry (`pkg/import.js`, `pkg/pipeline.js`)
//! loads it and puts its functions in the page's registry of modules,
//! `globalThis[Symbol.for("aqcast.modules")]` (plain JavaScript: it needs nothing of the
//! runtime, so the modules may be started in any order, or all at once); the calls below
//! look there, and until a module is there throw a `needs_module` error that says what to
//! load.

use js_sys::{Array, Function, Reflect, Symbol, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::errors::error;

/// The registered function `name`, if its module is loaded.
fn registered(name: &str) -> Option<Function> {
    let modules = Reflect::get(&js_sys::global(), &Symbol::for_("aqcast.modules")).ok()?;
    if modules.is_undefined() || modules.is_null() {
        return None;
    }
    Reflect::get(&modules, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

fn hook(name: &str, what: &str, module: &str, init: &str) -> Result<Function, JsValue> {
    registered(name).ok_or_else(|| {
        error(
            "needs_module",
            &format!(
                "{what} needs the optional module {module}: load it first (`import {init} from \
                 \"{module}\"; await {init}();`, or `{init}Sync({{ module }})` in Node and workers)"
            ),
        )
    })
}

/// Model bytes that are not an `.aqm` artifact (LightGBM text, XGBoost JSON), imported
/// into `.aqm` bytes by `aqcast/import`.
pub(crate) fn import_model(bytes: &[u8]) -> Result<Vec<u8>, JsValue> {
    let f = hook(
        "importModel",
        "these bytes are not an .aqm artifact; importing a LightGBM or XGBoost model",
        "aqcast/import",
        "initImport",
    )?;
    let out = f.call1(&JsValue::NULL, &Uint8Array::from(bytes))?;
    out.dyn_into::<Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| error("internal", "aqcast/import returned no model bytes"))
}

/// `model.preprocess`, run by the pipeline in `aqcast/pipeline`.
pub(crate) fn preprocess(
    pipeline_json: &str,
    features: &[String],
    observations: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    let f = hook(
        "preprocess",
        "preprocess (the model's fitted pipeline)",
        "aqcast/pipeline",
        "initPipeline",
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

/// Builds a forecasting model's forecaster in `aqcast/pipeline` from its `.aqm` bytes.
pub(crate) fn make_forecaster(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let f = hook(
        "makeForecaster",
        "forecast (the model's pipeline and forecast)",
        "aqcast/pipeline",
        "initPipeline",
    )?;
    f.call1(&JsValue::NULL, &Uint8Array::from(bytes))
}

/// `forecaster.forecast(observations, options)` on a forecaster of `aqcast/pipeline`.
pub(crate) fn call_forecast(
    forecaster: &JsValue,
    observations: &JsValue,
    options: &JsValue,
) -> Result<JsValue, JsValue> {
    let method = Reflect::get(forecaster, &JsValue::from_str("forecast"))?
        .dyn_into::<Function>()
        .map_err(|_| error("internal", "aqcast/pipeline returned no forecaster"))?;
    method.call2(forecaster, observations, options)
}
