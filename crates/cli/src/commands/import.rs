//! `aqcast import`: LightGBM / XGBoost model → aqcast model.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::commands::features;
use crate::config::Config;
use crate::error::CliError;
use crate::{files, load_model};

/// Arguments of `aqcast import`.
#[derive(clap::Args)]
pub struct Args {
    /// The model to import: LightGBM text or XGBoost JSON (an aqcast model is re-written).
    model: PathBuf,
    /// Where to write: `.aqm` for the binary artifact, `.json` for its JSON form.
    #[arg(long, short)]
    output: PathBuf,
    /// Model name recorded in the artifact (defaults to the output file's stem).
    #[arg(long)]
    name: Option<String>,
    /// What the model predicts (e.g. `no2`).
    #[arg(long)]
    target: Option<String>,
    /// Feature names, comma separated, in the model's feature order: replaces placeholder
    /// names so that inputs are matched by name.
    #[arg(long, value_delimiter = ',')]
    feature_names: Option<Vec<String>>,
    /// A task file (TOML) whose pipeline made the model's features: the pipeline is fitted
    /// on the store's data (as `aqcast features` does) and bundled into the artifact, so
    /// front ends can go from raw observations to features (`model.preprocess`). Its
    /// feature names become the model's; its target and single horizon name the head.
    #[arg(long, conflicts_with = "feature_names")]
    config: Option<PathBuf>,
    /// The store the task's data is in (with --config).
    #[arg(long, default_value = "aqcast-store", requires = "config")]
    store: String,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let mut model = load_model(&a.model)?;
    let bytes = files::read_all(&a.model)?;
    if let Some(names) = a.feature_names {
        if names.len() != model.features.len() {
            return Err(CliError::Usage(format!(
                "--feature-names lists {} names but the model has {} features",
                names.len(),
                model.features.len()
            )));
        }
        let mut sorted = names.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) || names.iter().any(|n| n.trim().is_empty()) {
            return Err(CliError::Usage(
                "--feature-names must be distinct and non-empty".into(),
            ));
        }
        model.features = names;
        model.named_features = true;
    }
    if let Some(path) = &a.config {
        let config = Config::read(path)?;
        let store = crate::datastore::open_read(&a.store)?;
        let (pipeline, _) = features::build(path, &config, &store)?;
        let names = pipeline.feature_names();
        if names.len() != model.features.len() {
            return Err(CliError::Usage(format!(
                "{}: the task builds {} features but the model takes {}",
                path.display(),
                names.len(),
                model.features.len()
            )));
        }
        if model.named_features && model.features != names {
            return Err(CliError::Usage(format!(
                "{}: the task's features ({}) are not the model's ({})",
                path.display(),
                names.join(", "),
                model.features.join(", ")
            )));
        }
        if let Some(t) = &pipeline.spec.target {
            for h in &mut model.heads {
                h.target = t.of.clone();
                if let [one] = t.horizons[..] {
                    h.horizon_hours =
                        Some((i64::from(one) * pipeline.spec.grid.step / 3600) as u32);
                }
            }
        }
        model.features = names;
        model.named_features = true;
        model.pipeline = Some(pipeline);
    }
    if let Some(t) = a.target {
        for h in &mut model.heads {
            h.target = t.clone();
        }
    }
    let md = &mut model.metadata;
    md.name = a.name.unwrap_or_else(|| {
        a.output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    md.created = Some(humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string());
    md.params.insert(
        "imported_from".into(),
        a.model
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    md.params.insert(
        "imported_sha256".into(),
        format!("{:x}", Sha256::digest(&bytes)),
    );
    let json = a.output.extension().is_some_and(|e| e == "json");
    let out = if json {
        model.to_json().map(String::into_bytes)
    } else {
        model.encode()
    }
    .map_err(CliError::model(&a.model))?;
    files::write_atomic(&a.output, |w| w.write_all(&out))?;
    eprintln!(
        "imported {} ({}, {} trees, {} features) -> {} ({} bytes)",
        a.model.display(),
        model.metadata.source,
        model.n_trees(),
        model.features.len(),
        a.output.display(),
        out.len()
    );
    Ok(())
}
