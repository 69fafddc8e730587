//! `aqcast train`: a task's features → one model per horizon (and quantile), bundled with
//! the fitted pipeline in one artifact, evaluated on the test period.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use aqcast_core::pipeline::{Column, Pipeline, Table};
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::Model;
use serde::Serialize;

use super::trained;
use crate::commands::features;
use crate::config::Config;
use crate::error::CliError;
use crate::files;
use crate::runlog;
use aqcast_train::horizons::{self, HeadReport};
use aqcast_train::report;
use aqcast_train::{metrics, Params};

/// Where a task's rows come from: its file, and the store or a ready feature table
/// (shared by `aqcast train` and `aqcast tune`).
#[derive(clap::Args)]
pub struct TaskData {
    /// The task file (TOML): data, split, pipeline, [train] and [tune].
    #[arg(long)]
    pub config: PathBuf,
    /// The store the task's data is in.
    #[arg(long, default_value = "aqcast-store")]
    pub store: String,
    /// Use this feature table (as `aqcast features` writes it: date, features,
    /// target_h…, split) instead of building it from the store; no pipeline is bundled.
    #[arg(long, conflicts_with = "store")]
    pub table: Option<PathBuf>,
}

/// Arguments of `aqcast train`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    task: TaskData,
    /// Where to write the model (default: NAME.aqm); the report goes next to it
    /// (NAME.report.json).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Worker threads (default: the task's [train] threads, else all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the report as JSON on standard output instead of the summary table.
    #[arg(long)]
    json: bool,
}

/// The report of a training run.
#[derive(Serialize)]
pub struct Report {
    /// Model name.
    pub name: String,
    /// The model file.
    pub model: String,
    /// Training parameters.
    pub params: Params,
    /// Threads used.
    pub threads: usize,
    /// Rows of the feature table, training and test.
    pub rows: usize,
    /// Features.
    pub features: Vec<String>,
    /// One entry per head.
    pub heads: Vec<HeadReport>,
}

/// Reads a feature table written by `aqcast features` (or anything of that layout).
fn read_table(
    path: &Path,
    features: &[String],
    horizons: &[u32],
) -> Result<(Table, Vec<bool>), CliError> {
    let bytes = files::read_all(path)?;
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let header: Vec<String> = r
        .headers()
        .map_err(|e| CliError::Columns {
            path: path.into(),
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |n: &str| {
        header
            .iter()
            .position(|h| h == n)
            .ok_or_else(|| CliError::Columns {
                path: path.into(),
                message: format!(
                    "no column {n:?} (the table needs date, the task's features, target_h…, split)"
                ),
            })
    };
    let date = find("date")?;
    let split = find("split")?;
    let fi: Vec<usize> = features.iter().map(|f| find(f)).collect::<Result<_, _>>()?;
    let ti: Vec<usize> = horizons
        .iter()
        .map(|h| find(&format!("target_h{h}")))
        .collect::<Result<_, _>>()?;
    let mut t = Table {
        times: vec![],
        features: features
            .iter()
            .map(|n| Column {
                name: n.clone(),
                values: vec![],
            })
            .collect(),
        targets: horizons
            .iter()
            .map(|h| Column {
                name: format!("target_h{h}"),
                values: vec![],
            })
            .collect(),
    };
    let mut is_train = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| CliError::Columns {
            path: path.into(),
            message: e.to_string(),
        })?;
        let cell = |c: usize| rec.get(c).unwrap_or("").trim();
        let num = |c: usize| -> Result<f64, CliError> {
            match cell(c) {
                "" | "NaN" | "nan" | "NA" => Ok(f64::NAN),
                s => s.parse().map_err(|_| CliError::Table {
                    path: path.into(),
                    line,
                    column: header[c].clone(),
                    message: format!("{s:?} is not a number"),
                }),
            }
        };
        let time =
            aqcast_core::time::parse_datetime(cell(date)).ok_or_else(|| CliError::Table {
                path: path.into(),
                line,
                column: "date".into(),
                message: format!("{:?} is not a timestamp", cell(date)),
            })?;
        t.times.push(time);
        for (col, &c) in t.features.iter_mut().zip(&fi) {
            col.values.push(num(c)?);
        }
        for (col, &c) in t.targets.iter_mut().zip(&ti) {
            col.values.push(num(c)?);
        }
        is_train.push(cell(split) == "train");
    }
    Ok((t, is_train))
}

