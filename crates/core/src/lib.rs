//! # aqcast-core
//!
//! Everything that runs wherever aqcast runs (the `aqcast` CLI, the npm package, the edge
//! worker and the browser dashboard), written once:
//!
//! - [`pollutant`]: the pollutant and unit vocabulary and the EPA unit conversions;
//! - [`aqi`]: US EPA AQI (1999, 2012 and 2024 tables), NowCast and the European AQI;
//! - [`ensemble`]: the canonical tree-ensemble representation and its invariants;
//! - [`predict`]: the compiled, fast inference engine;
//! - [`shap`]: exact TreeSHAP explanations;
//! - [`artifact`]: the `.aqm` model file (binary and JSON forms);
//! - [`import`]: LightGBM text and XGBoost JSON model importers;
//! - [`pipeline`]: the fitted preprocessing and feature pipeline;
//! - [`drift`]: reference histograms of the training rows and the PSI of new inputs;
//! - [`forecast`]: the one forecast computation (calibrated bands, AQI, probabilities);
//! - [`published`]: the published layout and documents (registry, stations, snapshots);
//! - [`time`]: civil time from Unix seconds (no clock).
//!
//! The crate is `#![no_std]` + `alloc`. It does no I/O, reads no clock, spawns no threads and
//! draws no random numbers: front ends hand it bytes and numbers and get values back.
#![cfg_attr(not(feature = "std"), no_std)]
// Unsafe code is denied everywhere but in the audited inner step of `predict`.
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod aqi;
pub mod artifact;
pub mod drift;
pub mod ensemble;
mod error;
pub mod forecast;
pub mod import;
pub mod pipeline;
pub mod pollutant;
pub mod predict;
pub mod published;
mod quantize;
pub mod shap;
mod sliced;
pub mod time;
pub mod tracking;

pub use artifact::{Head, Metadata, Model, Parts};
pub use ensemble::{Ensemble, Link, Precision};
pub use error::Error;
pub use predict::{Matrix, Predictor};

/// The version of this crate, recorded in artifacts as the trainer version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
