//! `aqcast-wasm`: aqcast in JavaScript (SPEC §8). wasm-bindgen bindings over `aqcast-core`
//! only — no second implementation — built by wasm-pack into the npm package in `pkg/`.
//!
//! This is the package's runtime: `.aqm` artifacts (read by [`Parts::decode`], without a
//! JSON parser), predictions, explanations and the AQI. The importers (LightGBM text,
//! XGBoost JSON) and the feature pipeline (`model.preprocess`) live in the optional modules
//! `aqcast/import` (`crates/wasm-import`) and `aqcast/pipeline` (`crates/wasm-pipeline`),
//! which register themselves here when loaded (see [`modules`]). Keeping them apart keeps
//! this module small.
//!
//! ```js
//! import init, { Model, aqi } from "aqcast";
//! await init();
//! const model = Model.fromBytes(bytes);            // .aqm (others: aqcast/import)
//! model.predict({ hour: 7, ws: 3.1, /* … */ });    // by feature name, or a typed array
//! model.predictBatch(float64Matrix, nRows);        // Float64Array, one value per row
//! aqi.compute("pm2.5", 35.9);                      // { aqi: 102, category: …, color: … }
//! ```
//!
//! Every failure is thrown as an `AqcastError` (a subclass of `Error`) with a `code`
//! (`bad_input_shape`, `not_an_artifact`, `aqi_undefined`, …) and a message; no call traps.

mod errors;
mod inputs;
pub mod modules;

use aqcast_core::aqi::{self, eea, nowcast, sensitive_groups, Averaging, Category, Palette, Table};
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::{shap, Matrix, ModelError, Parts, Predictor};
use std::cell::RefCell;

