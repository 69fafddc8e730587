//! The model artifact (`.aqm`): one self-describing file per model.
//!
//! ```text
//! header (56 bytes)
//!   magic          8  89 41 51 4D 0D 0A 1A 0A   ("\x89AQM\r\n\x1a\n", PNG-style)
//!   version        u16 LE                       (FORMAT_VERSION)
//!   flags          u16 LE                       (0)
//!   reserved       u32 LE                       (0)
//!   payload_len    u64 LE                       (bytes after the header)
//!   sha256         32                           (of the payload)
//! payload: sections, each  tag [4] · len u64 LE · body
//!   "HEAD"  binary, first: feature names, named-features flag, per-head scalars (target,
//!           horizon, quantile, precision, link, base score, averaging); strings are
//!           u32 LE length + UTF-8
//!   "META"  JSON: the metadata (name, source, params, data, metrics, …)
//!   "PIPE"  JSON, when the model has one: the fitted pipeline
//!   "FCST"  JSON, when the model forecasts: the forecast spec (steps ahead, horizon
//!           features, band heads, calibration, AQI scale; see `forecast`)
//!   "BNDS"  binary, when it saves bytes (format 3): each feature's distinct thresholds
//!           over all heads (a trained model's bin bounds), which the trees index
//!   "TREE"  one per head, in head order: the ensemble's arrays, structure of arrays,
//!           each in the narrowest form that gives back the same bits (format 3, see
//!           `trees`): one-byte features and threshold indices, each tree's shape as
//!           pre-order bits, leaf covers as integers with node covers their sums, leaves
//!           as small integers times a power of two; otherwise plain f32 or f64 arrays
//!           (format 2 stored every array plain, and still reads)
//! ```
//!
//! Everything inference needs is binary, so [`Parts::decode`] reads a model without a
//! JSON parser and leaves META and PIPE as text: that is what keeps the npm package's
//! runtime small. [`Model::decode`] is `Parts::decode` plus parsing those two sections.
//! The JSON form ([`Model::to_json`]) holds the same content for people and tools.
//! Decoding checks the magic, version, length and checksum before parsing, never reads or
//! allocates beyond what the input holds, and validates every tree (see
//! [`Ensemble::validate`]), so untrusted bytes produce a model that is safe to run or an
//! [`Error`], never a panic.

mod codec;
mod trees;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::Error;
use aqcast_engine::ensemble::Ensemble;
use aqcast_engine::Predictor;

pub use codec::{checksum, FORMAT_VERSION, HEADER_LEN, MAGIC};

/// A model: one or more heads (one per forecast horizon and quantile) over the same
/// features, with everything needed to know where it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Descriptive metadata and provenance.
    pub metadata: Metadata,
    /// Feature names, in input order.
    pub features: Vec<String>,
    /// False when the names are placeholders (`f0`, `f1`, … from an unnamed import):
    /// then inputs are matched by position only.
    pub named_features: bool,
    /// The prediction heads.
    pub heads: Vec<Head>,
    /// The fitted preprocessing and feature pipeline that turns raw observations into
    /// this model's features, when the model was made with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<crate::pipeline::Pipeline>,
    /// How the model forecasts every step ahead (see [`crate::forecast`]), when it is a
    /// forecasting model; it then needs the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<crate::forecast::Spec>,
    /// Histograms of the training rows' features (see [`crate::drift`]), against which
    /// what the model is asked is watched for drift; models made before aqcast recorded
    /// them have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<crate::drift::Reference>,
}

/// One prediction head: an ensemble for one target, horizon and quantile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// What the head predicts (e.g. `no2`).
    pub target: String,
    /// Forecast horizon in hours, when the head is a forecast.
    pub horizon_hours: Option<u32>,
    /// The quantile the head predicts (e.g. 0.9), when it is a quantile model.
    pub quantile: Option<f64>,
    /// The trees.
    pub ensemble: Ensemble,
}

/// Descriptive metadata and provenance of a model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Model name (the registry key).
    pub name: String,
    /// Free text.
    pub description: String,
    /// What produced the trees: `aqcast 0.1.0`, `LightGBM v4`, `XGBoost 3.2.0`.
    pub source: String,
    /// The training objective as the source named it.
    pub objective: String,
    /// When the model was made (RFC 3339), as told by the front end that made it.
    pub created: Option<String>,
    /// Training parameters.
    pub params: BTreeMap<String, String>,
    /// The data the model was made from.
    pub data: Vec<DataSource>,
    /// Evaluation metrics (name → value), for people (`aqcast inspect`) and for readers
    /// older than `scores`; what aqcast reads of a model's test results is `scores`.
    pub metrics: BTreeMap<String, f64>,
    /// How the model scored on its test period, per step ahead (a forecasting model's
    /// steps; a predicting model's central heads, by horizon).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<Score>,
}

