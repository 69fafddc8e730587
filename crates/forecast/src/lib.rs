//! # aqcast-forecast
//!
//! Everything between raw measurements and a forecast a person can read, over the tree
//! engine of [`aqcast_engine`]:
//!
//! - [`pollutant`]: the pollutant and unit vocabulary and the EPA unit conversions;
//! - [`aqi`]: US EPA AQI (1999, 2012 and 2024 tables), NowCast, the European AQI, the
//!   scale a forecast is rated on and the AQI now from recent measurements;
//! - [`time`]: civil time from Unix seconds (no clock);
//! - [`variable`]: the variables measured (pollutants, weather), their names, units and
//!   physical bounds, one set of rules for files, feeds and pushes;
//! - [`pipeline`]: the fitted preprocessing and feature pipeline (fit and apply);
//! - [`drift`]: reference histograms of the training rows and the PSI of new inputs;
//! - [`artifact`]: the `.aqm` model file (binary and JSON forms);
//! - [`forecast`]: the one forecast computation (calibrated bands, AQI, probabilities);
//! - [`meaning`]: what each feature of a model is, from the artifact's description of it;
//! - [`tracking`]: bands that follow a station's own misses after training;
//! - [`daily`]: what a forecast means per day (the worst category, its AQI, the chance
//!   of worse), one rule for every front end.
//!
//! `#![no_std]` + `alloc`: no I/O, no clock, no threads, no randomness. Front ends hand it
//! bytes and numbers and get values back.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod alert;
pub mod aqi;
pub mod artifact;
pub mod daily;
pub mod drift;
mod error;
pub mod forecast;
pub mod meaning;
pub mod pipeline;
pub mod pollutant;
pub mod time;
pub mod tracking;
pub mod variable;
pub mod who;

pub use artifact::{Head, Metadata, Model, Parts};
pub use error::Error;
#[doc(hidden)]
pub use error::{Num, Quoted};

/// The version of this crate, recorded in artifacts as the trainer version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
