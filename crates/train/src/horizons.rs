//! Training a predicting model (a task without `[forecast]`): one head per horizon, and
//! one more per quantile, each on the task's feature table, measured on the test rows.
//! The quantile heads are measured as they are served: sorted per row, so bands never
//! cross.

use std::collections::BTreeMap;
use std::time::Instant;

use aqcast_core::aqi::{self, Table as AqiTable};
use aqcast_core::artifact::Score;
use aqcast_core::pipeline::Table;
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::{Head, Matrix, Predictor};
use serde::Serialize;

use crate::{loss, metrics, Error, Objective, Params};

/// What training a predicting model needs.
pub struct Task<'a> {
    /// The feature table: the features, and one target column per horizon.
    pub table: &'a Table,
    /// Which rows train (the others are the test rows).
    pub is_train: &'a [bool],
    /// The horizons, in grid steps, in the order of the table's targets.
    pub horizons: &'a [u32],
    /// The target's name, recorded in every head.
    pub target: &'a str,
    /// The grid step in seconds.
    pub step_seconds: i64,
    /// Boosting parameters; each of `params.quantiles` adds a quantile head per horizon.
    pub params: &'a Params,
    /// The target's pollutant and unit, when it has an AQI: the test then also scores
    /// the AQI category.
    pub rated: Option<(Pollutant, Unit)>,
}

/// One trained head's record in the report.
#[derive(Clone, Debug, Serialize)]
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

impl HeadReport {
    /// The head's title: `h24`, `h24 q0.9`.
    pub fn title(&self) -> String {
        match self.quantile {
            Some(q) => format!("h{} q{q}", self.horizon),
            None => format!("h{}", self.horizon),
        }
    }
}

/// One head's test rows, for the report's plots.
#[derive(Clone, Debug, Default)]
pub struct TestSeries {
    /// The rows' times (Unix seconds, UTC).
    pub times: Vec<i64>,
    /// What was measured.
    pub actual: Vec<f64>,
    /// What the head predicted.
    pub predicted: Vec<f64>,
}

/// A trained predicting model's heads and how each did.
pub struct Trained {
    /// The heads: per horizon, the central head then one per quantile.
    pub heads: Vec<Head>,
    /// One record per head, in the same order.
    pub reports: Vec<HeadReport>,
    /// One test series per head, in the same order.
    pub tests: Vec<TestSeries>,
    /// What a person should know about the run (no test rows, say).
    pub warnings: Vec<String>,
}

impl Trained {
    /// Every head's test metrics by name (`h24.rmse`, `h24.q0.9.pinball`, …), as the
    /// artifact's metadata lists them for people and for readers older than its typed
    /// scores.
    pub fn metrics(&self) -> std::collections::BTreeMap<String, f64> {
        let mut out = std::collections::BTreeMap::new();
        for r in &self.reports {
            let Some(test) = &r.test else { continue };
            let key = match r.quantile {
                Some(q) => format!("h{}.q{q}", r.horizon),
                None => format!("h{}", r.horizon),
            };
            out.insert(format!("{key}.rmse"), test.rmse);
            out.insert(format!("{key}.mae"), test.mae);
            if let Some(p) = test.pinball {
                out.insert(format!("{key}.pinball"), p);
            }
        }
        out
    }

    /// The central heads' test scores by horizon, as the artifact carries them.
    pub fn scores(&self) -> Vec<Score> {
        self.reports
            .iter()
            .filter(|r| r.quantile.is_none())
            .filter_map(|r| {
                Some(Score {
                    step: r.horizon,
                    rmse: r.test.as_ref()?.rmse,
                    skill: None,
                    coverage: None,
                    width: None,
                })
            })
            .collect()
    }
}

/// The AQI category of a value of `p` in `unit` (2024 table), when the pair has one.
pub fn category_of(p: Pollutant, unit: Unit) -> Option<impl Fn(f64) -> Option<u8>> {
    aqi::compute(p, 1.0, unit, None, AqiTable::Y2024).ok()?;
    Some(move |v: f64| {
        aqi::compute(p, v.max(0.0), unit, None, AqiTable::Y2024)
            .ok()
            .map(|r| r.category as u8)
    })
}

