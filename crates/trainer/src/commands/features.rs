//! `aqcast features`: the feature table of a task, from the store.

use std::io::Write;
use std::path::{Path, PathBuf};

use aqcast_core::pipeline::{Pipeline, Series, Table};

use crate::commands::emit;
use crate::config::Config;
use crate::error::CliError;
use crate::store::Store;

/// Arguments of `aqcast features`.
#[derive(clap::Args)]
pub struct Args {
    /// The task file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// The store: a folder or file:// URL.
    #[arg(long, default_value = "aqcast-store")]
    store: String,
    /// Where to write the table (CSV); standard output if not given.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// Reads a task's inputs from the store, fits its pipeline on the training rows and
/// builds the table.
pub fn build(
    config_path: &Path,
    config: &Config,
    store: &Store,
) -> Result<(Pipeline, Table), CliError> {
    let manifest = store.manifest()?;
    let mut series = Vec::new();
    for input in &config.pipeline.inputs {
        let rows = store.read_series(&config.data.site, &input.variable, &manifest)?;
        if rows.is_empty() {
            return Err(CliError::Columns {
                path: config_path.to_path_buf(),
                message: format!(
                    "the store {} holds no {:?} observations for site {:?} (ingest them first; `aqcast export --store …` lists what it holds)",
                    store.root().display(),
                    input.variable,
                    config.data.site
                ),
            });
        }
        let (times, values) = rows.into_iter().unzip();
        series.push(Series {
            variable: input.variable.clone(),
            times,
            values,
        });
    }
    let train_end = config.train_end(config_path)?;
    let pipeline = config
        .pipeline
        .fit(&series, train_end)
        .map_err(CliError::config(config_path))?;
    let table = pipeline
        .transform(&series, None)
        .map_err(CliError::config(config_path))?;
    Ok((pipeline, table))
}

/// Writes a table as CSV: `date`, the features, the targets, and `split` when the task
/// has one. Missing values are `NaN`; numbers in their shortest round-trip form.
pub fn write_table(
    out: &mut dyn Write,
    table: &Table,
    train_end: Option<i64>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["date".to_string()];
    header.extend(
        table
            .features
            .iter()
            .chain(&table.targets)
            .map(|c| c.name.clone()),
    );
    if train_end.is_some() {
        header.push("split".into());
    }
    w.write_record(&header)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for (i, &t) in table.times.iter().enumerate() {
        row.clear();
        row.push(aqcast_core::time::format_datetime(t));
        for c in table.features.iter().chain(&table.targets) {
            let v = c.values[i];
            row.push(if v.is_nan() {
                "NaN".into()
            } else {
                format!("{v:?}")
            });
        }
        if let Some(end) = train_end {
            row.push(if t <= end { "train" } else { "test" }.into());
        }
        w.write_record(&row)?;
    }
    w.flush()
}

pub fn run(a: Args) -> Result<(), CliError> {
    let config = Config::read(&a.config)?;
    let store = Store::open_existing(&a.store)?;
    let (_, table) = build(&a.config, &config, &store)?;
    let train_end = config.train_end(&a.config)?;
    emit(a.output.as_deref(), |out| {
        write_table(out, &table, train_end)
    })
}
