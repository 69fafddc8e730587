//! What `aqcast train` does around a model that `aqcast-train` grows, whatever its kind
//! (a predicting model, or a forecasting one): the progress bar while it trains, the
//! metadata every model carries, and the one way a model and its reports are written:
//! encode, read back (and, for a forecasting model, build its forecaster), write
//! atomically, then the JSON and HTML reports beside it.

use std::path::{Path, PathBuf};

use aqcast_core::{Metadata, Model};
use aqcast_train::Params;

use crate::error::CliError;
use crate::files;
use crate::runlog;

/// A progress bar over `trees` trees, drawn only on a terminal.
pub fn progress(trees: usize, label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(trees as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {label}{{msg}} [{{bar:30}}] {{pos}}/{{len}} trees, eta {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// The metadata of a model aqcast trains: its name and description, the trainer, when,
/// the task file by hash and every training parameter.
pub fn metadata(
    name: &str,
    description: String,
    objective: &str,
    task: &Path,
    params: &Params,
) -> Result<Metadata, CliError> {
    let mut md = Metadata {
        name: name.to_string(),
        description,
        source: format!("aqcast {}", env!("CARGO_PKG_VERSION")),
        objective: objective.to_string(),
        created: Some(humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()),
        ..Metadata::default()
    };
    runlog::task_params(&mut md.params, task)?;
    md.params.extend(params.to_strings());
    Ok(md)
}

/// Prints what the trainer says a person should know.
pub fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Encodes the model, checks that the bytes read back (and, when `forecasts`, that they
/// forecast), and writes them to `output` atomically. Returns the bytes.
pub fn write_model(output: &Path, model: &Model, forecasts: bool) -> Result<Vec<u8>, CliError> {
    let bytes = model.encode().map_err(CliError::model(output))?;
    // Never write a model that does not read back, or that cannot forecast.
    let back = Model::decode(&bytes).map_err(CliError::model(output))?;
    if forecasts {
        back.forecaster().map_err(CliError::model(output))?;
    }
    files::write_atomic(output, |w| w.write_all(&bytes))?;
    Ok(bytes)
}

/// The reports beside a model: `NAME.report.json` and `NAME.report.html`.
pub struct Reports {
    /// The JSON report's path.
    pub json: PathBuf,
    /// The HTML report's path.
    pub html: PathBuf,
}

/// Writes the JSON (pretty) and HTML reports beside `output`; returns their paths and
/// the JSON's bytes.
pub fn write_reports(
    output: &Path,
    report: &impl serde::Serialize,
    html: &str,
) -> Result<(Reports, Vec<u8>), CliError> {
    let json = serde_json::to_vec_pretty(report).map_err(|e| CliError::Usage(e.to_string()))?;
    let paths = Reports {
        json: output.with_extension("report.json"),
        html: output.with_extension("report.html"),
    };
    files::write_atomic(&paths.json, |w| w.write_all(&json))?;
    files::write_atomic(&paths.html, |w| w.write_all(html.as_bytes()))?;
    Ok((paths, json))
}
