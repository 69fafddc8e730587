//! Hyper-parameter search: random sampling and a TPE-like sampler (Bergstra et al. 2011:
//! after a few random trials, each parameter is drawn where a Parzen density of the best
//! quarter of trials is high relative to that of the rest), a trial budget, median
//! pruning between folds, all reproducible from a seed.

use std::collections::BTreeMap;

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::cv::{self, Scheme};
use super::gbdt::{train, Params};

/// The range of one parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Smallest value.
    pub low: f64,
    /// Largest value.
    pub high: f64,
    /// Sample on a log scale.
    #[serde(default)]
    pub log: bool,
    /// Round to an integer.
    #[serde(default)]
    pub int: bool,
}

/// Samplers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampler {
    /// Uniform (or log-uniform) sampling.
    Random,
    /// Tree-structured Parzen estimator (independent per parameter).
    Tpe,
}

/// `[tune]` of a task file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tune {
    /// Trials to run.
    pub trials: usize,
    /// `random` or `tpe`.
    pub sampler: Sampler,
    /// Random trials before TPE takes over.
    pub startup_trials: usize,
    /// Seed of the sampler (and of K-fold shuffling).
    pub seed: u64,
    /// Folds.
    pub folds: usize,
    /// `time_series` or `k_fold`.
    pub cv: Scheme,
    /// Rows left out between training and validation in time-series folds (default: the
    /// largest horizon, so no target leaks).
    pub gap: Option<usize>,
    /// Stop a trial after a fold whose running mean loss is worse than the median of the
    /// finished trials at that fold.
    pub prune: bool,
    /// The search space: `[train]` parameter name → range.
    pub space: BTreeMap<String, Range>,
}

impl Default for Tune {
    fn default() -> Self {
        Tune {
            trials: 20,
            sampler: Sampler::Tpe,
            startup_trials: 8,
            seed: 0,
            folds: 3,
            cv: Scheme::TimeSeries,
            gap: None,
            prune: true,
            space: BTreeMap::new(),
        }
    }
}

/// Parameters a search may set, with whether they are integers.
const TUNABLE: [(&str, bool); 12] = [
    ("learning_rate", false),
    ("num_leaves", true),
    ("max_depth", true),
    ("min_data_in_leaf", true),
    ("min_sum_hessian_in_leaf", false),
    ("lambda_l1", false),
    ("lambda_l2", false),
    ("min_split_gain", false),
    ("feature_fraction", false),
    ("bagging_fraction", false),
    ("trees", true),
    ("huber_delta", false),
];

impl Tune {
    /// Checks the search space.
    pub fn validate(&self) -> Result<(), crate::Error> {
        if self.trials == 0 || self.folds < 2 {
            return Err(crate::Error::Setting(
                "tune: trials must be ≥ 1 and folds ≥ 2".into(),
            ));
        }
        if self.space.is_empty() {
            return Err(crate::Error::Setting("tune: the search space is empty; add e.g. [tune.space.learning_rate] low = 0.01, high = 0.3, log = true".into()));
        }
        for (name, r) in &self.space {
            if !TUNABLE.iter().any(|t| t.0 == name) {
                let names: Vec<&str> = TUNABLE.iter().map(|t| t.0).collect();
                return Err(crate::Error::Setting(format!(
                    "tune: {name:?} cannot be tuned; these can: {}",
                    names.join(", ")
                )));
            }
            if !(r.low.is_finite() && r.high.is_finite() && r.low <= r.high)
                || (r.log && r.low <= 0.0)
            {
                return Err(crate::Error::Setting(format!(
                    "tune: {name}: need low ≤ high (and low > 0 on a log scale)"
                )));
            }
        }
        Ok(())
    }
}

