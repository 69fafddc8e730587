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
use aqcast_core::Parts;
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
    let pipeline = Pipeline::from_json(pipeline_json).map_err(core_error)?;
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
    let table = pipeline.transform(&series, range).map_err(core_error)?;
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

/// A forecasting model's forecaster (`model.forecast` of the runtime): the pipeline, the
/// forecast spec and the band heads, decoded and compiled once per model.
#[wasm_bindgen(skip_typescript)]
pub struct Forecaster {
    inner: aqcast_core::forecast::Forecaster,
}

/// Builds the forecaster of a model from its `.aqm` bytes (verified again: the bytes
/// cross a module boundary).
#[wasm_bindgen(js_name = makeForecaster, skip_typescript)]
pub fn make_forecaster(bytes: &[u8]) -> Result<Forecaster, JsValue> {
    let inner = Parts::decode(bytes)
        .and_then(|m| m.forecaster())
        .map_err(core_error)?;
    Ok(Forecaster { inner })
}

#[wasm_bindgen]
impl Forecaster {
    /// The core's forecast of raw observations, as a plain object with the same fields
    /// and numbers as `aqcast forecast --json`. `options.at` (Unix seconds or text) sets
    /// the origin, by default the latest observation of the target; `options.station`
    /// names the station for a model that serves several; `options.bands` gives the
    /// tracked bands a station's published snapshot holds for this model version;
    /// `options.weather` the weather forecast a model that reads it ahead needs (as
    /// observations).
    pub fn forecast(&self, observations: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let series = observations::series(&observations)?;
        let get = |k: &str| {
            if options.is_undefined() || options.is_null() {
                JsValue::UNDEFINED
            } else {
                Reflect::get(&options, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
            }
        };
        let at = get("at");
        let at = if at.is_undefined() || at.is_null() {
            None
        } else {
            Some(observations::timestamp(&at, "options.at")?)
        };
        let station = get("station");
        let station = if station.is_undefined() || station.is_null() {
            None
        } else {
            Some(station.as_string().ok_or_else(|| {
                error(
                    "bad_observations",
                    "options.station must be a station id (a string)",
                )
            })?)
        };
        let bands = get("bands");
        let tracked = if bands.is_undefined() || bands.is_null() {
            None
        } else {
            Some(observations::tracked(&bands)?)
        };
        let weather = get("weather");
        let ahead = if weather.is_undefined() || weather.is_null() {
            Vec::new()
        } else {
            observations::series(&weather)?
        };
        let f = self
            .inner
            .forecast_ahead(&series, &ahead, at, station.as_deref(), tracked.as_ref())
            .map_err(core_error)?;
        forecast_object(&f)
    }
}

/// The forecast as a plain object, field for field the serde form `aqcast forecast
/// --json` prints (built directly: a JSON writer here would cost the module 8 KB).
fn forecast_object(f: &aqcast_core::forecast::Forecast) -> Result<JsValue, JsValue> {
    use aqcast_core::aqi::Scale;
    let num = |v: f64| JsValue::from_f64(v);
    let o = Object::new();
    let set =
        |o: &Object, k: &str, v: &JsValue| Reflect::set(o, &JsValue::from_str(k), v).map(|_| ());
    set(&o, "origin", &num(f.origin as f64))?;
    set(&o, "data_time", &num(f.data_time as f64))?;
    set(&o, "pollutant", &JsValue::from_str(f.pollutant.id()))?;
    set(&o, "unit", &JsValue::from_str(f.unit.symbol()))?;
    let scale = match f.scale {
        Scale::Epa => "epa",
        Scale::Eea => "eea",
    };
    set(&o, "scale", &JsValue::from_str(scale))?;
    set(&o, "step_seconds", &num(f.step_seconds as f64))?;
    let cats = Array::new();
    for c in &f.categories {
        let co = Object::new();
        set(&co, "name", &JsValue::from_str(&c.name))?;
        set(&co, "color", &JsValue::from_str(&c.color))?;
        cats.push(&co);
    }
    set(&o, "categories", &cats)?;
    let steps = Array::new();
    for s in &f.steps {
        let so = Object::new();
        set(&so, "step", &num(f64::from(s.step)))?;
        set(&so, "time", &num(s.time as f64))?;
        set(&so, "p10", &num(s.p10))?;
        set(&so, "p50", &num(s.p50))?;
        set(&so, "p90", &num(s.p90))?;
        set(&so, "aqi", &num(f64::from(s.aqi)))?;
        set(&so, "category", &num(f64::from(s.category)))?;
        let p: Array = s.probabilities.iter().map(|&v| num(v)).collect();
        set(&so, "probabilities", &p)?;
        steps.push(&so);
    }
    set(&o, "steps", &steps)?;
    if let Some(n) = f.tracked {
        set(&o, "tracked", &num(n as f64))?;
    }
    if !f.ahead.is_empty() {
        let a: Array = f.ahead.iter().map(|v| JsValue::from_str(v)).collect();
        set(&o, "ahead", &a)?;
    }
    Ok(o.into())
}