/// A task's feature table and what came with it.
pub struct TaskTable {
    /// The fitted pipeline (when built from the store).
    pub pipeline: Option<Pipeline>,
    /// The feature table.
    pub table: Table,
    /// Which rows are training rows.
    pub is_train: Vec<bool>,
    /// The data files it was built from, by hash (when built from the store).
    pub data: Vec<aqcast_core::artifact::DataSource>,
}

/// The task's feature table: from `table` if given, else built from the store (then with
/// the fitted pipeline, and the data files it read).
pub fn load(task: &TaskData, config: &Config) -> Result<TaskTable, CliError> {
    let (config_path, store, table) = (&task.config, &task.store, task.table.as_deref());
    let target = config.target(config_path)?;
    let names = config.feature_names();
    match table {
        Some(path) => {
            let (t, tr) = read_table(path, &names, &target.horizons)?;
            Ok(TaskTable {
                pipeline: None,
                table: t,
                is_train: tr,
                data: Vec::new(),
            })
        }
        None => {
            let train_end = config.train_end(config_path)?;
            let store = crate::datastore::open_read(store)?;
            let (p, t) = features::build(config_path, config, &store)?;
            let tr = t
                .times
                .iter()
                .map(|&x| train_end.is_none_or(|e| x <= e))
                .collect();
            let data = runlog::data_sources(&store, std::slice::from_ref(&config.data.site))?;
            Ok(TaskTable {
                pipeline: Some(p),
                table: t,
                is_train: tr,
                data,
            })
        }
    }
}

pub fn run(a: Args) -> Result<(), CliError> {
    if a.task.table.is_some() {
        return train(a).map(|_| ());
    }
    // Trained from the store: the run is recorded there.
    let mut log = runlog::Run::start("train", &a.task.config, &a.task.store);
    let result = train(a).and_then(|output| {
        let bytes = files::read_all(&output)?;
        let model = Model::decode(&bytes).map_err(CliError::model(&output))?;
        log.take_model(&model, &output, &bytes);
        for ext in ["report.json", "report.html"] {
            let p = output.with_extension(ext);
            let b = files::read_all(&p)?;
            log.record().artifacts.insert(
                p.display().to_string(),
                aqcast_core::published::sha256_hex(&b),
            );
        }
        Ok(())
    });
    log.finish(&result);
    result
}

