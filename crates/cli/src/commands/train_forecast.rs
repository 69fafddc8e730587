//! `aqcast train` for a task with a `[forecast]` section: one artifact that forecasts
//! every step ahead with calibrated bands, and a report of its skill per step against the
//! baselines (see [`crate::forecast`]).

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;

use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::Model;
use serde::Serialize;

use super::features;
use super::train::TaskData;
use super::trained;
use crate::config::Config;
use crate::error::CliError;
use crate::files;
use aqcast_train::forecast::{self, Task};
use aqcast_train::report;
use aqcast_train::Params;

/// The report of a forecast training run (`NAME.report.json`).
#[derive(Serialize)]
pub struct Report {
    /// Model name.
    pub name: String,
    /// The model file.
    pub model: String,
    /// Its size in bytes.
    pub model_bytes: usize,
    /// Training parameters.
    pub params: Params,
    /// Threads used.
    pub threads: usize,
    /// Features (the pipeline's, then the horizon features).
    pub features: Vec<String>,
    /// The forecast: design, calibration, and per step the model against the baselines.
    pub forecast: forecast::Report,
}

pub fn run(
    task: TaskData,
    output: Option<PathBuf>,
    threads: Option<usize>,
    json: bool,
    config: Config,
) -> Result<PathBuf, CliError> {
    let path = task.config.clone();
    let bad = |m: String| CliError::Task {
        path: path.clone(),
        message: m,
    };
    let fc = config
        .forecast
        .clone()
        .ok_or_else(|| bad("no [forecast] section".into()))?;
    if task.table.is_some() {
        return Err(bad(
            "a forecasting task is trained from the store (its pipeline travels in the model); drop --table".into(),
        ));
    }
    let train_end = config
        .train_end(&path)?
        .ok_or_else(|| bad("[forecast] needs [split] train_end: the test period follows it, the calibration window precedes it".into()))?;
    let target = config.target(&path)?;
    let input = config
        .pipeline
        .inputs
        .iter()
        .find(|i| i.column() == target.of)
        .ok_or_else(|| bad(format!("the target {:?} is not an input", target.of)))?;
    let pollutant = Pollutant::from_str(&input.variable).map_err(|_| {
        bad(format!(
            "the target {:?} is not a pollutant, so it has no AQI to forecast",
            input.variable
        ))
    })?;
    let unit = match &input.unit {
        Some(u) => Unit::from_str(u).map_err(|e| bad(e.to_string()))?,
        None => pollutant.canonical_unit(),
    };
    fc.validate().map_err(CliError::train(&path))?;
    let ahead_variables = fc.ahead_variables();
    if let Some(v) = ahead_variables
        .iter()
        .find(|v| !config.pipeline.inputs.iter().any(|i| &i.variable == *v))
    {
        return Err(bad(format!(
            "[forecast] ahead reads {v:?}, which is not one of the pipeline's inputs: add it to [[pipeline.inputs]] (training reads what was measured of it)"
        )));
    }
    let store = crate::datastore::open_read(&task.store)?;
    let (pipeline, tables) = features::build_sites(&path, &config, &store)?;
    let facts = config
        .data
        .stations
        .as_deref()
        .map(features::read_stations)
        .transpose()?;
    let sites: Vec<forecast::SiteTable> = tables
        .into_iter()
        .map(|(site, table)| {
            let station = facts
                .as_ref()
                .map(|f| {
                    f.iter().find(|s| s.id == site).cloned().ok_or_else(|| {
                        bad(format!(
                            "site {site:?} is not in the station list {}",
                            config
                                .data
                                .stations
                                .as_deref()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default()
                        ))
                    })
                })
                .transpose()?;
            let ahead = if ahead_variables.is_empty() {
                aqcast_core::forecast::AheadGrid::default()
            } else {
                let inputs: Vec<aqcast_core::pipeline::spec::Input> = ahead_variables
                    .iter()
                    .map(|v| aqcast_core::pipeline::spec::Input {
                        variable: v.clone(),
                        name: None,
                        unit: None,
                    })
                    .collect();
                let series = store.read_inputs(&site, &inputs)?;
                aqcast_train::weather::observed(
                    &series,
                    &ahead_variables,
                    &table,
                    pipeline.spec.grid.step,
                    fc.steps,
                )
            };
            Ok(forecast::SiteTable {
                site,
                table,
                station,
                ahead,
            })
        })
        .collect::<Result<_, CliError>>()?;
    let mut params = config.train.clone();
    if threads.is_some() {
        params.threads = threads;
    }
    let n_threads = params.threads.unwrap_or_else(rayon::current_num_threads);
    let name = config.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into())
    });
    let output = output.unwrap_or_else(|| PathBuf::from(format!("{name}.aqm")));
    files::prepare_output(&output)?;

    let bar = trained::progress(3 * params.trees, "forecast heads");
    let model_heads = forecast::train(
        &Task {
            config: &fc,
            sites: &sites,
            grid: &pipeline.spec.grid,
            train_end,
            target: target.of.clone(),
            pollutant,
            unit,
            params: &params,
        },
        &|| bar.inc(1),
    )
    .map_err(CliError::train(&path))?;
    bar.finish_and_clear();
    trained::warn(&model_heads.report.warnings);

    let mut features = pipeline.feature_names();
    features.extend(
        model_heads
            .spec
            .horizon_features
            .iter()
            .map(|f| f.name().to_string()),
    );
    let mut md = trained::metadata(
        &name,
        format!(
            "{} forecast, {} steps of {} s ahead with a calibrated P{:.0}–P{:.0} band, trained by aqcast from {}",
            target.of,
            fc.steps,
            pipeline.spec.grid.step,
            fc.quantiles[0] * 100.0,
            fc.quantiles[2] * 100.0,
            path.display()
        ),
        "quantile",
        &path,
        &params,
    )?;
    let site_ids: Vec<String> = sites.iter().map(|s| s.site.clone()).collect();
    md.data = crate::runlog::data_sources(&store, &site_ids)?;
    if sites.len() == 1 {
        md.params.insert("site".into(), sites[0].site.clone());
    } else {
        md.params.insert("sites".into(), sites.len().to_string());
    }
    // Where training ended and calibration began: `aqcast evaluate` fits its baselines on
    // the rows before the calibration window, as training did.
    md.params.insert(
        "calibration_start".into(),
        aqcast_core::time::format_datetime(train_end - i64::from(fc.calibration_days) * 86_400),
    );
    md.params.insert(
        "train_end".into(),
        aqcast_core::time::format_datetime(train_end),
    );
    md.metrics = model_heads.report.metrics();
    md.scores = model_heads.report.scores();
    // What the model was trained on (the pipeline's features at every training hour of
    // every site), for drift monitoring where it serves.
    let names: Vec<String> = pipeline.feature_names();
    let tables: Vec<&aqcast_core::pipeline::Table> = sites.iter().map(|s| &s.table).collect();
    let reference = aqcast_train::drift_reference(&names, &tables, |t, i| t.times[i] <= train_end);
    let model = Model {
        metadata: md,
        features: features.clone(),
        named_features: true,
        heads: model_heads.heads,
        pipeline: Some(pipeline),
        forecast: Some(model_heads.spec),
        reference: Some(reference),
    };
    let bytes = trained::write_model(&output, &model, true)?;
    let report = Report {
        name,
        model: output.display().to_string(),
        model_bytes: bytes.len(),
        params,
        threads: n_threads,
        features,
        forecast: model_heads.report,
    };
    let html = report::forecast_html(
        &format!("aqcast forecast report: {}", report.name),
        &report.forecast,
        &report.features,
        &model_heads.curves,
    );
    let (paths, json_bytes) = trained::write_reports(&output, &report, &html)?;
    if json {
        super::emit(None, |w| {
            w.write_all(&json_bytes)?;
            writeln!(w)
        })?;
        return Ok(output);
    }
    super::emit(None, |w| {
        print_table(w, &report.forecast)?;
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

/// The steps a summary table shows: every step up to 3, then 6, 12, 24, … (every step
/// of a short forecast).
pub fn summary_steps(steps: u32) -> Vec<u32> {
    if steps <= 12 {
        return (1..=steps).collect();
    }
    let mut v: Vec<u32> = [1, 2, 3, 6, 12, 18, 24, 36, 48, 60, 72, 96, 120, 168, 240]
        .into_iter()
        .filter(|&k| k <= steps)
        .collect();
    if v.last() != Some(&steps) {
        v.push(steps);
    }
    v
}

/// The per-step table of a forecast report, as `aqcast train` and `aqcast evaluate`
/// print it.
pub fn print_table(w: &mut dyn Write, r: &forecast::Report) -> std::io::Result<()> {
    writeln!(
        w,
        "{:>5} {:>6} {:>8} {:>8} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "ahead",
        "n",
        "RMSE",
        "MAE",
        "coverage",
        "(trained)",
        "width",
        "skill",
        "persist",
        "clim",
        "AQI acc"
    )?;
    for k in summary_steps(r.steps) {
        let Some(s) = r.per_step.iter().find(|s| s.step == k) else {
            continue;
        };
        let b = |n: &str| s.baselines.get(n).map_or(f64::NAN, |b| b.rmse);
        writeln!(
            w,
            "{:>5} {:>6} {:>8.3} {:>8.3} {:>8.1}% {:>8.1}% {:>8.2} {:>8.3} {:>8.3} {:>8.3} {:>7.1}%",
            k,
            s.n,
            s.rmse,
            s.mae,
            100.0 * s.coverage,
            100.0 * s.static_coverage,
            s.width,
            s.skill.get("persistence").copied().unwrap_or(f64::NAN),
            b("persistence"),
            b("climatology"),
            100.0 * s.category_accuracy
        )?;
    }
    writeln!(
        w,
        "RMSE, MAE, width in {}; skill = 1 − RMSE / RMSE(persistence); coverage of the P{:.0}–P{:.0} band as served (tracked, for a model that tracks its bands) and (with the calibration as trained); {}",
        r.unit,
        r.quantiles[0] * 100.0,
        r.quantiles[2] * 100.0,
        r.test
    )?;
    print_conditional(w, r)?;
    let Some(ahead) = &r.ahead else {
        return Ok(());
    };
    writeln!(
        w,
        "\nweather read ahead ({}): skill against persistence",
        ahead.variables.join(", ")
    )?;
    writeln!(
        w,
        "{:>5} {:>10} {:>10} {:>10}",
        "ahead", "without", "forecast", "measured"
    )?;
    for k in summary_steps(r.steps) {
        let Some(s) = r.per_step.iter().find(|s| s.step == k) else {
            continue;
        };
        let Some(x) = &s.weather else {
            continue;
        };
        let without = if x.skill_without.is_nan() {
            "–".to_string()
        } else {
            format!("{:.3}", x.skill_without)
        };
        writeln!(
            w,
            "{:>5} {:>10} {:>10.3} {:>10.3}",
            k,
            without,
            s.skill.get("persistence").copied().unwrap_or(f64::NAN),
            x.skill_observed
        )?;
    }
    let errors: Vec<String> = ahead
        .errors
        .iter()
        .map(|(v, e)| format!("{v} ±({} + {}/day)", e.sigma, e.per_day))
        .collect();
    writeln!(
        w,
        "without: the same task trained without the weather (– where none was trained: `aqcast evaluate`); forecast: the measured weather blurred by a forecast's error at each lead time ({}), as served and scored above; measured: the weather as measured then (an upper bound)",
        errors.join(", ")
    )
}

/// The band's coverage by the level measured at the origin: per fifth for the summary
/// steps, and per AQI category over every step.
fn print_conditional(w: &mut dyn Write, r: &forecast::Report) -> std::io::Result<()> {
    let e = &r.level_fifths;
    if e.len() != 4 {
        return Ok(());
    }
    let labels = [
        format!("≤ {:.1}", e[0]),
        format!("{:.1}–{:.1}", e[0], e[1]),
        format!("{:.1}–{:.1}", e[1], e[2]),
        format!("{:.1}–{:.1}", e[2], e[3]),
        format!("> {:.1}", e[3]),
    ];
    writeln!(
        w,
        "\ncoverage of the band by the level measured at the origin ({}), fifths of the test origins",
        r.unit
    )?;
    write!(w, "{:>5}", "ahead")?;
    for l in &labels {
        write!(w, " {l:>12}")?;
    }
    writeln!(w)?;
    for k in summary_steps(r.steps) {
        let Some(s) = r.per_step.iter().find(|s| s.step == k) else {
            continue;
        };
        write!(w, "{k:>5}")?;
        for c in &s.coverage_by_level {
            write!(w, " {:>11.1}%", 100.0 * c)?;
        }
        writeln!(w)?;
    }
    let mut names: Vec<&str> = Vec::new();
    for s in &r.per_step {
        for c in &s.coverage_by_category {
            if !names.contains(&c.category.as_str()) {
                names.push(&c.category);
            }
        }
    }
    writeln!(w, "by the AQI category at the origin, over every step:")?;
    for name in names {
        let (mut lo, mut hi, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0);
        for c in r
            .per_step
            .iter()
            .flat_map(|s| s.coverage_by_category.iter().filter(|c| c.category == name))
        {
            lo = lo.min(c.coverage);
            hi = hi.max(c.coverage);
            n = n.max(c.n);
        }
        writeln!(
            w,
            "  {name:<30} {:>5.1}–{:.1} % ({n} origins)",
            100.0 * lo,
            100.0 * hi
        )?;
    }
    Ok(())
}