/// Trains every head of the task, calling `on_head` with each head's title
/// ([`HeadReport::title`]) before it grows and `on_tree` after each tree.
pub fn train(
    task: &Task,
    on_head: &dyn Fn(&str),
    on_tree: &(dyn Fn() + Sync),
) -> Result<Trained, Error> {
    let table = task.table;
    let names: Vec<String> = table.features.iter().map(|c| c.name.clone()).collect();
    let category = task.rated.and_then(|(p, u)| category_of(p, u));
    let params = task.params;
    let mut out = Trained {
        heads: Vec::new(),
        reports: Vec::new(),
        tests: Vec::new(),
        warnings: Vec::new(),
    };
    for (hi, &h) in task.horizons.iter().enumerate() {
        let y_all = &table.targets[hi].values;
        let pick = |want_train: bool| -> Vec<usize> {
            (0..table.times.len())
                .filter(|&r| task.is_train[r] == want_train && y_all[r].is_finite())
                .collect()
        };
        let (tr, te) = (pick(true), pick(false));
        if tr.is_empty() {
            return Err(Error::TooFewRows("no training row has a target".into())
                .about(format!("horizon {h}")));
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
        let test_times: Vec<i64> = te.iter().map(|&r| table.times[r]).collect();
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
            on_head(&match q {
                Some(q) => format!("h{h} q{q}"),
                None => format!("h{h}"),
            });
            let started = Instant::now();
            let what = || match q {
                Some(q) => format!("horizon {h}, quantile {q}"),
                None => format!("horizon {h}"),
            };
            let trained = crate::train_with_progress(&col_refs, &y, &p, on_tree)
                .map_err(|e| e.about(what()))?;
            let seconds = started.elapsed().as_secs_f64();
            let pred = if te.is_empty() {
                Vec::new()
            } else {
                Predictor::new(&trained.ensemble)?.predict(Matrix::RowMajorF64(&test_rows))?
            };
            if let Some(q) = q {
                quantile_preds.push((q, pred.clone()));
            }
            let test = (!y_test.is_empty()).then(|| {
                let mut m = metrics::evaluate(&pred, &y_test, q);
                if let Some(cat) = &category {
                    m.aqi_category_accuracy = metrics::category_accuracy(&pred, &y_test, cat);
                }
                m
            });
            out.tests.push(TestSeries {
                times: test_times.clone(),
                actual: y_test.clone(),
                predicted: pred,
            });
            out.reports.push(HeadReport {
                horizon: h,
                quantile: q,
                objective: p.objective,
                train_rows: tr.len(),
                trees: trained.best_iteration,
                train_seconds: seconds,
                test,
                train_curve: trained.train_curve,
                valid_curve: trained.valid_curve,
                importance_gain: names.iter().cloned().zip(trained.gain).collect(),
                importance_splits: names.iter().cloned().zip(trained.splits).collect(),
            });
            out.heads.push(Head {
                target: task.target.to_string(),
                horizon_hours: Some((i64::from(h) * task.step_seconds / 3600) as u32),
                quantile: q,
                ensemble: trained.ensemble,
            });
        }
        served_pinball(&mut out.reports, h, &mut quantile_preds, &y_test);
    }
    if out.reports.iter().all(|r| r.test.is_none()) {
        out.warnings.push(
            "no test rows (nothing measured after the split's train_end): the test metrics are left out"
                .into(),
        );
    }
    Ok(out)
}

/// Sets the pinball loss of horizon `h`'s quantile heads as served: the heads' outputs
/// sorted per row, so that bands never cross.
fn served_pinball(
    reports: &mut [HeadReport],
    h: u32,
    quantile_preds: &mut [(f64, Vec<f64>)],
    y_test: &[f64],
) {
    if quantile_preds.len() < 2 {
        return;
    }
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
        let Some(test) = reports
            .iter_mut()
            .find(|r| r.horizon == h && r.quantile == Some(*q))
            .and_then(|r| r.test.as_mut())
        else {
            continue;
        };
        test.pinball = Some(
            s.iter()
                .zip(y_test)
                .map(|(&p, &t)| loss::pinball(p, t, *q))
                .sum::<f64>()
                / n.max(1) as f64,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::pipeline::Column;

    fn table(n: usize) -> (Table, Vec<bool>) {
        let x: Vec<f64> = (0..n).map(|i| (i % 17) as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 1.0).collect();
        let t = Table {
            times: (0..n as i64).map(|i| i * 3600).collect(),
            features: vec![Column {
                name: "x".into(),
                values: x,
            }],
            targets: vec![Column {
                name: "target_h1".into(),
                values: y,
            }],
        };
        let is_train = (0..n).map(|i| i < n * 3 / 4).collect();
        (t, is_train)
    }

    #[test]
    fn every_horizon_and_quantile_gets_a_head_and_a_score() {
        let (t, is_train) = table(400);
        let params = Params {
            trees: 20,
            quantiles: vec![0.1, 0.9],
            ..Params::default()
        };
        let trained = train(
            &Task {
                table: &t,
                is_train: &is_train,
                horizons: &[1],
                target: "no2",
                step_seconds: 3600,
                params: &params,
                rated: Some((Pollutant::No2, Unit::Ppb)),
            },
            &|_| {},
            &|| {},
        )
        .unwrap();
        assert_eq!(trained.heads.len(), 3);
        let titles: Vec<String> = trained.reports.iter().map(HeadReport::title).collect();
        assert_eq!(titles, ["h1", "h1 q0.1", "h1 q0.9"]);
        // One score: the central head's, and a good one on a noise-free line.
        let scores = trained.scores();
        assert_eq!(scores.len(), 1);
        assert!(scores[0].rmse < 2.0, "{scores:?}");
        assert!(trained.reports[0]
            .test
            .as_ref()
            .unwrap()
            .aqi_category_accuracy
            .is_some());
        // The quantile heads' pinball loss is taken as served (sorted per row).
        assert!(trained.reports[1].test.as_ref().unwrap().pinball.is_some());
        assert!(trained.warnings.is_empty());
    }

    #[test]
    fn a_horizon_without_training_rows_is_an_error_that_names_it() {
        let (mut t, is_train) = table(50);
        t.targets[0].values.iter_mut().for_each(|v| *v = f64::NAN);
        let e = train(
            &Task {
                table: &t,
                is_train: &is_train,
                horizons: &[6],
                target: "no2",
                step_seconds: 3600,
                params: &Params::default(),
                rated: None,
            },
            &|_| {},
            &|| {},
        )
        .err()
        .unwrap();
        assert_eq!(e.to_string(), "horizon 6: no training row has a target");
    }
}