/// Trains the task and writes the model and its reports; returns the model's path.
fn train(a: Args) -> Result<PathBuf, CliError> {
    let config = Config::read(&a.task.config)?;
    if config.forecast.is_some() {
        return super::train_forecast::run(a.task, a.output, a.threads, a.json, config);
    }
    let target = config.target(&a.task.config)?;
    let names = config.feature_names();
    let TaskTable {
        pipeline,
        table,
        is_train,
        data,
    } = load(&a.task, &config)?;
    let mut params = config.train.clone();
    if a.threads.is_some() {
        params.threads = a.threads;
    }
    let threads = params.threads.unwrap_or_else(rayon::current_num_threads);
    let name = config.name.clone().unwrap_or_else(|| {
        a.task
            .config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into())
    });
    let output = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{name}.aqm")));
    files::prepare_output(&output)?;
    // The target's pollutant and unit, when it has an AQI.
    let input = config
        .pipeline
        .inputs
        .iter()
        .find(|i| i.column() == target.of);
    let rated = Pollutant::from_str(input.map_or(target.of.as_str(), |i| i.variable.as_str()))
        .ok()
        .and_then(|p| {
            let unit = match input.and_then(|i| i.unit.as_deref()) {
                Some(u) => Unit::from_str(u).ok()?,
                None => p.canonical_unit(),
            };
            Some((p, unit))
        });

    let n_heads = target.horizons.len() * (1 + params.quantiles.len());
    let bar = trained::progress(n_heads * params.trees, "");
    let model_heads = horizons::train(
        &horizons::Task {
            table: &table,
            is_train: &is_train,
            horizons: &target.horizons,
            target: &target.of,
            step_seconds: config.pipeline.grid.step,
            params: &params,
            rated,
        },
        &|head| bar.set_message(head.to_string()),
        &|| bar.inc(1),
    )
    .map_err(CliError::train(&a.task.config))?;
    bar.finish_and_clear();
    trained::warn(&model_heads.warnings);

    let objective = serde_json::to_value(params.objective)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let mut md = trained::metadata(
        &name,
        format!(
            "{} forecast, trained by aqcast from {}",
            target.of,
            a.task.config.display()
        ),
        &objective,
        &a.task.config,
        &params,
    )?;
    if a.task.table.is_none() {
        // The site the model learned from: `aqcast evaluate` defaults to it.
        md.params.insert("site".into(), config.data.site.clone());
    }
    md.data = data;
    md.metrics = model_heads.metrics();
    md.scores = model_heads.scores();
    let model = Model {
        metadata: md,
        features: names.clone(),
        named_features: true,
        // What the model was trained on, for drift monitoring where it serves.
        reference: Some(aqcast_train::drift_reference(&names, &[&table], |_, i| {
            is_train[i]
        })),
        heads: model_heads.heads,
        pipeline,
        forecast: None,
    };
    let bytes = trained::write_model(&output, &model, false)?;
    let report = Report {
        name,
        model: output.display().to_string(),
        params,
        threads,
        rows: table.times.len(),
        features: names,
        heads: model_heads.reports,
    };
    let plots: Vec<report::HeadPlots> = report
        .heads
        .iter()
        .zip(&model_heads.tests)
        .map(|(r, t)| report::HeadPlots {
            title: r.title(),
            times: &t.times,
            actual: &t.actual,
            predicted: &t.predicted,
            importance: r
                .importance_gain
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            train_curve: &r.train_curve,
            valid_curve: &r.valid_curve,
        })
        .collect();
    let summary: Vec<(String, Vec<(String, String)>)> = report
        .heads
        .iter()
        .map(|r| {
            let f = |v: f64| format!("{v:.4}");
            let t = r.test.as_ref();
            let m = |g: fn(&metrics::Metrics) -> f64| t.map_or("–".into(), |t| f(g(t)));
            let cells = vec![
                ("trees".to_string(), r.trees.to_string()),
                ("train rows".into(), r.train_rows.to_string()),
                ("test rows".into(), t.map_or(0, |t| t.n).to_string()),
                ("RMSE".into(), m(|t| t.rmse)),
                ("MAE".into(), m(|t| t.mae)),
                ("R²".into(), m(|t| t.r2)),
                ("MAPE %".into(), m(|t| t.mape)),
                ("bias".into(), m(|t| t.bias)),
                (
                    "pinball".into(),
                    t.and_then(|t| t.pinball).map_or("–".into(), f),
                ),
                (
                    "AQI category accuracy".into(),
                    t.and_then(|t| t.aqi_category_accuracy)
                        .map_or("–".into(), f),
                ),
                ("train s".into(), format!("{:.2}", r.train_seconds)),
            ];
            (r.title(), cells)
        })
        .collect();
    let html = report::html(
        &format!("aqcast training report: {}", report.name),
        &summary,
        &plots,
    );
    let (paths, json) = trained::write_reports(&output, &report, &html)?;
    if a.json {
        super::emit(None, |w| {
            w.write_all(&json)?;
            writeln!(w)
        })?;
        return Ok(output);
    }
    super::emit(None, |w| {
        writeln!(
            w,
            "{:<8} {:>8} {:>6} {:>8} {:>8} {:>9} {:>9} {:>7} {:>8}",
            "horizon", "quantile", "trees", "train s", "test n", "RMSE", "MAE", "R²", "bias"
        )?;
        for r in &report.heads {
            let t = r.test.as_ref();
            let m = |g: fn(&metrics::Metrics) -> f64, d: usize| {
                t.map_or("–".into(), |t| format!("{:.d$}", g(t)))
            };
            writeln!(
                w,
                "{:<8} {:>8} {:>6} {:>8.2} {:>8} {:>9} {:>9} {:>7} {:>8}",
                format!("h{}", r.horizon),
                r.quantile.map_or("-".into(), |q| q.to_string()),
                r.trees,
                r.train_seconds,
                t.map_or(0, |t| t.n),
                m(|t| t.rmse, 4),
                m(|t| t.mae, 4),
                m(|t| t.r2, 4),
                m(|t| t.bias, 4)
            )?;
        }
        writeln!(
            w,
            "model: {} ({} bytes); report: {} and {}",
            output.display(),
            bytes.len(),
            paths.json.display(),
            paths.html.display()
        )
    })?;
    Ok(output)
}