use js_sys::{Float64Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::errors::{core_error, error};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** One row: values in feature order, or an object keyed by feature name. NaN, null and
 * missing keys are missing values. */
export type Row = Float64Array | Float32Array | number[] | Record<string, number | null>;

/** One prediction head of a model. */
export interface Head {
  target: string;
  horizonHours: number | null;
  quantile: number | null;
}

/** Where a model came from. */
export interface Metadata {
  name: string;
  description: string;
  source: string;
  objective: string;
  created: string | null;
  params: Record<string, string>;
  data: { name: string; sha256: string; rows: number }[];
  metrics: Record<string, number>;
}

/** Options of `aqi.compute`. */
export interface AqiOptions {
  unit?: "µg/m³" | "ug/m3" | "mg/m3" | "ppb" | "ppm";
  averaging?: "1h" | "8h" | "24h";
  table?: "1999" | "2012" | "2024";
  scale?: "epa" | "eea";
  palette?: "epa" | "cva";
}

/** The result of `aqi.compute` on the US EPA scale. */
export interface EpaAqi {
  scale: "epa";
  pollutant: string;
  value: number;
  unit: string;
  table: number;
  averaging: "1h" | "8h" | "24h";
  concentration: number;
  concentrationUnit: string;
  aqi: number;
  category: string;
  color: string;
  healthMessage: string;
  sensitiveGroups: string;
  beyondIndex: boolean;
}

/** The result of `aqi.compute` with `scale: "eea"` (European AQI): `aqi` is the level
 * (1–6), as in a forecast on that scale. */
export interface EeaAqi {
  scale: "eea";
  pollutant: string;
  value: number;
  unit: string;
  aqi: number;
  level: number;
  category: string;
  color: string;
}

/** One EPA AQI category. */
export interface AqiCategory {
  name: string;
  min: number;
  max: number;
  color: string;
  colorVisionAssist: string;
  healthMessage: string;
}

/** One raw measurement: `variable` as the model's pipeline names it (`no2`, `ws`, …),
 * `time` in Unix seconds or as text (`2003-01-01 00:00:00`, RFC 3339), `value` in the
 * canonical unit (µg/m³ for PM, ppb for O3/NO2/SO2, ppm for CO) or null when missing. */
export interface Observation {
  variable: string;
  time: number | string;
  value: number | null;
}

/** The grid `preprocess` builds: from the first to the last observation unless given. */
export interface PreprocessOptions {
  start?: number | string;
  end?: number | string;
}

/** Feature rows built by `preprocess`: `rows` is row-major (`nRows × features.length`),
 * ready for `predictBatch(rows, nRows)`; `times` are the rows' Unix seconds. */
export interface Preprocessed {
  times: Float64Array;
  rows: Float64Array;
  nRows: number;
  features: string[];
}

/** Options of `model.forecast`: the origin (Unix seconds or text), by default the latest
 * observation of the target (only observations up to the origin's grid step are used);
 * the station, for a model that serves several. */
export interface ForecastOptions {
  at?: number | string;
  station?: string;
  /** The bands as the station's own misses since training have moved them: a published
   * snapshot's `tracked[i].bands` for this model version (`aqcast stations publish`
   * writes them). Without it, the calibration the model was trained with. */
  bands?: TrackedBands;
  /** For a model that reads the weather ahead (`model.forecast` then says which in
   * `Forecast.ahead`): the weather forecast issued at the origin, as observations
   * (`{ time, variable: "ws" | "wd" | "temp" | …, value }` in the store's units); only
   * its values after the origin are read, and it must reach the last step. */
  weather?: Observation[];
}

/** A model version's bands at a station, tracked over its record since training. */
export interface TrackedBands {
  shifts: { lower: number; upper: number }[];
  origin: number;
  outcomes: number;
}

/** One step of a forecast: the calibrated band (P10 ≤ P50 ≤ P90, ≥ 0) in the forecast's
 * unit, the AQI of P50 (the EPA index, or the EEA level 1–6), its category (an index into
 * `Forecast.categories`) and the probability of every category. */
export interface ForecastStep {
  step: number;
  time: number;
  p10: number;
  p50: number;
  p90: number;
  aqi: number;
  category: number;
  probabilities: number[];
}

/** The forecast of `model.forecast`: the same document, field for field and bit for bit,
 * as `aqcast forecast --json` and the edge worker's `/v1/forecast/{station}`. Times are
 * Unix seconds (UTC); `origin` is the last grid step known, `data_time` the latest
 * measurement of the target. */
export interface Forecast {
  origin: number;
  data_time: number;
  pollutant: string;
  unit: string;
  scale: "epa" | "eea";
  step_seconds: number;
  categories: { name: string; color: string }[];
  steps: ForecastStep[];
  /** Outcomes the tracked bands rest on; absent for the trained calibration. */
  tracked?: number;
  /** The variables read ahead from `options.weather`; absent for a model without them. */
  ahead?: string[];
}

/** Thrown by every function of this package and its optional modules: `name` is
 * "AqcastError", `code` is stable; `e instanceof AqcastError` tells them apart. */
export declare class AqcastError extends Error {
  readonly name: "AqcastError";
  readonly code: string;
  constructor(code: string, message: string);
}
"#;

/// Installs a panic hook that prints Rust panics to the console (debug builds only).
#[cfg(feature = "debug")]
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// A loaded, verified, compiled model.
#[wasm_bindgen]
pub struct Model {
    model: Parts,
    predictors: Vec<Predictor>,
    /// A forecasting model's bytes, until `aqcast/pipeline` has built its forecaster.
    forecast_bytes: RefCell<Option<Vec<u8>>>,
    /// The forecaster built by `aqcast/pipeline` (a JS object), once asked for.
    forecaster: RefCell<Option<JsValue>>,
}

#[wasm_bindgen]
impl Model {
    /// Loads a model from its bytes: an aqcast `.aqm` artifact (checksum verified). Once
    /// `aqcast/import` is loaded, also a LightGBM text model or an XGBoost JSON model
    /// (imported into an artifact first).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, JsValue> {
        let model = match Parts::decode(bytes) {
            Err(ModelError::NotAnArtifact) => Parts::decode(&modules::import_model(bytes)?),
            decoded => decoded,
        }
        .map_err(core_error)?;
        let predictors = model.predictors().map_err(core_error)?;
        // Only an artifact (not an imported model) carries a forecast section.
        let forecast_bytes = model.forecast_json.as_ref().map(|_| bytes.to_vec());
        Ok(Model {
            model,
            predictors,
            forecast_bytes: RefCell::new(forecast_bytes),
            forecaster: RefCell::new(None),
        })
    }

    /// Whether the model forecasts (then `forecast` works, with `aqcast/pipeline`).
    #[wasm_bindgen(getter, js_name = hasForecast)]
    pub fn has_forecast(&self) -> bool {
        self.model.forecast_json.is_some()
    }

    /// The forecast of a station from its recent raw observations, by the core's one
    /// forecast function (the same bits as `aqcast forecast`): for every step ahead
    /// (hourly 1…72, daily 1…3) the calibrated P10/P50/P90, the AQI and category of P50
    /// and the probability of each category. Needs `aqcast/pipeline`.
    #[wasm_bindgen(unchecked_return_type = "Forecast")]
    pub fn forecast(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Observation[]")] observations: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ForecastOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        if self.model.forecast_json.is_none() {
            return Err(error(
                "no_forecast",
                "this model does not forecast (it has no forecast section); train it from a task with a [forecast] section",
            ));
        }
        let built = self.forecaster.borrow().clone();
        let forecaster = match built {
            Some(f) => f,
            None => {
                let bytes = self.forecast_bytes.borrow().clone().unwrap_or_default();
                let f = modules::make_forecaster(&bytes)?;
                *self.forecaster.borrow_mut() = Some(f.clone());
                *self.forecast_bytes.borrow_mut() = None;
                f
            }
        };
        modules::call_forecast(&forecaster, &observations, &options)
    }

    /// Feature names, in input order.
    #[wasm_bindgen(getter)]
    pub fn features(&self) -> Vec<String> {
        self.model.features.clone()
    }

    /// Whether inputs can be matched by feature name (else only by position).
    #[wasm_bindgen(getter, js_name = namedFeatures)]
    pub fn named_features(&self) -> bool {
        self.model.named_features
    }

    /// One entry per head: `{ target, horizonHours, quantile }` (null where not set).
    #[wasm_bindgen(getter, unchecked_return_type = "Head[]")]
    pub fn heads(&self) -> Result<JsValue, JsValue> {
        let arr = js_sys::Array::new();
        for h in &self.model.heads {
            let o = Object::new();
            set(&o, "target", &JsValue::from_str(&h.target))?;
            set(
                &o,
                "horizonHours",
                &h.horizon_hours.map_or(JsValue::NULL, JsValue::from),
            )?;
            set(
                &o,
                "quantile",
                &h.quantile.map_or(JsValue::NULL, JsValue::from),
            )?;
            arr.push(&o);
        }
        Ok(arr.into())
    }

    /// Forecast horizons of the heads, in hours (null for a head that is not a forecast).
    #[wasm_bindgen(getter, unchecked_return_type = "(number | null)[]")]
    pub fn horizons(&self) -> Vec<JsValue> {
        self.model
            .heads
            .iter()
            .map(|h| h.horizon_hours.map_or(JsValue::NULL, JsValue::from))
            .collect()
    }

    /// The model's metadata (name, source, objective, created, params, data, metrics).
    #[wasm_bindgen(getter, unchecked_return_type = "Metadata")]
    pub fn metadata(&self) -> Result<JsValue, JsValue> {
        js_sys::JSON::parse(&self.model.metadata_json)
            .map_err(|_| error("malformed_model", "the model's metadata is not valid JSON"))
    }

    /// Whether the model carries a fitted pipeline (then `preprocess` works).
    #[wasm_bindgen(getter, js_name = hasPipeline)]
    pub fn has_pipeline(&self) -> bool {
        self.model.pipeline_json.is_some()
    }

    /// Turns raw observations into feature rows with the model's fitted pipeline (the same
    /// code, and bits, as `aqcast features`): resampled onto the model's grid, cleaned by
    /// its fitted steps, with lags, rolling windows, calendar and wind features. The last
    /// row is the latest hour: predict it for the forecast. Needs `aqcast/pipeline`.
    #[wasm_bindgen(unchecked_return_type = "Preprocessed")]
    pub fn preprocess(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Observation[]")] observations: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PreprocessOptions")] options: Option<
            JsValue,
        >,
    ) -> Result<JsValue, JsValue> {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        if self.model.forecast_json.is_some() {
            return Err(error(
                "forecasting_model",
                "a forecasting model: model.forecast(observations) builds its rows for every \
                 step",
            ));
        }
        let pipeline = self.model.pipeline_json.as_deref().ok_or_else(|| {
            error(
                "no_pipeline",
                "this model carries no pipeline: give it feature rows (predict/predictBatch), or bundle one with `aqcast import --config`",
            )
        })?;
        modules::preprocess(pipeline, &self.model.features, &observations, &options)
    }

    /// Predicts one row: a `Float64Array`/`Float32Array`/array of numbers in feature order,
    /// or an object keyed by feature name. `NaN`, `null` and missing keys are missing
    /// values. `head` selects the head (default 0; required where the heads are quantiles
    /// of one target, such as P10/P50/P90, so that no one reads a P10 as the forecast).
    pub fn predict(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Row")] row: JsValue,
        head: Option<usize>,
    ) -> Result<f64, JsValue> {
        let p = self.predictor(head)?;
        let row = inputs::row(&row, &self.model)?;
        p.predict_row(&row).map_err(core_error)
    }

    /// Predicts `nRows` rows given row-major in one `Float64Array` or `Float32Array`
    /// (`nRows × features` values). Returns one value per row.
    #[wasm_bindgen(js_name = predictBatch)]
    pub fn predict_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float64Array | Float32Array")] matrix: JsValue,
        n_rows: usize,
        head: Option<usize>,
    ) -> Result<Float64Array, JsValue> {
        let p = self.predictor(head)?;
        let nf = self.model.features.len();
        let typed = inputs::Typed::of(&matrix)?;
        inputs::check_len(typed.len(), n_rows, nf)?;
        let out = match &typed {
            inputs::Typed::F64(v) => p.predict(Matrix::RowMajorF64(v)),
            inputs::Typed::F32(v) => p.predict(Matrix::RowMajorF32(v)),
        }
        .map_err(core_error)?;
        Ok(Float64Array::from(&out[..]))
    }

    /// Exact TreeSHAP contributions of one row (same input forms as `predict`): one value
    /// per feature, then the bias; they sum to the raw prediction.
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Row")] row: JsValue,
        head: Option<usize>,
    ) -> Result<Float64Array, JsValue> {
        let h = self.head(head)?;
        let row = inputs::row(&row, &self.model)?;
        let phi = shap::explain(&self.model.heads[h].ensemble, &row).map_err(core_error)?;
        Ok(Float64Array::from(&phi[..]))
    }
}