fn set(p: &mut Params, name: &str, v: f64) {
    match name {
        "learning_rate" => p.learning_rate = v,
        "num_leaves" => p.num_leaves = v as usize,
        "max_depth" => p.max_depth = v as usize,
        "min_data_in_leaf" => p.min_data_in_leaf = v as usize,
        "min_sum_hessian_in_leaf" => p.min_sum_hessian_in_leaf = v,
        "lambda_l1" => p.lambda_l1 = v,
        "lambda_l2" => p.lambda_l2 = v,
        "min_split_gain" => p.min_split_gain = v,
        "feature_fraction" => p.feature_fraction = v,
        "bagging_fraction" => {
            p.bagging_fraction = v;
            if v < 1.0 && p.bagging_freq == 0 {
                p.bagging_freq = 1;
            }
        }
        "trees" => p.trees = v as usize,
        "huber_delta" => p.huber_delta = v,
        _ => {}
    }
}

/// One trial.
#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    /// Number, from 0.
    pub number: usize,
    /// Parameter values.
    pub params: BTreeMap<String, f64>,
    /// Mean validation loss over the folds run.
    pub loss: f64,
    /// Loss after each fold run.
    pub fold_losses: Vec<f64>,
    /// Stopped early by the pruner.
    pub pruned: bool,
}

fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn to_unit(r: &Range, v: f64) -> f64 {
    let (lo, hi, x) = if r.log {
        (r.low.ln(), r.high.ln(), v.ln())
    } else {
        (r.low, r.high, v)
    };
    if hi > lo {
        (x - lo) / (hi - lo)
    } else {
        0.5
    }
}

fn from_unit(r: &Range, u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    let v = if r.log {
        (r.low.ln() + u * (r.high.ln() - r.low.ln())).exp()
    } else {
        r.low + u * (r.high - r.low)
    };
    if r.int {
        v.round().clamp(r.low.ceil(), r.high.floor())
    } else {
        v.clamp(r.low, r.high)
    }
}

/// Kernel width for `n` points on [0, 1] (Scott-like, kept from collapsing).
fn bandwidth(n: usize) -> f64 {
    (0.3 * (n.max(1) as f64).powf(-0.2)).clamp(0.04, 0.5)
}

