//! `aqcast evaluate`: a model (with its bundled pipeline) against the data in a store.

use std::path::PathBuf;

use aqcast_core::pipeline::Table;
use aqcast_core::{Matrix, Model, Predictor};

use crate::error::CliError;
use crate::load_model;
use aqcast_train::metrics;

/// Arguments of `aqcast evaluate`.
#[derive(clap::Args)]
pub struct Args {
    /// The model (.aqm with a pipeline, as `aqcast train` writes).
    #[arg(long)]
    model: PathBuf,
    /// The store holding the observations.
    #[arg(long, default_value = "aqcast-store")]
    store: String,
    /// The site to evaluate on (default: the site the model was trained on).
    #[arg(long)]
    site: Option<String>,
    /// First hour evaluated (YYYY-MM-DD HH:MM:SS, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Last hour evaluated (a date alone: the end of that day).
    #[arg(long)]
    to: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Whether a time is a date without a time of day (`2014-12-31`).
fn is_date_only(text: &str) -> bool {
    let t = text.trim();
    t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-'
}

pub fn run(a: Args) -> Result<(), CliError> {
    let model = load_model(&a.model)?;
    let bad = |m: String| CliError::Task {
        path: a.model.clone(),
        message: m,
    };
    let pipeline = model
        .pipeline
        .as_ref()
        .ok_or_else(|| bad("the model carries no pipeline, so it cannot read raw observations; evaluate it with `aqcast predict` on a feature table".into()))?;
    let target = pipeline
        .spec
        .target
        .as_ref()
        .ok_or_else(|| bad("the model's pipeline has no target".into()))?;
    let when = |s: &Option<String>, what: &str| {
        s.as_ref()
            .map(|t| {
                aqcast_core::time::parse_datetime(t)
                    .ok_or_else(|| CliError::Usage(format!("--{what} {t:?} is not a timestamp")))
            })
            .transpose()
    };
    let from = when(&a.from, "from")?;
    // A date alone as the end means the whole of that day.
    let to = when(&a.to, "to")?.map(|t| match &a.to {
        Some(text) if is_date_only(text) => t + 86_400 - 1,
        _ => t,
    });
    let site = a
        .site
        .clone()
        .or_else(|| model.metadata.params.get("site").cloned())
        .ok_or_else(|| {
            bad("the model does not name the site it was trained on; give --site".into())
        })?;
    let store = crate::datastore::open_read(&a.store)?;
    crate::datastore::require_site(&store, &site)?;
    let series = store.read_inputs(&site, &pipeline.spec.inputs)?;
    let table = pipeline
        .transform(&series, None)
        .map_err(CliError::model(&a.model))?;
    if let Some(spec) = &model.forecast {
        let ahead = aqcast_train::weather::observed(
            &series,
            &spec.ahead_variables(),
            &table,
            pipeline.spec.grid.step,
            spec.steps,
        );
        return evaluate_forecast(
            &a,
            &model,
            pipeline,
            spec,
            (&table, &ahead),
            &site,
            (from, to),
        );
    }
    let nf = table.features.len();
    let mut out = Vec::new();
    for (i, head) in model.heads.iter().enumerate() {
        let steps = head
            .horizon_hours
            .map(|h| i64::from(h) * 3600 / pipeline.spec.grid.step);
        let Some(ti) = steps.and_then(|s| target.horizons.iter().position(|&h| i64::from(h) == s))
        else {
            continue;
        };
        let y = &table.targets[ti].values;
        let rows: Vec<usize> = (0..table.times.len())
            .filter(|&r| {
                y[r].is_finite()
                    && from.is_none_or(|f| table.times[r] >= f)
                    && to.is_none_or(|t| table.times[r] <= t)
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let x: Vec<f64> = rows
            .iter()
            .flat_map(|&r| table.features.iter().map(move |c| c.values[r]))
            .collect();
        debug_assert_eq!(x.len(), rows.len() * nf);
        let pred = Predictor::new(&head.ensemble)
            .and_then(|p| p.predict(Matrix::RowMajorF64(&x)))
            .map_err(CliError::model(&a.model))?;
        let truth: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
        out.push((i, head, metrics::evaluate(&pred, &truth, head.quantile)));
    }
    if out.is_empty() {
        return Err(bad(format!(
            "no hour of site {:?} in the range has both features and a target",
            a.site
        )));
    }
    if a.json {
        let v: Vec<serde_json::Value> = out
            .iter()
            .map(|(i, h, m)| serde_json::json!({"head": i, "horizon_hours": h.horizon_hours, "quantile": h.quantile, "metrics": m}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| CliError::Usage(e.to_string()))?
        );
        return Ok(());
    }
    println!(
        "{:<6} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8} {:>9}",
        "head", "horizon", "quantile", "n", "RMSE", "MAE", "R²", "bias"
    );
    for (i, h, m) in &out {
        println!(
            "{:<6} {:>8} {:>8} {:>8} {:>10.4} {:>10.4} {:>8.4} {:>9.4}",
            i,
            h.horizon_hours.map_or("-".into(), |x| format!("{x} h")),
            h.quantile.map_or("-".into(), |q| q.to_string()),
            m.n,
            m.rmse,
            m.mae,
            m.r2,
            m.bias
        );
    }
    Ok(())
}

/// A forecasting model measured per step ahead against the baselines on the origins in
/// the range: the tables `aqcast train` prints for the test period.
fn evaluate_forecast(
    a: &Args,
    model: &Model,
    pipeline: &aqcast_core::pipeline::Pipeline,
    spec: &aqcast_core::forecast::Spec,
    (table, ahead): (&Table, &aqcast_core::forecast::AheadGrid),
    site: &str,
    (from, to): (Option<i64>, Option<i64>),
) -> Result<(), CliError> {
    let bad = |m: String| CliError::Task {
        path: a.model.clone(),
        message: m,
    };
    let fit_until = model
        .metadata
        .params
        .get("calibration_start")
        .and_then(|t| aqcast_core::time::parse_datetime(t))
        .ok_or_else(|| bad("the model does not record where its training ended (params.calibration_start); retrain it with this aqcast".into()))?;
    let rows: Vec<usize> = (0..table.times.len())
        .filter(|&r| {
            from.is_none_or(|f| table.times[r] >= f) && to.is_none_or(|t| table.times[r] <= t)
        })
        .collect();
    let predictors: Vec<Predictor> = [spec.heads.lower, spec.heads.median, spec.heads.upper]
        .iter()
        .map(|&i| Predictor::new(&model.heads[i as usize].ensemble))
        .collect::<Result<_, _>>()
        .map_err(CliError::model(&a.model))?;
    let y = aqcast_train::forecast::measured(table);
    let station = if spec.needs_station() {
        Some(spec.station(site).ok_or_else(|| {
            bad(format!(
                "station {site:?} is not one this model was trained on; give --site"
            ))
        })?)
    } else {
        None
    };
    // Inputs read ahead: measured, blurred by the forecast error the model records, as
    // training scored them.
    let blurred = aqcast_core::forecast::ahead::Blurred {
        observed: ahead,
        errors: &spec.ahead_error,
        step_seconds: pipeline.spec.grid.step,
        seed: aqcast_core::forecast::ahead::seed(station.map_or("", |s| s.id.as_str())),
    };
    let sites = [aqcast_train::forecast::Site {
        name: site,
        table,
        y: &y,
        rows: rows.clone(),
        station,
        ahead: &blurred,
    }];
    let evaluation = |sites: &[aqcast_train::forecast::Site]| {
        aqcast_train::forecast::evaluate(&aqcast_train::forecast::Evaluation {
            sites,
            predictors: &predictors,
            spec,
            levels: spec.levels(&model.heads),
            grid: &pipeline.spec.grid,
            fit_until,
        })
        .map(|(per_step, _)| per_step)
        .map_err(CliError::train(&a.model))
    };
    let mut per_step = evaluation(&sites)?;
    // A model that reads the weather ahead is also scored with the weather as measured:
    // what a perfect forecast of it would give.
    let variables = spec.ahead_variables();
    let ahead_report = if variables.is_empty() {
        None
    } else {
        let measured = [aqcast_train::forecast::Site {
            name: site,
            table,
            y: &y,
            rows: rows.clone(),
            station,
            ahead,
        }];
        let perfect = evaluation(&measured)?;
        for s in &mut per_step {
            if let Some(o) = perfect.iter().find(|o| o.step == s.step) {
                s.weather = Some(aqcast_train::forecast::WeatherSkill {
                    rmse_without: f64::NAN,
                    skill_without: f64::NAN,
                    rmse_observed: o.rmse,
                    skill_observed: o.skill.get("persistence").copied().unwrap_or(f64::NAN),
                });
            }
        }
        Some(aqcast_train::forecast::AheadReport {
            variables,
            errors: spec.ahead_error.clone(),
            note: "scored with the weather measured then, blurred by each variable's forecast error at the step's lead time (errors), and as measured (weather.skill_observed, an upper bound); the model without the weather is not at hand here (`aqcast train` reports it)".into(),
        })
    };
    if per_step.iter().all(|s| s.n == 0) {
        return Err(bad(format!(
            "no origin in the range has a target and every baseline (range: {} to {})",
            a.from.as_deref().unwrap_or("the first hour"),
            a.to.as_deref().unwrap_or("the last hour")
        )));
    }
    let fmt = aqcast_core::time::format_datetime;
    let report = aqcast_train::forecast::Report {
        design: "stacked".into(),
        steps: spec.steps,
        step_seconds: pipeline.spec.grid.step,
        unit: spec.unit.to_string(),
        quantiles: spec.levels(&model.heads),
        stride: 0,
        train_rows: 0,
        train_seconds: 0.0,
        calibration: spec.calibration_window.clone().unwrap_or_default(),
        test: match (rows.first(), rows.last()) {
            (Some(&f), Some(&l)) => {
                format!("origins {} to {}", fmt(table.times[f]), fmt(table.times[l]))
            }
            _ => "none".into(),
        },
        per_step,
        per_station: Vec::new(),
        warnings: Vec::new(),
        ahead: ahead_report,
        level_fifths: aqcast_train::forecast::level_fifths(&sites),
    };
    if a.json {
        let text = serde_json::to_string_pretty(&report.per_step)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    super::emit(None, |w| super::train_forecast::print_table(w, &report))
}
