//! `aqcast train`: a task's features → one model per horizon (and quantile), bundled with
//! the fitted pipeline in one artifact, evaluated on the test period.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use aqcast_core::aqi::{self, Table as AqiTable};
use aqcast_core::pipeline::{Column, Pipeline, Table};
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::{Head, Metadata, Model, Predictor};
use serde::Serialize;

use crate::commands::features;
use crate::config::Config;
use crate::error::CliError;
use crate::files;
use crate::runlog;
use aqcast_train::report;
use aqcast_train::{self, metrics, Objective, Params};

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

/// One trained head's record in the report.
#[derive(Serialize)]
pub struct HeadReport {
    /// Horizon in grid steps.
    pub horizon: u32,
    /// Quantile, for quantile heads.
    pub quantile: Option<f64>,
    /// Objective.
    pub objective: Objective,
    /// Training rows.
    pub train_rows: usize,
    /// Trees kept.
    pub trees: usize,
    /// Seconds spent training (binning and boosting).
    pub train_seconds: f64,
    /// Metrics on the test rows; null when there are none (a split after the data).
    pub test: Option<metrics::Metrics>,
    /// Training loss after each tree.
    pub train_curve: Vec<f64>,
    /// Validation loss after each tree (early stopping only).
    pub valid_curve: Vec<f64>,
    /// Split gain per feature.
    pub importance_gain: BTreeMap<String, f64>,
    /// Splits per feature.
    pub importance_splits: BTreeMap<String, u64>,
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

fn head_title(r: &HeadReport) -> String {
    match r.quantile {
        Some(q) => format!("h{} q{q}", r.horizon),
        None => format!("h{}", r.horizon),
    }
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

fn category_of(target: &str, unit: Option<&str>) -> Option<impl Fn(f64) -> Option<u8>> {
    let p = Pollutant::from_str(target).ok()?;
    let unit = match unit {
        Some(u) => Unit::from_str(u).ok()?,
        None => p.canonical_unit(),
    };
    aqi::compute(p, 1.0, unit, None, AqiTable::Y2024).ok()?;
    Some(move |v: f64| {
        aqi::compute(p, v.max(0.0), unit, None, AqiTable::Y2024)
            .ok()
            .map(|r| r.category as u8)
    })
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
    let unit = config
        .pipeline
        .inputs
        .iter()
        .find(|i| i.column() == target.of)
        .and_then(|i| i.unit.clone());
    let category = category_of(
        &config
            .pipeline
            .inputs
            .iter()
            .find(|i| i.column() == target.of)
            .map_or(target.of.clone(), |i| i.variable.clone()),
        unit.as_deref(),
    );

    let n_heads = target.horizons.len() * (1 + params.quantiles.len());
    // A progress bar over every tree of every head (drawn only on a terminal).
    let bar = indicatif::ProgressBar::new((n_heads * params.trees) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} trees, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut heads = Vec::new();
    let mut reports = Vec::new();
    // Per head: test times, targets and predictions, for the HTML report.
    let mut series: Vec<(Vec<i64>, Vec<f64>, Vec<f64>)> = Vec::new();
    for (hi, &h) in target.horizons.iter().enumerate() {
        let y_all = &table.targets[hi].values;
        let pick = |want_train: bool| -> Vec<usize> {
            (0..table.times.len())
                .filter(|&r| is_train[r] == want_train && y_all[r].is_finite())
                .collect()
        };
        let (tr, te) = (pick(true), pick(false));
        if tr.is_empty() {
            return Err(CliError::Columns {
                path: a.task.config.clone(),
                message: format!("horizon {h}: no training row has a target"),
            });
        }
        let cols: Vec<Vec<f64>> = table
            .features
            .iter()
            .map(|c| tr.iter().map(|&r| c.values[r]).collect())
            .collect();
        let col_refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let y: Vec<f64> = tr.iter().map(|&r| y_all[r]).collect();
        let test_rows: Vec<f64> = te
            .iter()
            .flat_map(|&r| table.features.iter().map(move |c| c.values[r]))
            .collect();
        let y_test: Vec<f64> = te.iter().map(|&r| y_all[r]).collect();
        let mut variants = vec![(params.clone(), None)];
        for &q in &params.quantiles {
            variants.push((
                Params {
                    objective: Objective::Quantile,
                    alpha: q,
                    quantiles: vec![],
                    ..params.clone()
                },
                Some(q),
            ));
        }
        let mut quantile_preds: Vec<(f64, Vec<f64>)> = Vec::new();
        for (p, q) in variants {
            bar.set_message(match q {
                Some(q) => format!("h{h} q{q}"),
                None => format!("h{h}"),
            });
            let started = Instant::now();
            let trained = aqcast_train::train_with_progress(&col_refs, &y, &p, &|| bar.inc(1))
                .map_err(|m| CliError::Columns {
                    path: a.task.config.clone(),
                    message: format!("horizon {h}: {m}"),
                })?;
            let seconds = started.elapsed().as_secs_f64();
            let predictor = Predictor::new(&trained.ensemble).map_err(CliError::model(&output))?;
            let pred = if te.is_empty() {
                Vec::new()
            } else {
                predictor
                    .predict(aqcast_core::Matrix::RowMajorF64(&test_rows))
                    .map_err(CliError::model(&output))?
            };
            if let Some(q) = q {
                quantile_preds.push((q, pred.clone()));
            }
            series.push((
                te.iter().map(|&r| table.times[r]).collect(),
                y_test.clone(),
                pred.clone(),
            ));
            let m = (!y_test.is_empty()).then(|| {
                let mut m = metrics::evaluate(&pred, &y_test, q);
                if let Some(cat) = &category {
                    m.aqi_category_accuracy = metrics::category_accuracy(&pred, &y_test, cat);
                }
                m
            });
            reports.push(HeadReport {
                horizon: h,
                quantile: q,
                objective: p.objective,
                train_rows: tr.len(),
                trees: trained.best_iteration,
                train_seconds: seconds,
                test: m,
                train_curve: trained.train_curve,
                valid_curve: trained.valid_curve,
                importance_gain: names.iter().cloned().zip(trained.gain).collect(),
                importance_splits: names.iter().cloned().zip(trained.splits).collect(),
            });
            heads.push(Head {
                target: target.of.clone(),
                horizon_hours: Some((i64::from(h) * config.pipeline.grid.step / 3600) as u32),
                quantile: q,
                ensemble: trained.ensemble,
            });
        }
        // Quantile heads evaluated as served: sorted per row, so bands never cross.
        if quantile_preds.len() > 1 {
            quantile_preds.sort_by(|a, b| a.0.total_cmp(&b.0));
            let n = y_test.len();
            let mut sorted: Vec<Vec<f64>> = vec![Vec::with_capacity(n); quantile_preds.len()];
            for r in 0..n {
                let mut v: Vec<f64> = quantile_preds.iter().map(|q| q.1[r]).collect();
                v.sort_by(f64::total_cmp);
                for (k, x) in v.into_iter().enumerate() {
                    sorted[k].push(x);
                }
            }
            for ((q, _), s) in quantile_preds.iter().zip(&sorted) {
                if let Some(rep) = reports
                    .iter_mut()
                    .find(|r| r.horizon == h && r.quantile == Some(*q))
                {
                    let Some(test) = rep.test.as_mut() else {
                        continue;
                    };
                    test.pinball = Some(
                        s.iter()
                            .zip(&y_test)
                            .map(|(&p, &t)| aqcast_train::loss::pinball(p, t, *q))
                            .sum::<f64>()
                            / n.max(1) as f64,
                    );
                }
            }
        }
    }
    bar.finish_and_clear();
    if reports.iter().all(|r| r.test.is_none()) {
        eprintln!(
            "warning: no test rows (nothing measured after the split's train_end): the test metrics are left out"
        );
    }
    let mut md = Metadata {
        name: name.clone(),
        description: format!(
            "{} forecast, trained by aqcast from {}",
            target.of,
            a.task.config.display()
        ),
        source: format!("aqcast {}", env!("CARGO_PKG_VERSION")),
        objective: serde_json::to_value(params.objective)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        created: Some(humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()),
        ..Metadata::default()
    };
    runlog::task_params(&mut md.params, &a.task.config)?;
    if a.task.table.is_none() {
        // The site the model learned from: `aqcast evaluate` defaults to it.
        md.params.insert("site".into(), config.data.site.clone());
    }
    md.data = data;
    if let Ok(serde_json::Value::Object(o)) = serde_json::to_value(&params) {
        for (k, v) in o {
            if !v.is_null() {
                md.params.insert(k, v.to_string());
            }
        }
    }
    for r in &reports {
        let key = match r.quantile {
            Some(q) => format!("h{}.q{q}", r.horizon),
            None => format!("h{}", r.horizon),
        };
        let Some(test) = &r.test else {
            continue;
        };
        md.metrics.insert(format!("{key}.rmse"), test.rmse);
        md.metrics.insert(format!("{key}.mae"), test.mae);
        if let Some(p) = test.pinball {
            md.metrics.insert(format!("{key}.pinball"), p);
        }
    }
    // What the model was trained on, for drift monitoring where it serves.
    let train_columns: Vec<Vec<f64>> = table
        .features
        .iter()
        .map(|c| {
            c.values
                .iter()
                .zip(&is_train)
                .filter(|(_, &t)| t)
                .map(|(v, _)| *v)
                .collect()
        })
        .collect();
    let refs: Vec<&[f64]> = train_columns.iter().map(Vec::as_slice).collect();
    let reference = aqcast_core::drift::Reference::fit(&names, &refs);
    let model = Model {
        metadata: md,
        features: names.clone(),
        named_features: true,
        heads,
        pipeline,
        forecast: None,
        reference: Some(reference),
    };
    let bytes = model.encode().map_err(CliError::model(&output))?;
    // Never write a model that does not read back.
    Model::decode(&bytes).map_err(CliError::model(&output))?;
    files::write_atomic(&output, |w| w.write_all(&bytes))?;
    let report = Report {
        name,
        model: output.display().to_string(),
        params,
        threads,
        rows: table.times.len(),
        features: names,
        heads: reports,
    };
    let json = serde_json::to_vec_pretty(&report).map_err(|e| CliError::Usage(e.to_string()))?;
    let report_path = output.with_extension("report.json");
    files::write_atomic(&report_path, |w| w.write_all(&json))?;
    let plots: Vec<report::HeadPlots> = report
        .heads
        .iter()
        .zip(&series)
        .map(|(r, (times, actual, predicted))| report::HeadPlots {
            title: head_title(r),
            times,
            actual,
            predicted,
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
            let mut cells = vec![
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
            ];
            cells.push(("train s".into(), format!("{:.2}", r.train_seconds)));
            (head_title(r), cells)
        })
        .collect();
    let html = report::html(
        &format!("aqcast training report: {}", report.name),
        &summary,
        &plots,
    );
    let html_path = output.with_extension("report.html");
    files::write_atomic(&html_path, |w| w.write_all(html.as_bytes()))?;
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
            report_path.display(),
            html_path.display()
        )
    })?;
    Ok(output)
}