/// A model's test score at one step ahead: what the registry lists per version and the
/// pipeline's promotion compares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Steps ahead (a forecasting model's step; a predicting model's horizon).
    pub step: u32,
    /// Root mean squared error of the central forecast.
    pub rmse: f64,
    /// Skill against persistence (1 − RMSE / RMSE(persistence)).
    #[serde(default)]
    pub skill: Option<f64>,
    /// Coverage of the P10–P90 band.
    #[serde(default)]
    pub coverage: Option<f64>,
    /// Mean width of the band.
    #[serde(default)]
    pub width: Option<f64>,
}

impl Metadata {
    /// The model's test scores, per step, leaving out what is not a number (no test
    /// rows, a zero baseline: JSON has no NaN). A model trained before scores were typed
    /// carries them as `step<N>.<metric>` or `h<N>.<metric>` metrics, which are read.
    pub fn test_scores(&self) -> Vec<Score> {
        let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
        if !self.scores.is_empty() {
            return self
                .scores
                .iter()
                .filter(|s| s.rmse.is_finite())
                .map(|s| Score {
                    step: s.step,
                    rmse: s.rmse,
                    skill: finite(s.skill),
                    coverage: finite(s.coverage),
                    width: finite(s.width),
                })
                .collect();
        }
        let mut steps: BTreeMap<u32, BTreeMap<&str, f64>> = BTreeMap::new();
        for (k, &v) in &self.metrics {
            let Some((head, metric)) = k.split_once('.') else {
                continue;
            };
            let n = head
                .strip_prefix("step")
                .or_else(|| head.strip_prefix('h'))
                .and_then(|n| n.parse::<u32>().ok());
            // Quantile heads (`h24.q0.9.rmse`) are not steps.
            if let (Some(n), false, true) = (n, metric.contains('.'), v.is_finite()) {
                steps.entry(n).or_default().insert(metric, v);
            }
        }
        steps
            .into_iter()
            .filter_map(|(step, m)| {
                Some(Score {
                    step,
                    rmse: *m.get("rmse")?,
                    skill: m.get("skill").copied(),
                    coverage: m.get("coverage").copied(),
                    width: m.get("width").copied(),
                })
            })
            .collect()
    }
}

/// A file of training data, identified by content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    /// File name or URL.
    pub name: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Rows taken from it.
    pub rows: u64,
}

/// A decoded artifact with its JSON sections left as text: everything inference needs
/// (features, heads, trees), read without a JSON parser. The npm package's runtime holds
/// models in this form; [`Model::decode`] builds on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parts {
    /// Feature names, in input order.
    pub features: Vec<String>,
    /// False when the names are placeholders: inputs are then matched by position only.
    pub named_features: bool,
    /// The prediction heads, each valid and over exactly `features`.
    pub heads: Vec<Head>,
    /// The META section: the [`Metadata`] as JSON text (not yet parsed).
    pub metadata_json: String,
    /// The PIPE section: the fitted [`Pipeline`](crate::pipeline::Pipeline) as JSON
    /// text (not yet parsed), when the model has one.
    pub pipeline_json: Option<String>,
    /// The FCST section: the [`forecast::Spec`](crate::forecast::Spec) as JSON text, when
    /// the model forecasts.
    pub forecast_json: Option<String>,
    /// The REFH section: the [`drift::Reference`](crate::drift::Reference) as JSON text,
    /// when the model carries one.
    pub reference_json: Option<String>,
}

impl Parts {
    /// Decodes and verifies `.aqm` bytes (magic, version, checksum, structure, every
    /// head) without parsing the metadata or the pipeline.
    pub fn decode(bytes: &[u8]) -> Result<Parts, Error> {
        let p = codec::decode(bytes)?;
        validate_heads(&p.heads, p.features.len())?;
        validate_names(&p.features, p.named_features)?;
        Ok(p)
    }

    /// Compiles every head for fast prediction.
    pub fn predictors(&self) -> Result<Vec<Predictor>, Error> {
        predictors(&self.heads)
    }

