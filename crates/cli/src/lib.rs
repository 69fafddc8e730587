//! The `aqcast` command-line front end as a library: its commands and the task files. The binary (`src/main.rs`) is a thin clap wrapper; the
//! library exists so fuzz targets and benchmarks can drive the same code.

pub mod basemap;
pub mod commands;
pub mod config;
pub mod datastore;
pub mod error;
pub mod files;
pub mod places;
pub mod runlog;
pub mod table;
pub mod terminal;
pub mod tracking;
pub mod weather;

use std::path::PathBuf;

use crate::error::CliError;

/// Loads a model file of any supported kind (aqcast binary or JSON, LightGBM, XGBoost).
pub fn load_model(path: &PathBuf) -> Result<aqcast_core::Model, CliError> {
    let bytes = files::read_all(path)?;
    aqcast_core::import::load_any(&bytes).map_err(CliError::model(path))
}
