//! `aqcast-wasm-pipeline`: the npm package's optional module `aqcast/pipeline` (SPEC §8):
//! the fitted feature pipeline behind `model.preprocess`, which turns a station's raw
//! observations into a model's feature rows with the same code, and bits, as the trainer.
//! It needs a JSON parser (the pipeline travels as JSON in the artifact's PIPE section)
//! and the pipeline's code, both left out of the runtime (`crates/wasm`) to keep it small.
//!
//! `pkg/pipeline.js` loads it and registers [`preprocess`] with the runtime:
//!
//! ```js
//! import init, { Model } from "aqcast";
//! import initPipeline from "aqcast/pipeline";
//! await init();
//! await initPipeline();
//! const { rows, nRows } = Model.fromBytes(aqm).preprocess(observations);
//! ```

#[path = "../../wasm/src/errors.rs"]
mod errors;
mod observations;

use aqcast_core::pipeline::Pipeline;
use js_sys::{Array, Float64Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::errors::{core_error, error};

/// `model.preprocess` of the runtime: the fitted pipeline (the artifact's PIPE section)
/// applied to raw observations, giving row-major feature rows. `features` are the
/// model's; the pipeline must produce exactly those.
#[wasm_bindgen(skip_typescript)]
pub fn preprocess(
    pipeline_json: &str,
    features: Vec<String>,
    observations: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let pipeline = Pipeline::from_json(pipeline_json).map_err(|e| core_error(&e))?;
    if pipeline.feature_names() != features {
        return Err(error(
            "bad_pipeline",
            "the model's pipeline does not produce the model's features (names and order must match)",
        ));
    }
    let series = observations::series(&observations)?;
    let range = if options.is_undefined() || options.is_null() {
        None
    } else {
        let get =
            |k: &str| Reflect::get(&options, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        match (get("start"), get("end")) {
            (s, e) if s.is_undefined() && e.is_undefined() => None,
            (s, e) if !s.is_undefined() && !e.is_undefined() => Some((
                observations::timestamp(&s, "options.start")?,
                observations::timestamp(&e, "options.end")?,
            )),
            _ => {
                return Err(error(
                    "bad_observations",
                    "give both options.start and options.end, or neither",
                ))
            }
        }
    };
    let table = pipeline
        .transform(&series, range)
        .map_err(|e| core_error(&e))?;
    let n = table.times.len();
    let nf = table.features.len();
    let mut rows = vec![0.0; n * nf];
    for (j, c) in table.features.iter().enumerate() {
        for (i, v) in c.values.iter().enumerate() {
            rows[i * nf + j] = *v;
        }
    }
    let times: Vec<f64> = table.times.iter().map(|&t| t as f64).collect();
    let o = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&o, &JsValue::from_str(k), v).map(|_| ());
    set("times", &Float64Array::from(&times[..]))?;
    set("rows", &Float64Array::from(&rows[..]))?;
    set("nRows", &JsValue::from(n as u32))?;
    let names: Array = table
        .features
        .iter()
        .map(|c| JsValue::from_str(&c.name))
        .collect();
    set("features", &names)?;
    Ok(o.into())
}
