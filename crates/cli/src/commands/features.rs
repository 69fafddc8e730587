//! `aqcast features`: the feature table of a task, from the store.

use std::io::Write;
use std::path::{Path, PathBuf};

use aqcast_core::pipeline::{Pipeline, Series, Table};

use crate::commands::emit;
use crate::config::Config;
use crate::error::CliError;
use aqcast_store::data::Store;

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
            return Err(CliError::Task {
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

/// The sites of a task (`[data] site`, or `sites`, `["*"]` for every site in the store
/// holding the target), each with its feature table; the pipeline is fitted on the
/// first site's training rows (a multi-site task may not have fitted steps, whose
/// parameters would differ per site).
pub fn build_sites(
    config_path: &Path,
    config: &Config,
    store: &Store,
) -> Result<(Pipeline, Vec<(String, Table)>), CliError> {
    let bad = |m: String| CliError::Task {
        path: config_path.to_path_buf(),
        message: m,
    };
    if config.data.sites.is_empty() {
        let (p, t) = build(config_path, config, store)?;
        return Ok((p, vec![(config.data.site.clone(), t)]));
    }
    if !config.pipeline.steps.is_empty() {
        return Err(bad(
            "a task over several sites cannot have [[pipeline.steps]] yet (their fitted parameters would differ per site); use features only".into(),
        ));
    }
    let target = config.target(config_path)?;
    let target_variable = config
        .pipeline
        .inputs
        .iter()
        .find(|i| i.column() == target.of)
        .map_or(target.of.clone(), |i| i.variable.clone());
    let mut sites: Vec<String> = if config.data.sites.iter().any(|s| s == "*") {
        let mut v: Vec<String> = store
            .partitions()?
            .into_iter()
            .filter(|(_, var, _)| *var == target_variable)
            .map(|(site, _, _)| site)
            .collect();
        v.dedup();
        v
    } else {
        config.data.sites.clone()
    };
    sites.sort();
    sites.dedup();
    if sites.is_empty() {
        return Err(bad(format!(
            "the store {} holds no site with {target_variable:?}",
            store.root().display()
        )));
    }
    let train_end = config.train_end(config_path)?;
    let mut pipeline: Option<Pipeline> = None;
    let mut out = Vec::with_capacity(sites.len());
    for site in sites {
        let series = store.read_inputs(&site, &config.pipeline.inputs)?;
        if series.iter().all(|s| s.times.is_empty()) {
            return Err(bad(format!(
                "the store {} holds no observations for site {site:?}",
                store.root().display()
            )));
        }
        let p = match &pipeline {
            Some(p) => p.clone(),
            None => {
                let p = config
                    .pipeline
                    .fit(&series, train_end)
                    .map_err(|e| bad(format!("site {site:?}: {e}")))?;
                pipeline = Some(p.clone());
                p
            }
        };
        let table = p
            .transform(&series, None)
            .map_err(|e| bad(format!("site {site:?}: {e}")))?;
        out.push((site, table));
    }
    let pipeline = pipeline.ok_or_else(|| bad("no site".into()))?;
    Ok((pipeline, out))
}

/// Reads a CSV of station facts: a `code`, `id` or `site` column, `lat` and `lon`
/// (`latitude`, `longitude` too), in WGS84 degrees.
pub fn read_stations(path: &Path) -> Result<Vec<aqcast_core::forecast::Station>, CliError> {
    let bytes = crate::files::read_all(path)?;
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| CliError::Columns {
            path: path.into(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.as_str()))
            .ok_or_else(|| CliError::Columns {
                path: path.into(),
                message: format!(
                    "no {} column (a station list needs code, lat, lon)",
                    names[0]
                ),
            })
    };
    let (id, lat, lon) = (
        find(&["code", "id", "site"])?,
        find(&["lat", "latitude"])?,
        find(&["lon", "longitude", "lng"])?,
    );
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| CliError::Columns {
            path: path.into(),
            message: e.to_string(),
        })?;
        let num = |c: usize, what: &str, range: f64| -> Result<f64, CliError> {
            let cell = rec.get(c).unwrap_or("").trim();
            cell.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= range)
                .ok_or_else(|| CliError::Table {
                    path: path.into(),
                    line,
                    column: what.into(),
                    message: format!("{cell:?} is not a {what} in degrees (±{range})"),
                })
        };
        out.push(aqcast_core::forecast::Station {
            id: rec.get(id).unwrap_or("").trim().to_string(),
            lat: num(lat, "latitude", 90.0)?,
            lon: num(lon, "longitude", 180.0)?,
        });
    }
    Ok(out)
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
    let store = crate::datastore::open_read(&a.store)?;
    let (_, table) = build(&a.config, &config, &store)?;
    let train_end = config.train_end(&a.config)?;
    emit(a.output.as_deref(), |out| {
        write_table(out, &table, train_end)
    })
}