impl Model {
    fn head(&self, head: Option<usize>) -> Result<usize, JsValue> {
        let heads = &self.model.heads;
        // Head 0 by default, unless it is one of several quantiles (a band's P10): then
        // the caller names the head.
        let quantiles = heads.iter().filter(|h| h.quantile.is_some()).count();
        let first_is_quantile = heads.first().is_some_and(|h| h.quantile.is_some());
        if head.is_none() && first_is_quantile && quantiles > 1 {
            // Integers only: formatting a float would link core::fmt's float code.
            let mut list = String::new();
            for (i, h) in heads.iter().enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                list.push_str(&match h.quantile {
                    Some(q) => format!("{sep}{i}: P{}", (q * 100.0).round() as u32),
                    None => format!("{sep}{i}: the mean"),
                });
            }
            return Err(error(
                "head_required",
                &format!("this model's heads are quantiles ({list}): give the head"),
            ));
        }
        let h = head.unwrap_or(0);
        if h >= self.predictors.len() {
            return Err(core_error(aqcast_core::ModelError::NoSuchHead {
                index: h,
                heads: self.predictors.len(),
            }));
        }
        Ok(h)
    }

    fn predictor(&self, head: Option<usize>) -> Result<&Predictor, JsValue> {
        Ok(&self.predictors[self.head(head)?])
    }
}

