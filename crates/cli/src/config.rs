//! The task file (`--config F`, TOML): which data, which split, which pipeline.
//!
//! ```toml
//! [data]
//! site = "aurn_no2_2001_2003"          # the site id in the store
//!
//! [split]
//! train_end = "2002-12-31 23:00:00"    # rows at or before: training; after: test
//!
//! [pipeline.grid]
//! step = 3600                          # seconds
//! [[pipeline.inputs]]
//! variable = "no2"
//! unit = "ug/m3"
//! [[pipeline.features]]
//! kind = "lag"
//! name = "no2_lag1"
//! of = "no2"
//! lag = 1
//! ```
//!
//! `[train]` holds the training parameters (`aqcast train`), `[tune]` the search
//! (`aqcast tune`). `configs/canonical.toml` is the canonical task
//! (`bench/reference.py` builds its features with pandas); `configs/every-step.toml` uses every kind of step.

use std::path::{Path, PathBuf};

use aqcast_core::pipeline::Spec;
use serde::Deserialize;

use crate::error::CliError;
use crate::files;

/// A task file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// What to read from the store.
    pub data: Data,
    /// Where training ends.
    #[serde(default)]
    pub split: Option<Split>,
    /// The preprocessing and feature pipeline.
    pub pipeline: Spec,
    /// Model name (default: the task file's name).
    #[serde(default)]
    pub name: Option<String>,
    /// Training parameters (`aqcast train`).
    #[serde(default)]
    pub train: aqcast_train::Params,
    /// Hyper-parameter search (`aqcast tune`).
    #[serde(default)]
    pub tune: aqcast_train::tune::Tune,
    /// Forecast every step ahead from one artifact, with calibrated bands (`aqcast
    /// train`, `aqcast forecast`); its steps replace the target's horizons.
    #[serde(default)]
    pub forecast: Option<aqcast_train::forecast::Config>,
}

/// The data a task reads: one site, or (forecasting tasks) several.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// Site id in the store.
    #[serde(default)]
    pub site: String,
    /// Several sites, for one model across stations (`["*"]`: every site in the store
    /// with the target); forecasting tasks only.
    #[serde(default)]
    pub sites: Vec<String>,
    /// A CSV of station facts (`code` or `id` or `site`, `lat`, `lon`), for station
    /// features; relative to the task file.
    #[serde(default)]
    pub stations: Option<PathBuf>,
}

/// The train/test split in time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// Last training timestamp (`YYYY-MM-DD HH:MM:SS`, UTC, or RFC 3339).
    pub train_end: String,
}

impl Config {
    /// Reads and checks a task file.
    pub fn read(path: &Path) -> Result<Config, CliError> {
        let text = String::from_utf8(files::read_all(path)?).map_err(|_| CliError::Task {
            path: path.to_path_buf(),
            message: "not UTF-8 text".into(),
        })?;
        let mut c: Config = toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line = before.matches('\n').count() as u64 + 1;
                    let col = before
                        .rsplit('\n')
                        .next()
                        .map_or(1, |l| l.chars().count() + 1);
                    (line, col.to_string())
                })
                .unwrap_or((1, "1".into()));
            CliError::Table {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        if c.data.site.is_empty() == c.data.sites.is_empty() {
            return Err(CliError::Task {
                path: path.to_path_buf(),
                message: "[data]: give either site = \"ID\" or sites = [\"ID\", …] (or [\"*\"])"
                    .into(),
            });
        }
        if !c.data.sites.is_empty() && c.forecast.is_none() {
            return Err(CliError::Task {
                path: path.to_path_buf(),
                message: "[data] sites: several sites are for forecasting tasks (add [forecast]); give site = \"ID\"".into(),
            });
        }
        if let Some(s) = &c.data.stations {
            if s.is_relative() {
                c.data.stations = Some(path.parent().unwrap_or(Path::new(".")).join(s));
            }
        }
        if let Some(f) = &c.forecast {
            f.validate().map_err(CliError::train(path))?;
            let steps = f.steps;
            let target = c.pipeline.target.as_mut().ok_or_else(|| CliError::Task {
                path: path.to_path_buf(),
                message: "[forecast] needs [pipeline.target] (of = the input to forecast)".into(),
            })?;
            // Every step ahead is a target column; the horizons given, if any, are replaced.
            target.horizons = (1..=steps).collect();
        }
        c.pipeline.validate().map_err(CliError::config(path))?;
        c.train
            .validate()
            .map_err(|e| e.about("[train]"))
            .map_err(CliError::train(path))?;

        c.train_end(path)?;
        Ok(c)
    }

    /// The pipeline's target, which training needs.
    pub fn target(&self, path: &Path) -> Result<aqcast_core::pipeline::spec::Target, CliError> {
        self.pipeline.target.clone().ok_or_else(|| CliError::Task {
            path: path.to_path_buf(),
            message: "the pipeline has no [pipeline.target]: nothing to train for".into(),
        })
    }

    /// The feature names, in order.
    pub fn feature_names(&self) -> Vec<String> {
        self.pipeline
            .features
            .iter()
            .map(|f| f.name().to_string())
            .collect()
    }

    /// The end of training as Unix seconds, if a split is given.
    pub fn train_end(&self, path: &Path) -> Result<Option<i64>, CliError> {
        self.split
            .as_ref()
            .map(|s| {
                aqcast_core::time::parse_datetime(&s.train_end).ok_or_else(|| CliError::Task {
                    path: PathBuf::from(path),
                    message: format!(
                        "split.train_end {:?} is not a timestamp (YYYY-MM-DD HH:MM:SS)",
                        s.train_end
                    ),
                })
            })
            .transpose()
    }
}
