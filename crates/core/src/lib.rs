//! # aqcast-core
//!
//! Everything that runs wherever aqcast runs (the `aqcast` CLI, the npm package, the edge
//! worker and the browser dashboard), written once, in four parts this crate puts behind
//! one façade:
//!
//! - [`aqcast_engine`]: [`ensemble`], [`predict`], [`shap`]: the tree engine (all the
//!   core's `unsafe` lives there);
//! - [`aqcast_forecast`]: [`pollutant`], [`aqi`], [`time`], [`pipeline`], [`drift`],
//!   [`artifact`], [`forecast`], [`tracking`], [`daily`], [`meaning`]: from raw measurements to a
//!   forecast a person can read;
//! - [`aqcast_import`] as [`import`]: LightGBM text and XGBoost JSON model importers;
//! - [`aqcast_published`] as [`published`]: the published layout and documents, an API
//!   boundary between builds made at different times.
//!
//! [`Error`] is any error of the parts (each part's own error type converts into it),
//! with the part's stable `code()`; front ends map it to an HTTP status, a JS
//! `AqcastError` or a CLI message.
//!
//! Every part is `#![no_std]` + `alloc`. None does I/O, reads a clock, spawns a thread or
//! draws a random number: front ends hand it bytes and numbers and get values back.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;

pub use aqcast_engine::{ensemble, predict, shap, Ensemble, Link, Matrix, Precision, Predictor};
pub use aqcast_forecast::{
    alert, aqi, artifact, daily, drift, forecast, meaning, pipeline, pollutant, time, tracking,
    variable, who, Head, Metadata, Model, Parts, VERSION,
};
pub use aqcast_import as import;
pub use aqcast_published as published;
pub use error::{Coded, EngineError, Error, ModelError};