    /// The reference histograms of the training rows, when the model carries them.
    pub fn reference(&self) -> Result<Option<crate::drift::Reference>, Error> {
        self.reference_json
            .as_deref()
            .map(parse_reference)
            .transpose()
    }

    /// The model's forecaster, parsing only the PIPE and FCST sections (the metadata is
    /// not needed to forecast).
    pub fn forecaster(&self) -> Result<crate::forecast::Forecaster, Error> {
        let (Some(p), Some(f)) = (&self.pipeline_json, &self.forecast_json) else {
            return Err(not_a_forecaster());
        };
        let pipeline = crate::pipeline::Pipeline::from_json(p)?;
        let spec = parse_forecast(f)?;
        crate::forecast::Forecaster::new(pipeline, spec, &self.heads, &self.features)
    }
}

fn not_a_forecaster() -> Error {
    Error::Unsupported(
        "this model does not forecast (it has no forecast section); train it with a [forecast] section in its task file".into(),
    )
}

fn parse_reference(text: &str) -> Result<crate::drift::Reference, Error> {
    let r: crate::drift::Reference = serde_json::from_str(text)
        .map_err(|e| Error::Malformed(alloc::format!("reference histograms section: {e}")))?;
    r.validate()?;
    Ok(r)
}

fn parse_forecast(text: &str) -> Result<crate::forecast::Spec, Error> {
    serde_json::from_str(text)
        .map_err(|e| Error::Malformed(alloc::format!("forecast section: {e}")))
}

/// Named features are distinct: inputs are matched by name, so a repeated name would
/// make one of them unreachable.
fn validate_names(features: &[String], named: bool) -> Result<(), Error> {
    if !named {
        return Ok(());
    }
    let mut seen = alloc::collections::BTreeSet::new();
    match features.iter().find(|f| !seen.insert(f.as_str())) {
        Some(f) => Err(Error::Malformed(alloc::format!(
            "the feature name \"{f}\" appears twice; feature names must be distinct"
        ))),
        None => Ok(()),
    }
}

/// At least one head; every ensemble valid and over exactly `n_features` features;
/// quantiles in (0, 1).
fn validate_heads(heads: &[Head], n_features: usize) -> Result<(), Error> {
    if heads.is_empty() {
        return Err(Error::Malformed("the model has no heads".into()));
    }
    for (i, h) in heads.iter().enumerate() {
        h.ensemble.validate().map_err(|e| match e {
            aqcast_engine::Error::Malformed(m) => Error::Malformed(alloc::format!("head {i}: {m}")),
            other => Error::from(other),
        })?;
        if h.ensemble.n_features as usize != n_features {
            return Err(Error::Malformed(alloc::format!(
                "head {i} uses {} features but the model names {n_features}",
                h.ensemble.n_features
            )));
        }
        if let Some(q) = h.quantile {
            if !(q > 0.0 && q < 1.0) {
                return Err(Error::Malformed(alloc::format!(
                    "head {i}: quantile {} is not in (0, 1)",
                    crate::error::Num(q)
                )));
            }
        }
    }
    Ok(())
}

impl Model {
    /// Checks the whole model: at least one head, every ensemble valid and over exactly
    /// the model's features, quantiles in (0, 1), the pipeline valid and producing the
    /// model's features.
    pub fn validate(&self) -> Result<(), Error> {
        validate_heads(&self.heads, self.features.len())?;
        validate_names(&self.features, self.named_features)?;
        if let Some(p) = &self.pipeline {
            p.validate()?;
        }
        if let Some(r) = &self.reference {
            r.validate()?;
        }
        self.pipeline_makes_features()
    }

