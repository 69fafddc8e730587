//! # aqcast-import
//!
//! Importers: LightGBM text models and XGBoost JSON models, turned into aqcast's
//! [`Model`] with predictions equal to the originating library's. Each importer rewrites
//! its library's decision rule into the canonical one of [`aqcast_engine::ensemble`].
//!
//! - [`detect`] tells a model file's format from its first bytes;
//! - [`load_any`] loads every format (an `.aqm` artifact, its JSON form, LightGBM,
//!   XGBoost), as the CLI does;
//! - [`import_foreign`] only other libraries' formats, as the npm package's
//!   `aqcast/import` does (without the code of aqcast's JSON form and pipeline).
//!
//! `#![no_std]` + `alloc`, no I/O.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod error;
mod lightgbm;
mod xgboost;

pub use error::Error;
pub use lightgbm::from_lightgbm_text;
pub use xgboost::from_xgboost_json;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use aqcast_engine::Ensemble;
use aqcast_forecast::artifact::{Head, Metadata, Model};

/// The model an importer returns: one head, the source's name and objective, validated
/// (every tree and the feature count) once, with failures reported as import errors.
#[allow(clippy::too_many_arguments)]
fn single_head_model(
    format: &'static str,
    source: String,
    objective: String,
    params: BTreeMap<String, String>,
    features: Vec<String>,
    named_features: bool,
    quantile: Option<f64>,
    ensemble: Ensemble,
) -> Result<Model, Error> {
    let model = Model {
        metadata: Metadata {
            source,
            objective,
            params,
            ..Metadata::default()
        },
        features,
        named_features,
        heads: alloc::vec![Head {
            target: String::new(),
            horizon_hours: None,
            quantile,
            ensemble,
        }],
        pipeline: None,
        forecast: None,
        reference: None,
    };
    model.validate().map_err(|e| match e {
        aqcast_forecast::Error::Malformed(message) => Error::Parse {
            format,
            line: None,
            message,
        },
        other => Error::Model(other),
    })?;
    Ok(model)
}

/// The kind of model file, told from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An aqcast `.aqm` artifact.
    Aqcast,
    /// A LightGBM text model (`tree` on the first line).
    LightGbm,
    /// A JSON object: an XGBoost JSON model (it has a `learner`) or the JSON form of an
    /// aqcast artifact (it has `heads`).
    Json,
}

/// Tells the format of a model file from its content.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&aqcast_forecast::artifact::MAGIC) {
        return Some(Format::Aqcast);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &bytes[start..];
    if rest.starts_with(b"tree\n") || rest.starts_with(b"tree\r\n") {
        Some(Format::LightGbm)
    } else if rest.starts_with(b"{") {
        Some(Format::Json)
    } else {
        None
    }
}

/// Loads any supported model file: an artifact is decoded and verified, its JSON form read,
/// LightGBM and XGBoost models imported (see [`import_foreign`]).
pub fn load_any(bytes: &[u8]) -> Result<Model, Error> {
    match detect(bytes) {
        Some(Format::Aqcast) => Ok(Model::decode(bytes)?),
        Some(Format::Json) => {
            let v = json(bytes)?;
            if v.get("learner").is_some() {
                xgboost::from_xgboost_value(&v)
            } else if v.get("heads").is_some() {
                // Read again, typed: deserializing from the `Value` would link a second
                // copy of every model and pipeline deserializer into the wasm.
                let text = core::str::from_utf8(bytes)
                    .map_err(|e| malformed(alloc::format!("not UTF-8 ({e})")))?;
                Ok(Model::from_json(text)?)
            } else {
                Err(neither())
            }
        }
        _ => import_foreign(bytes),
    }
}

/// Imports a model made by another library: a LightGBM text model or an XGBoost JSON
/// model. aqcast's own formats are refused with an error that says where they load (this
/// is what the npm package's `aqcast/import` module holds, without the code of aqcast's
/// JSON form and pipeline).
pub fn import_foreign(bytes: &[u8]) -> Result<Model, Error> {
    match detect(bytes) {
        Some(Format::LightGbm) => {
            let text = core::str::from_utf8(bytes).map_err(|e| Error::Parse {
                format: "LightGBM",
                line: None,
                message: alloc::format!("not UTF-8 text ({e})"),
            })?;
            from_lightgbm_text(text)
        }
        Some(Format::Json) => {
            let v = json(bytes)?;
            if v.get("learner").is_some() {
                xgboost::from_xgboost_value(&v)
            } else if v.get("heads").is_some() {
                Err(Error::Unsupported(
                    "the JSON form of an aqcast model: it is not an import; load it with the \
                     aqcast CLI (`aqcast import model.json -o model.aqm`)"
                        .into(),
                ))
            } else {
                Err(neither())
            }
        }
        Some(Format::Aqcast) => Err(Error::Unsupported(
            "already an aqcast .aqm artifact: load it as it is".into(),
        )),
        None => Err(Error::Unsupported(
            "unknown model format: expected an aqcast .aqm artifact, a LightGBM text model \
             (first line `tree`) or an XGBoost JSON model"
                .into(),
        )),
    }
}

fn json(bytes: &[u8]) -> Result<serde_json::Value, Error> {
    serde_json::from_slice(bytes).map_err(|e| malformed(alloc::format!("not valid JSON: {e}")))
}

fn malformed(message: String) -> Error {
    Error::Model(aqcast_forecast::Error::Malformed(message))
}

fn neither() -> Error {
    Error::Unsupported(
        "a JSON file that is neither an XGBoost model (no `learner`) nor an aqcast model \
         (no `heads`)"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LGB: &str = include_str!("../../../fuzz/seeds/load_any_model/tiny_lightgbm.txt");
    const AQCAST_JSON: &str = include_str!("../../../fuzz/seeds/load_any_model/tiny_aqcast.json");

    #[test]
    fn import_foreign_takes_other_libraries_models_only() {
        let m = import_foreign(LGB.as_bytes()).unwrap();
        assert_eq!(m, load_any(LGB.as_bytes()).unwrap());
        let aqm = m.encode().unwrap();
        assert_eq!(load_any(&aqm).unwrap(), m);
        let e = import_foreign(&aqm).unwrap_err();
        assert!(e.to_string().contains("already an aqcast .aqm"), "{e}");
        let e = import_foreign(AQCAST_JSON.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("aqcast import"), "{e}");
        assert!(load_any(AQCAST_JSON.as_bytes()).is_ok());
        for bad in [&b"{}"[..], b"{\"a\": 1}", b"nonsense", b""] {
            assert_eq!(import_foreign(bad).unwrap_err().code(), "unsupported_model");
        }
        assert_eq!(import_foreign(b"{").unwrap_err().code(), "malformed_model");
    }
}