fn set(o: &Object, key: &str, v: &JsValue) -> Result<(), JsValue> {
    Reflect::set(o, &JsValue::from_str(key), v).map(|_| ())
}

fn opt_str(options: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    let v = Reflect::get(options, &JsValue::from_str(key))?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    // A whole number (`table: 2012`) reads as its digits.
    if let Some(n) = v.as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 1e15) {
        return Ok(Some((n as i64).to_string()));
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| error("bad_option", &format!("option `{key}` must be a string")))
}

/// The Air Quality Index: `aqi.compute`, `aqi.nowcast`, `aqi.categories`.
#[wasm_bindgen(js_name = aqi)]
pub struct Aqi;

#[wasm_bindgen(js_class = aqi)]
impl Aqi {
    /// The AQI of one concentration. `options`: `{ unit, averaging: "1h"|"8h"|"24h",
    /// table: "1999"|"2012"|"2024", scale: "epa"|"eea", palette: "epa"|"cva" }`; default
    /// units are EPA's (µg/m³ for PM, ppm for O3 and CO, ppb for SO2 and NO2).
    #[wasm_bindgen(unchecked_return_type = "EpaAqi | EeaAqi")]
    pub fn compute(
        pollutant: &str,
        value: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "AqiOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let p: Pollutant = pollutant.parse().map_err(core_error)?;
        let unit = match opt_str(&options, "unit")? {
            Some(u) => u.parse::<Unit>().map_err(core_error)?,
            None => aqi::default_unit(p),
        };
        let o = Object::new();
        set(&o, "pollutant", &JsValue::from_str(p.id()))?;
        set(&o, "value", &JsValue::from(value))?;
        set(&o, "unit", &JsValue::from_str(unit.symbol()))?;
        if opt_str(&options, "scale")?.as_deref() == Some("eea") {
            let l = eea::level(p, value, unit).map_err(core_error)?;
            set(&o, "scale", &JsValue::from_str("eea"))?;
            set(&o, "aqi", &JsValue::from(l.number()))?;
            set(&o, "level", &JsValue::from(l.number()))?;
            set(&o, "category", &JsValue::from_str(l.name()))?;
            set(&o, "color", &JsValue::from_str(l.color()))?;
            return Ok(o.into());
        }
        let averaging = opt_str(&options, "averaging")?
            .map(|a| a.parse::<Averaging>())
            .transpose()
            .map_err(core_error)?;
        let table = opt_str(&options, "table")?
            .map(|t| t.parse::<Table>())
            .transpose()
            .map_err(core_error)?
            .unwrap_or_default();
        let palette = match opt_str(&options, "palette")?.as_deref() {
            None | Some("epa") => Palette::Epa,
            Some("cva") => Palette::ColorVisionAssist,
            Some(other) => {
                return Err(error(
                    "bad_option",
                    &format!("unknown palette \"{other}\"; expected epa or cva"),
                ))
            }
        };
        let r = aqi::compute(p, value, unit, averaging, table).map_err(core_error)?;
        set(&o, "scale", &JsValue::from_str("epa"))?;
        set(&o, "table", &JsValue::from(table.year()))?;
        set(&o, "averaging", &JsValue::from_str(r.averaging.id()))?;
        set(&o, "concentration", &JsValue::from(r.concentration))?;
        set(&o, "concentrationUnit", &JsValue::from_str(r.unit.symbol()))?;
        set(&o, "aqi", &JsValue::from(r.aqi))?;
        set(&o, "category", &JsValue::from_str(r.category.name()))?;
        set(&o, "color", &JsValue::from_str(r.category.color(palette)))?;
        set(
            &o,
            "healthMessage",
            &JsValue::from_str(r.category.health_message()),
        )?;
        set(
            &o,
            "sensitiveGroups",
            &JsValue::from_str(sensitive_groups(p)),
        )?;
        set(&o, "beyondIndex", &JsValue::from(r.beyond_index))?;
        Ok(o.into())
    }