    /// The pipeline, if any, produces exactly the model's features (followed by the
    /// forecast's horizon features for a forecasting model), and a forecast spec fits the
    /// heads.
    fn pipeline_makes_features(&self) -> Result<(), Error> {
        let mut names = match &self.pipeline {
            Some(p) => p.feature_names(),
            None if self.forecast.is_some() => {
                return Err(Error::Malformed(
                    "the model forecasts but carries no pipeline".into(),
                ))
            }
            None => return Ok(()),
        };
        if let (Some(f), Some(p)) = (&self.forecast, &self.pipeline) {
            f.validate(&self.heads, &self.features, p.spec.grid.step)?;
            names.extend(f.horizon_features.iter().map(|h| String::from(h.name())));
        }
        if names != self.features {
            return Err(Error::Malformed(
                "the pipeline's features are not the model's features (names and order must match)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The model's forecaster, when it is a forecasting model (it has a pipeline and a
    /// forecast spec).
    pub fn forecaster(&self) -> Result<crate::forecast::Forecaster, Error> {
        match (&self.pipeline, &self.forecast) {
            (Some(p), Some(f)) => {
                crate::forecast::Forecaster::new(p.clone(), f.clone(), &self.heads, &self.features)
            }
            _ => Err(not_a_forecaster()),
        }
    }

    /// Orders the predictions of one row's quantile heads: within each group of heads
    /// with the same target and horizon, the values are sorted and given back in quantile
    /// order, so a P10 never lies above a P90 (separately trained quantile models can
    /// cross). `preds` holds one value per head, in head order; other heads are untouched.
    pub fn order_quantiles(&self, preds: &mut [f64]) {
        if preds.len() != self.heads.len() {
            return;
        }
        let mut done = alloc::vec![false; self.heads.len()];
        for i in 0..self.heads.len() {
            if done[i] || self.heads[i].quantile.is_none() {
                continue;
            }
            let key = (&self.heads[i].target, self.heads[i].horizon_hours);
            let mut group: Vec<usize> = (i..self.heads.len())
                .filter(|&j| {
                    self.heads[j].quantile.is_some()
                        && (&self.heads[j].target, self.heads[j].horizon_hours) == key
                })
                .collect();
            group.iter().for_each(|&j| done[j] = true);
            let mut values: Vec<f64> = group.iter().map(|&j| preds[j]).collect();
            values.sort_by(f64::total_cmp);
            group.sort_by(|&a, &b| {
                self.heads[a]
                    .quantile
                    .unwrap_or(0.0)
                    .total_cmp(&self.heads[b].quantile.unwrap_or(0.0))
            });
            for (j, v) in group.into_iter().zip(values) {
                preds[j] = v;
            }
        }
    }

    /// Encodes the model as `.aqm` bytes. The model must be valid.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        self.validate()?;
        codec::encode(self)
    }

    /// Encodes the model in artifact format 2 (plain tree sections), which this build
    /// reads but no longer writes: for the tests that check such files still read.
    #[doc(hidden)]
    pub fn encode_format_2(&self) -> Result<Vec<u8>, Error> {
        self.validate()?;
        codec::encode_v2(self)
    }

    /// Decodes and verifies `.aqm` bytes (magic, version, checksum, structure), metadata
    /// and pipeline included.
    pub fn decode(bytes: &[u8]) -> Result<Model, Error> {
        Model::from_parts(Parts::decode(bytes)?)
    }

    /// Parses the JSON sections of decoded [`Parts`] into a whole model.
    pub fn from_parts(p: Parts) -> Result<Model, Error> {
        let metadata = serde_json::from_str(&p.metadata_json)
            .map_err(|e| Error::Malformed(alloc::format!("metadata section: {e}")))?;
        let pipeline = p
            .pipeline_json
            .as_deref()
            .map(crate::pipeline::Pipeline::from_json)
            .transpose()?;
        let forecast = p.forecast_json.as_deref().map(parse_forecast).transpose()?;
        let reference = p
            .reference_json
            .as_deref()
            .map(parse_reference)
            .transpose()?;
        let m = Model {
            metadata,
            features: p.features,
            named_features: p.named_features,
            heads: p.heads,
            pipeline,
            forecast,
            reference,
        };
        // `Pipeline::from_json` validated the pipeline itself.
        m.pipeline_makes_features()?;
        Ok(m)
    }

    /// The JSON form of the model (same content as the binary form).
    pub fn to_json(&self) -> Result<String, Error> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::Malformed(alloc::format!("cannot write JSON: {e}")))
    }

    /// Reads the JSON form and validates it.
    pub fn from_json(text: &str) -> Result<Model, Error> {
        let m: Model = serde_json::from_str(text)
            .map_err(|e| Error::Malformed(alloc::format!("invalid model JSON: {e}")))?;
        m.validate()?;
        Ok(m)
    }

    /// Compiles every head for fast prediction.
    pub fn predictors(&self) -> Result<Vec<Predictor>, Error> {
        predictors(&self.heads)
    }

    /// Total number of trees over all heads.
    pub fn n_trees(&self) -> usize {
        self.heads.iter().map(|h| h.ensemble.n_trees()).sum()
    }
}

fn predictors(heads: &[Head]) -> Result<Vec<Predictor>, Error> {
    heads
        .iter()
        .map(|h| Predictor::new(&h.ensemble).map_err(Error::from))
        .collect()
}