/// Parzen density at `u` of points `xs` (in [0, 1]) plus a wide prior at 0.5.
fn parzen(u: f64, xs: &[f64]) -> f64 {
    let n = xs.len() as f64 + 1.0;
    let bw = bandwidth(xs.len());
    let k = |c: f64, b: f64| (-0.5 * ((u - c) / b).powi(2)).exp() / b;
    (xs.iter().map(|&c| k(c, bw)).sum::<f64>() + k(0.5, 1.0)) / n
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = uniform(rng).max(1e-300);
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Folds `x` back into [0, 1] at the edges (so edges do not collect the mass).
fn reflect(x: f64) -> f64 {
    let x = if x < 0.0 { -x } else { x };
    let x = if x > 1.0 { 2.0 - x } else { x };
    x.clamp(0.0, 1.0)
}

/// Samples the next trial's parameters.
fn sample(t: &Tune, done: &[Trial], rng: &mut ChaCha8Rng) -> BTreeMap<String, f64> {
    let finished: Vec<&Trial> = done
        .iter()
        .filter(|x| !x.pruned && x.loss.is_finite())
        .collect();
    let tpe = t.sampler == Sampler::Tpe && finished.len() >= t.startup_trials.max(2);
    let mut out = BTreeMap::new();
    for (name, r) in &t.space {
        let u = if tpe {
            let mut sorted = finished.clone();
            sorted.sort_by(|a, b| a.loss.total_cmp(&b.loss));
            let n_good = ((sorted.len() as f64 * 0.25).ceil() as usize).max(1);
            let good: Vec<f64> = sorted[..n_good]
                .iter()
                .map(|x| to_unit(r, x.params[name]))
                .collect();
            let bad: Vec<f64> = sorted[n_good..]
                .iter()
                .map(|x| to_unit(r, x.params[name]))
                .collect();
            // 24 candidates drawn from the good trials' density; keep the best l/g ratio.
            let bw = bandwidth(good.len());
            let mut best = (f64::NEG_INFINITY, 0.5);
            for _ in 0..24 {
                let c = good[(rng.next_u64() % good.len() as u64) as usize];
                let x = reflect(c + bw * normal(rng));
                let score = parzen(x, &good) / parzen(x, &bad).max(1e-12);
                if score > best.0 {
                    best = (score, x);
                }
            }
            best.1
        } else {
            uniform(rng)
        };
        out.insert(name.clone(), from_unit(r, u));
    }
    out
}

/// Runs the search on rows `columns`/`y` (in time order) with `base` parameters.
pub fn run(
    t: &Tune,
    base: &Params,
    columns: &[&[f64]],
    y: &[f64],
    gap: usize,
    mut progress: impl FnMut(&Trial),
) -> Result<Vec<Trial>, crate::Error> {
    t.validate()?;
    let folds = cv::folds(y.len(), t.folds, t.cv, t.gap.unwrap_or(gap), t.seed)?;
    let mut rng = ChaCha8Rng::seed_from_u64(t.seed);
    let mut trials: Vec<Trial> = Vec::new();
    for number in 0..t.trials {
        let values = sample(t, &trials, &mut rng);
        let mut p = base.clone();
        p.early_stopping_rounds = None;
        for (k, v) in &values {
            set(&mut p, k, *v);
        }
        p.validate()
            .map_err(|e| e.about(format!("trial {number}")))?;
        let mut fold_losses = Vec::new();
        let mut pruned = false;
        for (j, (tr, va)) in folds.iter().enumerate() {
            let cols: Vec<Vec<f64>> = columns
                .iter()
                .map(|c| tr.iter().map(|&r| c[r]).collect())
                .collect();
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let ytr: Vec<f64> = tr.iter().map(|&r| y[r]).collect();
            let trained = train(&refs, &ytr, &p)?;
            let predictor = aqcast_core::Predictor::new(&trained.ensemble)?;
            let rows: Vec<f64> = va
                .iter()
                .flat_map(|&r| columns.iter().map(move |c| c[r]))
                .collect();
            let pred = predictor.predict(aqcast_core::Matrix::RowMajorF64(&rows))?;
            let loss = super::loss::Loss {
                objective: p.objective,
                alpha: p.alpha,
                delta: p.huber_delta,
            };
            let l = pred
                .iter()
                .zip(va)
                .map(|(&q, &r)| loss.loss(q, y[r]))
                .sum::<f64>()
                / va.len() as f64;
            fold_losses.push(l);
            let running = fold_losses.iter().sum::<f64>() / fold_losses.len() as f64;
            let peers: Vec<f64> = trials
                .iter()
                .filter(|x| x.fold_losses.len() > j)
                .map(|x| x.fold_losses[..=j].iter().sum::<f64>() / (j + 1) as f64)
                .collect();
            if t.prune && j + 1 < folds.len() && peers.len() >= t.startup_trials.max(2) {
                let mut s = peers.clone();
                s.sort_by(f64::total_cmp);
                let median = s[s.len() / 2];
                if running > median {
                    pruned = true;
                    break;
                }
            }
        }
        let loss = fold_losses.iter().sum::<f64>() / fold_losses.len() as f64;
        let trial = Trial {
            number,
            params: values,
            loss,
            fold_losses,
            pruned,
        };
        progress(&trial);
        trials.push(trial);
    }
    Ok(trials)
}

/// The best finished trial.
pub fn best(trials: &[Trial]) -> Option<&Trial> {
    trials
        .iter()
        .filter(|t| !t.pruned)
        .min_by(|a, b| a.loss.total_cmp(&b.loss))
}

/// Sets a trial's values on parameters.
pub fn apply(p: &mut Params, values: &BTreeMap<String, f64>) {
    for (k, v) in values {
        set(p, k, *v);
    }
}