    /// EPA's NowCast of hourly concentrations, most recent first (NaN = missing hour).
    pub fn nowcast(pollutant: &str, hourly: &[f64]) -> Result<f64, JsValue> {
        let p: Pollutant = pollutant.parse().map_err(core_error)?;
        nowcast::nowcast(p, hourly).map_err(core_error)
    }

    /// The six EPA categories: `{ name, min, max, color, colorVisionAssist, healthMessage }`.
    #[wasm_bindgen(unchecked_return_type = "AqiCategory[]")]
    pub fn categories() -> Result<JsValue, JsValue> {
        let arr = js_sys::Array::new();
        for c in Category::ALL {
            let (lo, hi) = c.range();
            let o = Object::new();
            set(&o, "name", &JsValue::from_str(c.name()))?;
            set(&o, "min", &JsValue::from(lo))?;
            set(&o, "max", &JsValue::from(hi))?;
            set(&o, "color", &JsValue::from_str(c.color(Palette::Epa)))?;
            set(
                &o,
                "colorVisionAssist",
                &JsValue::from_str(c.color(Palette::ColorVisionAssist)),
            )?;
            set(&o, "healthMessage", &JsValue::from_str(c.health_message()))?;
            arr.push(&o);
        }
        Ok(arr.into())
    }
}
