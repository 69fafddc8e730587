//! `aqcast tune`: hyper-parameter search with cross-validation on the training rows.

use std::path::PathBuf;

use crate::commands::train::{load, TaskData};
use crate::config::Config;
use crate::error::CliError;
use aqcast_train::tune;

/// Arguments of `aqcast tune`.
#[derive(clap::Args)]
pub struct Args {
    /// The task (its [tune] section: trials, sampler, folds, space) and its data.
    #[command(flatten)]
    task: TaskData,
    /// Trials (overrides [tune] trials).
    #[arg(long)]
    trials: Option<usize>,
    /// Horizon to tune for (default: the task's first).
    #[arg(long)]
    horizon: Option<u32>,
    /// Write the best [train] section here (TOML), ready to paste into the task file.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print every trial as JSON instead of the table.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<(), CliError> {
    if a.task.table.is_some() {
        return tune(a, None);
    }
    // Tuned on the store's data: the run is recorded there.
    let mut log = crate::runlog::Run::start("tune", &a.task.config, &a.task.store);
    let result = tune(a, Some(&mut log));
    log.finish(&result);
    result
}

fn tune(a: Args, log: Option<&mut crate::runlog::Run>) -> Result<(), CliError> {
    let config = Config::read(&a.task.config)?;
    let mut t = config.tune.clone();
    if let Some(n) = a.trials {
        t.trials = n;
    }
    let bad = |m: String| CliError::Task {
        path: a.task.config.clone(),
        message: m,
    };
    t.validate().map_err(CliError::train(&a.task.config))?;
    let super::train::TaskTable {
        table,
        is_train,
        data,
        ..
    } = load(&a.task, &config)?;
    let horizons = config.target(&a.task.config)?.horizons;
    let h = a.horizon.unwrap_or(horizons[0]);
    let hi = horizons
        .iter()
        .position(|&x| x == h)
        .ok_or_else(|| bad(format!("the task has no horizon {h} (it has {horizons:?})")))?;
    let y_all = &table.targets[hi].values;
    let rows: Vec<usize> = (0..table.times.len())
        .filter(|&r| is_train[r] && y_all[r].is_finite())
        .collect();
    let cols: Vec<Vec<f64>> = table
        .features
        .iter()
        .map(|c| rows.iter().map(|&r| c.values[r]).collect())
        .collect();
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let y: Vec<f64> = rows.iter().map(|&r| y_all[r]).collect();
    let gap = *horizons.iter().max().unwrap_or(&1) as usize;
    let names: Vec<String> = t.space.keys().cloned().collect();
    if !a.json {
        println!(
            "{:>5} {:>12} {:>7}  {}",
            "trial",
            "cv loss",
            "pruned",
            names.join("  ")
        );
    }
    let trials = tune::run(&t, &config.train, &refs, &y, gap, |trial| {
        if !a.json {
            let vals: Vec<String> = trial.params.values().map(|v| format!("{v:.4}")).collect();
            println!(
                "{:>5} {:>12.5} {:>7}  {}",
                trial.number,
                trial.loss,
                if trial.pruned { "yes" } else { "" },
                vals.join("  ")
            );
        }
    })
    .map_err(CliError::train(&a.task.config))?;
    let best = tune::best(&trials).ok_or_else(|| bad("every trial was pruned".into()))?;
    let mut params = config.train.clone();
    tune::apply(&mut params, &best.params);
    if let Some(log) = log {
        let r = log.record();
        r.metrics.insert("best.score".into(), best.loss);
        r.metrics.insert("trials".into(), trials.len() as f64);
        r.metrics.insert("best.trial".into(), best.number as f64);
        r.data = data
            .iter()
            .map(aqcast_core::published::DataFile::from)
            .collect();
        r.params.extend(params.to_strings());
    }
    let toml = toml::to_string(&serde_json::json!({ "train": params }))
        .map_err(|e| CliError::Usage(format!("cannot write the best parameters: {e}")))?;
    if a.json {
        let json = serde_json::to_string_pretty(
            &serde_json::json!({ "trials": trials, "best": best, "train": params }),
        )
        .map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{json}");
    } else {
        println!("best: trial {} (cv loss {:.5})", best.number, best.loss);
    }
    match &a.output {
        Some(p) => crate::files::write_atomic(p, |w| w.write_all(toml.as_bytes())),
        None if !a.json => {
            print!("{toml}");
            Ok(())
        }
        None => Ok(()),
    }
}
