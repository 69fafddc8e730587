//! Histogram gradient boosting (and random forests) on binned features: leaf-wise growth
//! as LightGBM does it, with histogram subtraction, learned directions for missing
//! values, L1/L2 regularisation, row and column subsampling, and early stopping.
//!
//! The trees come out as an [`Ensemble`] whose thresholds are the bins' upper bounds in
//! f64, so predicting with the core gives exactly the scores training computed.

use crate::Error;
use aqcast_core::ensemble::{Ensemble, Link, Precision};
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

use super::bins::BinMapper;
use super::loss::{percentile, Loss, Objective};

/// Which kind of ensemble to grow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Gradient-boosted trees.
    Gbdt,
    /// A random forest: bagged trees fitted to the same gradients, averaged.
    RandomForest,
}

/// Training parameters. Defaults are LightGBM's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// `gbdt` or `random_forest`.
    pub kind: Kind,
    /// `squared_error`, `absolute_error`, `huber`, `quantile` or `poisson`.
    pub objective: Objective,
    /// Quantile of the quantile objective.
    pub alpha: f64,
    /// Threshold of the Huber loss.
    pub huber_delta: f64,
    /// Boosting rounds (trees).
    pub trees: usize,
    /// Shrinkage.
    pub learning_rate: f64,
    /// Most leaves per tree.
    pub num_leaves: usize,
    /// Deepest a leaf may be (0: no limit).
    pub max_depth: usize,
    /// Most bins per feature (≤ 255).
    pub max_bin: usize,
    /// Fewest rows per bin.
    pub min_data_in_bin: usize,
    /// Fewest rows per leaf.
    pub min_data_in_leaf: usize,
    /// Smallest hessian sum per leaf.
    pub min_sum_hessian_in_leaf: f64,
    /// L1 regularisation of leaf values.
    pub lambda_l1: f64,
    /// L2 regularisation of leaf values.
    pub lambda_l2: f64,
    /// Smallest gain of a split.
    pub min_split_gain: f64,
    /// Fraction of rows each tree sees (with `bagging_freq` > 0).
    pub bagging_fraction: f64,
    /// Resample rows every this many trees (0: never).
    pub bagging_freq: usize,
    /// Fraction of features each tree may split on.
    pub feature_fraction: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Stop when the validation loss has not improved for this many rounds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_stopping_rounds: Option<usize>,
    /// With early stopping: the last fraction of the training rows (in time) held out.
    pub validation_fraction: f64,
    /// Threads (default: all cores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// Extra heads per horizon trained with the quantile loss, e.g. `[0.1, 0.5, 0.9]` for
    /// P10–P90 bands (`aqcast train`).
    pub quantiles: Vec<f64>,
    /// When set, each tree's leaves are rounded, as the tree is made, to whole multiples
    /// of one power of two with at most this many bits (sign included): a model a phone
    /// downloads in a fraction of the bytes (the artifact stores such leaves as small
    /// integers). The following trees learn from the rounded ones, so what is lost is
    /// the last tree's rounding. Unset: leaves stay full f64 (LightGBM's trees).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_bits: Option<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            kind: Kind::Gbdt,
            objective: Objective::SquaredError,
            alpha: 0.9,
            huber_delta: 1.0,
            trees: 100,
            learning_rate: 0.1,
            num_leaves: 31,
            max_depth: 0,
            max_bin: 255,
            min_data_in_bin: 3,
            min_data_in_leaf: 20,
            min_sum_hessian_in_leaf: 1e-3,
            lambda_l1: 0.0,
            lambda_l2: 0.0,
            min_split_gain: 0.0,
            bagging_fraction: 1.0,
            bagging_freq: 0,
            feature_fraction: 1.0,
            seed: 0,
            early_stopping_rounds: None,
            validation_fraction: 0.1,
            threads: None,
            quantiles: Vec::new(),
            leaf_bits: None,
        }
    }
}

/// Most trees a model may have.
pub const MAX_TREES: usize = 1_000_000;
/// Most worker threads: a few times the cores of any machine this runs on.
pub const MAX_THREADS: usize = 256;

impl Params {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), Error> {
        let frac = |v: f64| v > 0.0 && v <= 1.0;
        let checks = [
            (
                self.trees >= 1 && self.trees <= MAX_TREES,
                "trees must be in 1..=1000000",
            ),
            (
                self.learning_rate > 0.0 && self.learning_rate.is_finite(),
                "learning_rate must be > 0",
            ),
            (
                self.num_leaves >= 2 && self.num_leaves <= 131_072,
                "num_leaves must be in 2..=131072",
            ),
            (
                self.max_bin >= 2 && self.max_bin <= 255,
                "max_bin must be in 2..=255",
            ),
            (self.min_data_in_bin >= 1, "min_data_in_bin must be ≥ 1"),
            (
                self.min_sum_hessian_in_leaf >= 0.0,
                "min_sum_hessian_in_leaf must be ≥ 0",
            ),
            (
                self.lambda_l1 >= 0.0 && self.lambda_l2 >= 0.0,
                "lambda_l1 and lambda_l2 must be ≥ 0",
            ),
            (self.min_split_gain >= 0.0, "min_split_gain must be ≥ 0"),
            (
                frac(self.bagging_fraction),
                "bagging_fraction must be in (0, 1]",
            ),
            (
                frac(self.feature_fraction),
                "feature_fraction must be in (0, 1]",
            ),
            (
                self.alpha > 0.0 && self.alpha < 1.0,
                "alpha must be in (0, 1)",
            ),
            (self.huber_delta > 0.0, "huber_delta must be > 0"),
            (
                self.validation_fraction > 0.0 && self.validation_fraction < 1.0,
                "validation_fraction must be in (0, 1)",
            ),
            (
                self.threads.is_none_or(|t| (1..=MAX_THREADS).contains(&t)),
                "threads must be in 1..=256 (more threads than cores only slow training down)",
            ),
            (
                self.quantiles.iter().all(|q| *q > 0.0 && *q < 1.0),
                "quantiles must be in (0, 1)",
            ),
            (
                self.leaf_bits.is_none_or(|b| (4..=16).contains(&b)),
                "leaf_bits must be in 4..=16",
            ),
        ];
        match checks.iter().find(|c| !c.0) {
            Some((_, m)) => Err(Error::Setting((*m).to_string())),
            None => Ok(()),
        }
    }

    /// Every parameter that is set, as text: what a model's metadata and a run record
    /// carry (`trees` → `"300"`, `objective` → `"\"quantile\""`).
    pub fn to_strings(&self) -> std::collections::BTreeMap<String, String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(o)) => o
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            _ => std::collections::BTreeMap::new(),
        }
    }

    fn loss(&self) -> Loss {
        Loss {
            objective: self.objective,
            alpha: self.alpha,
            delta: self.huber_delta,
        }
    }
}

/// Binned training data, twice: feature-major for the partitions (a leaf's rows read one
/// feature's bins) and row-major for the histograms (a row's bins of every feature in
/// one slice).
pub struct Dataset {
    n_rows: usize,
    bins: Vec<u8>,
    by_row: Vec<u8>,
    mappers: Vec<BinMapper>,
}

impl Dataset {
    /// Bins the columns (one slice per feature, all of one length).
    pub fn new(columns: &[&[f64]], max_bin: usize, min_data_in_bin: usize) -> Dataset {
        let mappers: Vec<BinMapper> = columns
            .par_iter()
            .map(|c| BinMapper::fit(c, max_bin, min_data_in_bin))
            .collect();
        Self::with(columns, mappers)
    }

    /// Bins the columns with `mappers`.
    fn with(columns: &[&[f64]], mappers: Vec<BinMapper>) -> Dataset {
        let n_rows = columns.first().map_or(0, |c| c.len());
        let bins: Vec<u8> = columns
            .par_iter()
            .zip(&mappers)
            .flat_map_iter(|(c, m)| c.iter().map(move |&x| m.bin(x)))
            .collect();
        let nf = mappers.len();
        let mut by_row = vec![0u8; bins.len()];
        if nf > 0 {
            by_row.par_chunks_mut(nf).enumerate().for_each(|(r, row)| {
                for (f, b) in row.iter_mut().enumerate() {
                    *b = bins[f * n_rows + r];
                }
            });
        }
        Dataset {
            n_rows,
            bins,
            by_row,
            mappers,
        }
    }

    /// Feature `f`'s bins, one a row.
    fn col(&self, f: usize) -> &[u8] {
        &self.bins[f * self.n_rows..(f + 1) * self.n_rows]
    }

    /// Row `r`'s bins, one a feature.
    #[inline]
    fn row(&self, r: usize) -> &[u8] {
        let nf = self.mappers.len();
        &self.by_row[r * nf..(r + 1) * nf]
    }
}

/// A leaf's histograms, one for each feature the tree may split on (ascending):
/// per bin, the sums of gradients and hessians as two f64 lanes (one 16-byte add), in
/// 256 slots whatever the feature's bin count so that a `u8` bin indexes without a
/// check; and the row counts when hessians are not all 1 (under a unit hessian the
/// hessian lane is the count, exact in an f64, and `counts` is empty).
#[derive(Default)]
struct Histograms {
    sums: Vec<[[f64; 2]; 256]>,
    counts: Vec<[u32; 256]>,
}

/// The histograms of a group of features, which one thread builds and searches.
struct Group<'a> {
    /// The features, ascending.
    features: &'a [usize],
    sums: &'a mut [[[f64; 2]; 256]],
    /// Empty under a unit hessian.
    counts: &'a mut [[u32; 256]],
}

impl Group<'_> {
    /// Takes the histograms of `other` (the same features, over some of these rows) away
    /// from these, bin by bin: what is left is those of the other rows.
    fn subtract(&mut self, other: &Group, mappers: &[BinMapper]) {
        for (k, &f) in self.features.iter().enumerate() {
            let nb = mappers[f].total_bins();
            for (a, b) in self.sums[k][..nb].iter_mut().zip(&other.sums[k][..nb]) {
                a[0] -= b[0];
                a[1] -= b[1];
            }
            if let (Some(a), Some(b)) = (self.counts.get_mut(k), other.counts.get(k)) {
                for (a, b) in a[..nb].iter_mut().zip(&b[..nb]) {
                    *a -= b;
                }
            }
        }
    }
}

impl Histograms {
    /// All zero, for `features` features.
    fn zeroed(features: usize, unit_hessian: bool) -> Histograms {
        Histograms {
            sums: vec![[[0.0; 2]; 256]; features],
            counts: vec![[0; 256]; if unit_hessian { 0 } else { features }],
        }
    }

    /// Split into the groups of `active` (consecutive runs of `per` features).
    fn groups<'a>(&'a mut self, active: &'a [usize], per: usize) -> Vec<Group<'a>> {
        let mut counts = self.counts.chunks_mut(per);
        active
            .chunks(per)
            .zip(self.sums.chunks_mut(per))
            .map(|(features, sums)| Group {
                features,
                sums,
                counts: counts.next().unwrap_or_default(),
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug)]
struct Split {
    gain: f64,
    feature: usize,
    /// Left: value bins `0..=bin`.
    bin: usize,
    /// Missing values go left (as LightGBM decides: see `feature_best`).
    nan_left: bool,
    left: (f64, f64, u32),
}

struct Leaf {
    begin: usize,
    end: usize,
    g: f64,
    h: f64,
    depth: usize,
    hist: Histograms,
    best: Option<Split>,
    /// Index of this leaf's slot in the parent's child pointer (node, is_left), None for the root.
    parent: Option<(usize, bool)>,
}

/// A tree as training builds it: internal nodes with bin thresholds; children ≥ 0 are
/// nodes, `!leaf` are leaves.
struct Tree {
    feature: Vec<usize>,
    bin: Vec<usize>,
    nan_left: Vec<bool>,
    left: Vec<i32>,
    right: Vec<i32>,
    node_count: Vec<f64>,
    node_gain: Vec<f64>,
    leaf_value: Vec<f64>,
    leaf_count: Vec<f64>,
}

impl Tree {
    /// The leaf of row `r` of `data`.
    fn leaf_of(&self, data: &Dataset, r: usize) -> usize {
        if self.feature.is_empty() {
            return 0;
        }
        let mut node = 0i32;
        loop {
            let n = node as usize;
            let f = self.feature[n];
            let b = usize::from(data.col(f)[r]);
            let go_left = if b == data.mappers[f].nan_bin() {
                self.nan_left[n]
            } else {
                b <= self.bin[n]
            };
            node = if go_left { self.left[n] } else { self.right[n] };
            if node < 0 {
                return !node as usize;
            }
        }
    }
}

fn threshold_l1(g: f64, l1: f64) -> f64 {
    if l1 <= 0.0 {
        g
    } else {
        g.signum() * (g.abs() - l1).max(0.0)
    }
}

/// A side of a split: its sums of gradients and hessians, and its row count.
type Side = (f64, f64, u32);

/// One pass of the split search over a histogram (`sums`, and `counts` unless `UNIT`)
/// of a leaf with totals (g, h, n): the bins in `order` are added to the near side one
/// by one, the rest of the leaf is the far side, and `found(k, near, far)` sees every
/// threshold after bin `k` where neither side is `small`; the pass ends once the far
/// side is.
#[inline(always)]
fn sweep<const UNIT: bool>(
    sums: &[[f64; 2]; 256],
    counts: &[u32; 256],
    (g, h, n): Side,
    small: impl Fn(u32, f64) -> bool,
    order: impl Iterator<Item = usize>,
    mut found: impl FnMut(usize, Side, Side),
) {
    let (mut gs, mut hs, mut ns) = (0.0, 0.0, 0u32);
    for k in order {
        let [bg, bh] = sums[k];
        gs += bg;
        hs += bh;
        if UNIT {
            ns = hs as u32;
        } else {
            ns += counts[k];
        }
        if small(ns, hs) {
            continue;
        }
        let (nf, hf) = (n - ns, h - hs);
        if small(nf, hf) {
            break;
        }
        found(k, (gs, hs, ns), (g - gs, hf, nf));
    }
}

struct Grower<'a> {
    data: &'a Dataset,
    p: &'a Params,
    unit_hessian: bool,
}

impl Grower<'_> {
    #[inline]
    fn leaf_score(&self, g: f64, h: f64) -> f64 {
        if self.p.lambda_l1 == 0.0 {
            return g * g / (h + self.p.lambda_l2);
        }
        let t = threshold_l1(g, self.p.lambda_l1);
        t * t / (h + self.p.lambda_l2)
    }

    fn leaf_output(&self, g: f64, h: f64) -> f64 {
        -threshold_l1(g, self.p.lambda_l1) / (h + self.p.lambda_l2)
    }

    /// How many of the `active` features each thread takes: one group per thread, in
    /// one parallel pass over a leaf (its histograms and best splits together).
    fn group_size(active: usize) -> usize {
        let groups = rayon::current_num_threads().clamp(1, active.max(1));
        active.div_ceil(groups).max(1)
    }

    /// Adds `rows` (gradients `g`, hessians `h`, empty under a unit hessian) to the
    /// group's histograms, row by row on this thread: each row's gradient is read once
    /// and added to each feature's bin in turn, so the updates of different features
    /// overlap where one feature's would wait on each other (consecutive rows in one
    /// bin), and each bin is summed in row order whatever the thread count.
    fn group_histograms(&self, group: &mut Group, rows: &[u32], g: &[f64], h: &[f64]) {
        let width = group.features.len();
        // All features active (the default): the group is a run of features, one slice
        // of each row.
        let first = group.features.first().copied().unwrap_or(0);
        let run = group
            .features
            .last()
            .is_some_and(|&l| l - first + 1 == width);
        match (self.unit_hessian, run) {
            (true, true) => Self::accumulate::<true, true>(self.data, group, rows, g, h),
            (true, false) => Self::accumulate::<true, false>(self.data, group, rows, g, h),
            (false, true) => Self::accumulate::<false, true>(self.data, group, rows, g, h),
            (false, false) => Self::accumulate::<false, false>(self.data, group, rows, g, h),
        }
    }

    /// The row loop of [`Grower::group_histograms`], one copy per case so that the
    /// inner loop has no branch: `UNIT`, counts in the hessian lane (else in `counts`);
    /// `RUN`, the group is the features `features[0]..` in a row.
    fn accumulate<const UNIT: bool, const RUN: bool>(
        data: &Dataset,
        group: &mut Group,
        rows: &[u32],
        g: &[f64],
        h: &[f64],
    ) {
        let features = group.features;
        let (first, width) = (features.first().copied().unwrap_or(0), features.len());
        for (i, &r) in rows.iter().enumerate() {
            let add = [g[i], if UNIT { 1.0 } else { h[i] }];
            let row = data.row(r as usize);
            if RUN {
                for (sum, &b) in group.sums.iter_mut().zip(&row[first..first + width]) {
                    let s = &mut sum[usize::from(b)];
                    s[0] += add[0];
                    s[1] += add[1];
                }
            } else {
                for (sum, &f) in group.sums.iter_mut().zip(features) {
                    let s = &mut sum[usize::from(row[f])];
                    s[0] += add[0];
                    s[1] += add[1];
                }
            }
            if !UNIT {
                for (count, &f) in group.counts.iter_mut().zip(features) {
                    count[usize::from(row[f])] += 1;
                }
            }
        }
    }

    /// The best splits of the group's features, in order, for a leaf with totals
    /// (g, h, n); none if `splittable` is false.
    fn group_best(
        &self,
        group: &Group,
        splittable: bool,
        (g, h, n): (f64, f64, u32),
    ) -> Vec<Option<Split>> {
        if !splittable {
            return vec![None; group.features.len()];
        }
        (0..group.features.len())
            .map(|k| {
                let f = group.features[k];
                match group.counts.get(k) {
                    None => self.feature_best::<true>(f, &group.sums[k], &[0; 256], g, h, n),
                    Some(c) => self.feature_best::<false>(f, &group.sums[k], c, g, h, n),
                }
            })
            .collect()
    }

    /// Whether a leaf of `n` rows at `depth` may be split at all.
    fn splittable(&self, n: u32, depth: usize) -> bool {
        let p = self.p;
        !((p.max_depth > 0 && depth >= p.max_depth) || (n as usize) < 2 * p.min_data_in_leaf)
    }

    /// The best split on feature `f` of a leaf with totals (g, h, n) and histogram
    /// `sums` (and `counts`, read only without a `UNIT` hessian: with one, a side's
    /// hessian is its row count, and one comparison checks both minimums).
    fn feature_best<const UNIT: bool>(
        &self,
        f: usize,
        sums: &[[f64; 2]; 256],
        counts: &[u32; 256],
        g: f64,
        h: f64,
        n: u32,
    ) -> Option<Split> {
        let p = self.p;
        let parent = self.leaf_score(g, h);
        let min_n = p.min_data_in_leaf as u32;
        let min_h = p.min_sum_hessian_in_leaf;
        let min_side = f64::from(min_n).max(min_h);
        // Whether a side of `n` rows (hessian `h`) is too small.
        let small = |n: u32, h: f64| {
            if UNIT {
                h < min_side
            } else {
                n < min_n || h < min_h
            }
        };
        let m = &self.data.mappers[f];
        // LightGBM's order (FeatureHistogram::FindBestThresholdNumerical): first from the
        // top bin down, missing values left, keeping the first best (on ties, the highest
        // threshold: the split sits just below the right side's rows); then, for a
        // feature that had missing values in training, from the bottom up with missing
        // values right, replacing only a strictly better split. The best so far is kept
        // as plain numbers (the gain starts at the smallest gain that may split), and the
        // split is made once at the end.
        let value_bins = m.value_bins();
        let nan_pass = m.has_nan && m.total_bins() > 2;
        let mut best_gain = p.min_split_gain;
        // (threshold bin, missing values left, left side's sums); None: no split yet.
        let mut best: Option<(usize, bool, Side)> = None;
        // Reverse: the near side is the right one, the value bins above the threshold.
        sweep::<UNIT>(
            sums,
            counts,
            (g, h, n),
            small,
            (1..value_bins).rev(),
            |k, r, l| {
                let gain = self.leaf_score(l.0, l.1) + self.leaf_score(r.0, r.1) - parent;
                if gain > best_gain {
                    best_gain = gain;
                    // Missing values: left in this pass; with only one value bin LightGBM
                    // sends them right; for a feature that had none, LightGBM reads a
                    // missing value as 0, so it goes where 0 goes.
                    let nan_left = if m.has_nan {
                        nan_pass
                    } else {
                        m.upper[k - 1] >= 0.0
                    };
                    best = Some((k - 1, nan_left, l));
                }
            },
        );
        if nan_pass {
            // Forward: the near side is the left one, the value bins up to the threshold;
            // missing values right.
            sweep::<UNIT>(
                sums,
                counts,
                (g, h, n),
                small,
                0..value_bins - 1,
                |k, l, r| {
                    let gain = self.leaf_score(l.0, l.1) + self.leaf_score(r.0, r.1) - parent;
                    if gain > best_gain {
                        best_gain = gain;
                        best = Some((k, false, l));
                    }
                },
            );
        }
        best.map(|(bin, nan_left, left)| Split {
            gain: best_gain,
            feature: f,
            bin,
            nan_left,
            left,
        })
    }

    /// The best of the features' best splits; the first feature wins ties, so the tree
    /// is the same whatever the thread count.
    fn pick(splits: impl Iterator<Item = Option<Split>>) -> Option<Split> {
        splits
            .flatten()
            .fold(None, |acc: Option<Split>, s| match acc {
                Some(a) if a.gain >= s.gain => Some(a),
                _ => Some(s),
            })
    }

    /// Grows one tree on `rows` (permuted in place into leaf order). Returns the tree and,
    /// per leaf, its range in `rows`.
    fn grow(
        &self,
        rows: &mut [u32],
        grad: &[f64],
        hess: &[f64],
        features: &[bool],
    ) -> (Tree, Vec<(usize, usize)>) {
        let p = self.p;
        let gather = |rs: &[u32]| -> (Vec<f64>, Vec<f64>) {
            let g = rs.iter().map(|&r| grad[r as usize]).collect();
            let h = if self.unit_hessian {
                Vec::new()
            } else {
                rs.iter().map(|&r| hess[r as usize]).collect()
            };
            (g, h)
        };
        // Every row (no bagging; `rows` ascending, so then 0, 1, …): the gradients as
        // they are, without a copy.
        let every_row = rows.len() == grad.len();
        let (g0, h0) = if every_row {
            (Cow::Borrowed(grad), Cow::Borrowed(hess))
        } else {
            let (g, h) = gather(rows);
            (Cow::Owned(g), Cow::Owned(h))
        };
        let gsum: f64 = g0.iter().sum();
        let hsum: f64 = if self.unit_hessian {
            rows.len() as f64
        } else {
            h0.iter().sum()
        };
        let n0 = rows.len() as u32;
        let root_splittable = self.splittable(n0, 0);
        // The features this tree may split on, in groups of `per`, one per thread.
        let active: Vec<usize> = (0..features.len()).filter(|&f| features[f]).collect();
        let per = Self::group_size(active.len());
        let mut hist = Histograms::zeroed(active.len(), self.unit_hessian);
        let splits: Vec<Vec<Option<Split>>> = hist
            .groups(&active, per)
            .into_par_iter()
            .map(|mut group| {
                self.group_histograms(&mut group, rows, &g0, &h0);
                self.group_best(&group, root_splittable, (gsum, hsum, n0))
            })
            .collect();
        let best = Self::pick(splits.into_iter().flatten());
        let mut leaves = vec![Leaf {
            begin: 0,
            end: rows.len(),
            g: gsum,
            h: hsum,
            depth: 0,
            hist,
            best,
            parent: None,
        }];
        let mut tree = Tree {
            feature: vec![],
            bin: vec![],
            nan_left: vec![],
            left: vec![],
            right: vec![],
            node_count: vec![],
            node_gain: vec![],
            leaf_value: vec![],
            leaf_count: vec![],
        };
        let mut scratch: Vec<u32> = Vec::with_capacity(rows.len());
        while leaves.len() < p.num_leaves {
            // The leaf with the largest gain (the first on ties).
            let Some((li, split)) = leaves
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.best.map(|s| (i, s)))
                .fold(None, |acc: Option<(usize, Split)>, (i, s)| match acc {
                    Some((_, a)) if a.gain >= s.gain => acc,
                    _ => Some((i, s)),
                })
            else {
                break;
            };
            let (begin, end) = (leaves[li].begin, leaves[li].end);
            // Stable partition of the leaf's rows, each row's side looked up by its bin.
            let m = &self.data.mappers[split.feature];
            let col = self.data.col(split.feature);
            let mut goes_left = [false; 256];
            for (b, left) in goes_left.iter_mut().enumerate() {
                *left = if b == m.nan_bin() {
                    split.nan_left
                } else {
                    b <= split.bin
                };
            }
            // Branch-free: every row is written to both sides and the side it belongs to
            // advances (the split's direction is unpredictable row to row).
            let seg = &mut rows[begin..end];
            scratch.clear();
            scratch.resize(seg.len(), 0);
            let (mut w, mut s) = (0usize, 0usize);
            for i in 0..seg.len() {
                let r = seg[i];
                let left = goes_left[usize::from(col[r as usize])];
                seg[w] = r;
                scratch[s] = r;
                w += usize::from(left);
                s += usize::from(!left);
            }
            seg[w..].copy_from_slice(&scratch[..s]);
            let mid = begin + w;
            // Record the node.
            let node = tree.feature.len();
            let (gl, hl, nl) = split.left;
            tree.feature.push(split.feature);
            tree.bin.push(split.bin);
            tree.nan_left.push(split.nan_left);
            tree.node_gain.push(split.gain);
            tree.left.push(!(li as i32));
            tree.right.push(!(leaves.len() as i32));
            tree.node_count.push((end - begin) as f64);
            if let Some((pn, is_left)) = leaves[li].parent {
                if is_left {
                    tree.left[pn] = node as i32;
                } else {
                    tree.right[pn] = node as i32;
                }
            }
            // Children, in one pass over the features: the smaller child's histograms are
            // built, the larger one's are the parent's minus them (in place); then both
            // are searched.
            let mut large = std::mem::take(&mut leaves[li].hist);
            let (gp, hp, depth) = (leaves[li].g, leaves[li].h, leaves[li].depth + 1);
            let nr = (end - begin) as u32 - nl;
            let (gr, hr) = (gp - gl, hp - hl);
            let left_small = nl <= nr;
            let small_rows = if left_small {
                &rows[begin..mid]
            } else {
                &rows[mid..end]
            };
            let (gs, hs) = gather(small_rows);
            let (split_l, split_r) = (self.splittable(nl, depth), self.splittable(nr, depth));
            let mut small = Histograms::zeroed(active.len(), self.unit_hessian);
            let (lsplits, rsplits): (Vec<_>, Vec<_>) = small
                .groups(&active, per)
                .into_par_iter()
                .zip(large.groups(&active, per))
                .map(|(mut s, mut l)| {
                    self.group_histograms(&mut s, small_rows, &gs, &hs);
                    l.subtract(&s, &self.data.mappers);
                    let (lg, rg) = if left_small { (&s, &l) } else { (&l, &s) };
                    (
                        self.group_best(lg, split_l, (gl, hl, nl)),
                        self.group_best(rg, split_r, (gr, hr, nr)),
                    )
                })
                .unzip();
            let lbest = Self::pick(lsplits.into_iter().flatten());
            let rbest = Self::pick(rsplits.into_iter().flatten());
            let (lh, rh) = if left_small {
                (small, large)
            } else {
                (large, small)
            };
            leaves[li] = Leaf {
                begin,
                end: mid,
                g: gl,
                h: hl,
                depth,
                hist: lh,
                best: lbest,
                parent: Some((node, true)),
            };
            leaves.push(Leaf {
                begin: mid,
                end,
                g: gr,
                h: hr,
                depth,
                hist: rh,
                best: rbest,
                parent: Some((node, false)),
            });
        }
        let mut ranges = Vec::with_capacity(leaves.len());
        for l in &leaves {
            tree.leaf_value.push(self.leaf_output(l.g, l.h));
            tree.leaf_count.push((l.end - l.begin) as f64);
            ranges.push((l.begin, l.end));
        }
        (tree, ranges)
    }
}

/// What training produced.
pub struct Trained {
    /// The ensemble.
    pub ensemble: Ensemble,
    /// Training loss after each tree (mean, in the target's units).
    pub train_curve: Vec<f64>,
    /// Validation loss after each tree, with early stopping.
    pub valid_curve: Vec<f64>,
    /// Trees kept (the best iteration with early stopping).
    pub best_iteration: usize,
    /// Split gain per feature, summed over the kept trees.
    pub gain: Vec<f64>,
    /// Splits per feature in the kept trees.
    pub splits: Vec<u64>,
}

/// Trains on `columns` (one slice per feature) and labels `y`; with early stopping, the
/// last `validation_fraction` of the rows is held out.
pub fn train(columns: &[&[f64]], y: &[f64], p: &Params) -> Result<Trained, Error> {
    train_with_progress(columns, y, p, &|| {})
}

/// [`train`], calling `on_tree` after each tree (for a progress bar).
pub fn train_with_progress(
    columns: &[&[f64]],
    y: &[f64],
    p: &Params,
    on_tree: &(dyn Fn() + Sync),
) -> Result<Trained, Error> {
    p.validate()?;
    let n_all = y.len();
    if n_all == 0 {
        return Err(Error::TooFewRows("no training rows".into()));
    }
    if columns.iter().any(|c| c.len() != n_all) {
        return Err(Error::Ragged);
    }
    let loss = p.loss();
    loss.check_labels(y)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(p.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    pool.install(|| train_in_pool(columns, y, p, loss, on_tree))
}

fn train_in_pool(
    columns: &[&[f64]],
    y_all: &[f64],
    p: &Params,
    loss: Loss,
    on_tree: &(dyn Fn() + Sync),
) -> Result<Trained, Error> {
    let n_all = y_all.len();
    let n_valid = match p.early_stopping_rounds {
        Some(_) => ((n_all as f64 * p.validation_fraction) as usize).min(n_all.saturating_sub(1)),
        None => 0,
    };
    let n = n_all - n_valid;
    let train_cols: Vec<&[f64]> = columns.iter().map(|c| &c[..n]).collect();
    // Labels and gradients in f32, as LightGBM keeps them (`label_t`, `score_t`): the
    // same sums, so the same gains and splits.
    let y32: Vec<f64> = y_all[..n].iter().map(|&v| v as f32 as f64).collect();
    let y = &y32[..];
    let data = Dataset::new(&train_cols, p.max_bin, p.min_data_in_bin);
    let valid = (n_valid > 0).then(|| {
        let cols: Vec<&[f64]> = columns.iter().map(|c| &c[n..]).collect();
        Dataset::with(&cols, data.mappers.clone())
    });
    let y_valid = &y_all[n..];
    let nf = columns.len();
    let init = loss.init_score(y);
    let forest = p.kind == Kind::RandomForest;
    let grower = Grower {
        data: &data,
        p,
        unit_hessian: loss.unit_hessian(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut score = vec![init; n];
    let mut vscore = vec![init; n_valid];
    let (mut grad, mut hess) = (vec![0.0; n], vec![0.0; n]);
    let mut trees: Vec<Tree> = Vec::new();
    let mut train_curve = Vec::new();
    let mut valid_curve = Vec::new();
    let (mut best_iter, mut best_loss) = (0usize, f64::INFINITY);
    let mut bag: Vec<u32> = (0..n as u32).collect();
    // Random forests bag every tree (LightGBM's rf needs bagging too).
    let (bag_fraction, bag_freq) = if forest && (p.bagging_freq == 0 || p.bagging_fraction >= 1.0) {
        (0.632, 1)
    } else {
        (p.bagging_fraction, p.bagging_freq)
    };
    let mut rows: Vec<u32> = Vec::with_capacity(n);
    // A score's prediction, for the losses of the curves.
    let link = |s: f64| if loss.log_link() { s.exp() } else { s };
    for it in 0..p.trees {
        if !forest {
            // One pass over the rows: the gradients at the current scores, and the
            // training loss of those scores, which is the last tree's point of the
            // training curve (against the labels as given: the f32 copy is only what
            // gradients see).
            let mut total = 0.0;
            for (((g, h), &s), (&t32, &t)) in grad
                .iter_mut()
                .zip(hess.iter_mut())
                .zip(&score)
                .zip(y.iter().zip(&y_all[..n]))
            {
                let (gg, hh) = loss.grad_hess(s, t32);
                (*g, *h) = (gg as f32 as f64, hh as f32 as f64);
                total += loss.loss(link(s), t);
            }
            if it > 0 {
                train_curve.push(total / n as f64);
            }
        } else if it == 0 {
            grad.par_iter_mut()
                .zip(hess.par_iter_mut())
                .zip(score.par_iter().zip(y))
                .for_each(|((g, h), (&s, &t))| {
                    let (gg, hh) = loss.grad_hess(s, t);
                    (*g, *h) = (gg as f32 as f64, hh as f32 as f64);
                });
        }
        let bagging = bag_freq > 0 && bag_fraction < 1.0;
        if bagging && it % bag_freq == 0 {
            let threshold = (bag_fraction * u64::MAX as f64) as u64;
            bag = (0..n as u32)
                .filter(|_| rng.next_u64() <= threshold)
                .collect();
            if bag.is_empty() {
                bag.push((rng.next_u64() % n as u64) as u32);
            }
        }
        let features: Vec<bool> = if p.feature_fraction < 1.0 {
            let k = ((nf as f64 * p.feature_fraction).round() as usize).max(1);
            let mut idx: Vec<usize> = (0..nf).collect();
            for i in 0..k {
                let j = i + (rng.next_u64() % (nf - i) as u64) as usize;
                idx.swap(i, j);
            }
            let mut on = vec![false; nf];
            idx[..k].iter().for_each(|&f| on[f] = true);
            on
        } else {
            vec![true; nf]
        };
        rows.clear();
        rows.extend_from_slice(&bag);
        let (mut tree, ranges) = grower.grow(&mut rows, &grad, &hess, &features);
        if let Some(alpha) = loss.renews_leaves() {
            for (l, &(b, e)) in ranges.iter().enumerate() {
                let mut res: Vec<f64> = rows[b..e]
                    .iter()
                    .map(|&r| y[r as usize] - score[r as usize])
                    .collect();
                if !res.is_empty() {
                    tree.leaf_value[l] = percentile(&mut res, alpha);
                }
            }
        }
        if !forest {
            tree.leaf_value
                .iter_mut()
                .for_each(|v| *v *= p.learning_rate);
        }
        if let Some(bits) = p.leaf_bits {
            round_to_grid(&mut tree.leaf_value, bits);
        }
        if !forest {
            // Every row's score moves by its leaf: from the partition when all rows were
            // used, else by walking the tree.
            if bagging {
                score
                    .par_iter_mut()
                    .enumerate()
                    .for_each(|(r, s)| *s += tree.leaf_value[tree.leaf_of(&data, r)]);
            } else {
                for (l, &(b, e)) in ranges.iter().enumerate() {
                    for &r in &rows[b..e] {
                        score[r as usize] += tree.leaf_value[l];
                    }
                }
            }
        }
        if let Some(v) = &valid {
            let k = (trees.len() + 1) as f64;
            vscore.par_iter_mut().enumerate().for_each(|(r, s)| {
                let x = tree.leaf_value[tree.leaf_of(v, r)];
                // Forests average: keep the running mean of the trees' outputs.
                *s = if forest {
                    init + ((*s - init) * (k - 1.0) + x) / k
                } else {
                    *s + x
                };
            });
            let vl = vscore
                .iter()
                .zip(y_valid)
                .map(|(&s, &t)| loss.loss(link(s), t))
                .sum::<f64>()
                / n_valid as f64;
            valid_curve.push(vl);
            if vl < best_loss {
                (best_loss, best_iter) = (vl, it + 1);
            }
        }
        trees.push(tree);
        on_tree();
        if let Some(rounds) = p.early_stopping_rounds {
            if n_valid > 0 && it + 1 - best_iter >= rounds {
                break;
            }
        }
    }
    if !forest && !trees.is_empty() {
        // The last tree's point of the training curve (the others were taken with the
        // next tree's gradients).
        let mut total = 0.0;
        for (&s, &t) in score.iter().zip(&y_all[..n]) {
            total += loss.loss(link(s), t);
        }
        train_curve.push(total / n as f64);
    }
    let keep = if n_valid > 0 {
        best_iter.max(1)
    } else {
        trees.len()
    };
    trees.truncate(keep);
    let mut gain = vec![0.0; nf];
    let mut splits = vec![0u64; nf];
    for t in &trees {
        for (&f, &g) in t.feature.iter().zip(&t.node_gain) {
            gain[f] += g;
            splits[f] += 1;
        }
    }
    let ensemble = to_ensemble(&trees, &data.mappers, init, forest, loss.log_link());
    Ok(Trained {
        ensemble,
        train_curve,
        valid_curve,
        best_iteration: keep,
        gain,
        splits,
    })
}

/// Rounds `values` to whole multiples of the smallest power of two that keeps every
/// multiple within `bits` bits, sign included. Exact: dividing and multiplying by a power
/// of two changes no bits of a normal double.
fn round_to_grid(values: &mut [f64], bits: u32) {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return;
    }
    let most = ((1u32 << (bits - 1)) - 1) as f64;
    let mut e = (largest / most).log2().ceil() as i32;
    while (largest / 2f64.powi(e)).round() > most {
        e += 1;
    }
    // Leaves below the smallest normal double's grid are left as they are (the artifact
    // then stores them plainly).
    if e < -1000 {
        return;
    }
    let step = 2f64.powi(e);
    // `+ 0.0` turns the -0.0 of a small negative leaf into 0.0, which the grid holds.
    values
        .iter_mut()
        .for_each(|v| *v = (*v / step).round() * step + 0.0);
}

/// The tree's internal nodes and leaves renumbered in the order a pre-order walk (left
/// child first) visits them: the artifact then stores its shape as one bit per node.
fn pre_order(t: &Tree) -> (Vec<usize>, Vec<usize>, Vec<i32>, Vec<i32>) {
    let (mut nodes, mut leaves) = (Vec::new(), Vec::new());
    let mut node_id = vec![0i32; t.feature.len()];
    let mut leaf_id = vec![0i32; t.leaf_value.len()];
    let mut stack = vec![if t.feature.is_empty() { -1 } else { 0 }];
    while let Some(c) = stack.pop() {
        if c >= 0 {
            node_id[c as usize] = nodes.len() as i32;
            nodes.push(c as usize);
            stack.push(t.right[c as usize]);
            stack.push(t.left[c as usize]);
        } else {
            leaf_id[!c as usize] = !(leaves.len() as i32);
            leaves.push(!c as usize);
        }
    }
    let new = |c: i32| {
        if c >= 0 {
            node_id[c as usize]
        } else {
            leaf_id[!c as usize]
        }
    };
    let left = nodes.iter().map(|&n| new(t.left[n])).collect();
    let right = nodes.iter().map(|&n| new(t.right[n])).collect();
    (nodes, leaves, left, right)
}

fn to_ensemble(
    trees: &[Tree],
    mappers: &[BinMapper],
    init: f64,
    forest: bool,
    log_link: bool,
) -> Ensemble {
    let link = if log_link { Link::Exp } else { Link::Identity };
    let mut e = Ensemble::empty(mappers.len() as u32, Precision::F64, link, init, forest);
    for t in trees {
        let (nodes, leaves, left, right) = pre_order(t);
        for (i, &n) in nodes.iter().enumerate() {
            let f = t.feature[n];
            let m = &mappers[f];
            e.feature.push(f as u32);
            e.threshold.push(m.upper[t.bin[n]]);
            e.default_left.push(t.nan_left[n]);
            e.left.push(left[i]);
            e.right.push(right[i]);
            e.node_cover.push(t.node_count[n]);
        }
        e.leaf_value.extend(leaves.iter().map(|&l| t.leaf_value[l]));
        e.leaf_cover.extend(leaves.iter().map(|&l| t.leaf_count[l]));
        e.node_offsets.push(e.feature.len() as u32);
        e.leaf_offsets.push(e.leaf_value.len() as u32);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::{Matrix, Predictor};

    fn data() -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let x1: Vec<f64> = (0..2000).map(|i| ((i * 37) % 101) as f64 / 10.0).collect();
        let x2: Vec<f64> = (0..2000)
            .map(|i| {
                if i % 7 == 0 {
                    f64::NAN
                } else {
                    ((i * 11) % 13) as f64
                }
            })
            .collect();
        let y: Vec<f64> = x1
            .iter()
            .zip(&x2)
            .map(|(a, b)| 3.0 * a + if b.is_nan() { 5.0 } else { b * 0.5 } + 1.0)
            .collect();
        (x1, x2, y)
    }

    fn predict(e: &Ensemble, x1: &[f64], x2: &[f64]) -> Vec<f64> {
        let rows: Vec<f64> = x1.iter().zip(x2).flat_map(|(&a, &b)| [a, b]).collect();
        Predictor::new(e)
            .unwrap()
            .predict(Matrix::RowMajorF64(&rows))
            .unwrap()
    }

    /// One feature, one stump: the rows of one leaf share one prediction.
    fn stump(x: &[f64], y: &[f64], p: &Params) -> Vec<f64> {
        let t = train(&[x], y, p).unwrap();
        let rows: Vec<f64> = x.to_vec();
        Predictor::new(&t.ensemble)
            .unwrap()
            .predict(Matrix::RowMajorF64(&rows))
            .unwrap()
    }

    #[test]
    fn lambda_l2_decides_the_split_and_shrinks_the_leaves_as_its_formula_says() {
        // An outlier (x = 0, y = 60), then 100 rows at 0 and 100 rows at 4. Without λ the
        // split that isolates the outlier gains most; with λ = 50 its one row weighs
        // little and the split between the two groups wins (gain GL²/(HL+λ) + GR²/(HR+λ)).
        let x: Vec<f64> = (0..201).map(f64::from).collect();
        let y: Vec<f64> = (0..201)
            .map(|i| match i {
                0 => 60.0,
                1..=100 => 0.0,
                _ => 4.0,
            })
            .collect();
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        for lambda in [0.0, 50.0] {
            // The reference: every threshold, the formula's gain, the best one.
            let gain = |k: usize| {
                let (l, r) = y.split_at(k);
                let g = |s: &[f64]| s.iter().map(|v| v - mean).sum::<f64>();
                let (gl, gr) = (g(l), g(r));
                gl * gl / (l.len() as f64 + lambda) + gr * gr / (r.len() as f64 + lambda)
            };
            let best = (1..y.len())
                .max_by(|&a, &b| gain(a).total_cmp(&gain(b)))
                .unwrap();
            assert_eq!(best, if lambda == 0.0 { 1 } else { 101 });
            let p = Params {
                trees: 1,
                learning_rate: 1.0,
                num_leaves: 2,
                min_data_in_leaf: 1,
                min_data_in_bin: 1,
                lambda_l2: lambda,
                threads: Some(1),
                ..Params::default()
            };
            let pred = stump(&x, &y, &p);
            assert!(pred[..best].iter().all(|v| *v == pred[0]), "λ {lambda}");
            assert!(pred[best..].iter().all(|v| *v == pred[best]), "λ {lambda}");
            assert_ne!(pred[0], pred[best], "λ {lambda}");
            // Each leaf moves by Σ residual / (n + λ).
            let leaf =
                |s: &[f64]| s.iter().map(|v| v - mean).sum::<f64>() / (s.len() as f64 + lambda);
            let want = leaf(&y[..best]) - leaf(&y[best..]);
            assert!(
                // (leaves are stored as f32)
                ((pred[0] - pred[best]) - want).abs() < 1e-5 * want.abs().max(1.0),
                "λ {lambda}: {} vs {want}",
                pred[0] - pred[best]
            );
        }
    }

    #[test]
    fn a_quantile_head_covers_its_own_level_on_the_rows_it_learnt() {
        // Noise around a trend: before any calibration, a P10 head lies above about 10 %
        // of its training rows and a P90 head above about 90 %.
        let n = 4000;
        let x: Vec<f64> = (0..n).map(|i| (i % 50) as f64).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let u = ((i as u64).wrapping_mul(2654435761) % 1000) as f64 / 1000.0;
                (i % 50) as f64 * 0.5 + 20.0 * (u - 0.5)
            })
            .collect();
        for alpha in [0.1, 0.9] {
            let p = Params {
                objective: Objective::Quantile,
                alpha,
                trees: 100,
                threads: Some(1),
                ..Params::default()
            };
            let pred = stump(&x, &y, &p);
            let below = y.iter().zip(&pred).filter(|(y, p)| y <= p).count() as f64 / n as f64;
            assert!((below - alpha).abs() < 0.03, "alpha {alpha}: {below}");
        }
    }

    #[test]
    fn every_objective_and_kind_learns() {
        let (x1, x2, y) = data();
        let cols: Vec<&[f64]> = vec![&x1, &x2];
        for (objective, kind) in [
            (Objective::SquaredError, Kind::Gbdt),
            (Objective::AbsoluteError, Kind::Gbdt),
            (Objective::Huber, Kind::Gbdt),
            (Objective::Quantile, Kind::Gbdt),
            (Objective::Poisson, Kind::Gbdt),
            (Objective::SquaredError, Kind::RandomForest),
        ] {
            let p = Params {
                objective,
                kind,
                trees: 60,
                huber_delta: 2.0,
                alpha: 0.5,
                ..Params::default()
            };
            let t = train(&cols, &y, &p).unwrap();
            let pred = predict(&t.ensemble, &x1, &x2);
            let mae = pred.iter().zip(&y).map(|(p, y)| (p - y).abs()).sum::<f64>() / y.len() as f64;
            let base = {
                let m = y.iter().sum::<f64>() / y.len() as f64;
                y.iter().map(|v| (v - m).abs()).sum::<f64>() / y.len() as f64
            };
            assert!(
                mae < base * 0.25,
                "{objective:?} {kind:?}: mae {mae} vs {base}"
            );
            assert_eq!(t.ensemble.average, kind == Kind::RandomForest);
            // Missing values of x2 learned their own direction: rows with NaN predict near
            // their own mean.
            if objective == Objective::SquaredError && kind == Kind::Gbdt {
                assert!(t.gain[0] > t.gain[1] && t.splits[1] > 0);
                let nan_err: f64 = (0..2000)
                    .step_by(7)
                    .map(|i| (pred[i] - y[i]).abs())
                    .sum::<f64>()
                    / 286.0;
                assert!(nan_err < 1.0, "{nan_err}");
            }
        }
    }

    #[test]
    fn early_stopping_keeps_the_best_iteration_and_training_is_deterministic() {
        let (x1, x2, y) = data();
        let cols: Vec<&[f64]> = vec![&x1, &x2];
        let p = Params {
            trees: 2000,
            learning_rate: 0.3,
            early_stopping_rounds: Some(10),
            ..Params::default()
        };
        let t = train(&cols, &y, &p).unwrap();
        assert!(t.best_iteration < 2000 && t.valid_curve.len() < 2000);
        assert_eq!(t.ensemble.node_offsets.len(), t.best_iteration + 1);
        let again = train(
            &cols,
            &y,
            &Params {
                threads: Some(1),
                ..p.clone()
            },
        )
        .unwrap();
        assert_eq!(again.ensemble, t.ensemble);
        let bagged = Params {
            trees: 20,
            bagging_fraction: 0.5,
            bagging_freq: 1,
            feature_fraction: 0.5,
            seed: 7,
            ..Params::default()
        };
        assert_eq!(
            train(&cols, &y, &bagged).unwrap().ensemble,
            train(&cols, &y, &bagged).unwrap().ensemble
        );
        assert_ne!(
            train(&cols, &y, &bagged).unwrap().ensemble,
            train(
                &cols,
                &y,
                &Params {
                    seed: 8,
                    ..bagged.clone()
                }
            )
            .unwrap()
            .ensemble
        );
    }

    /// Each bin is summed in row order on whichever thread owns its feature, so the
    /// trees are the same for any grouping of the features: every objective (unit
    /// hessians and not), all features or a sample of them (groups that are not runs).
    #[test]
    fn the_trees_do_not_depend_on_the_thread_count() {
        let (x1, x2, y) = data();
        let x3: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| a * b).collect();
        let x4: Vec<f64> = (0..x1.len()).map(|i| (i % 5) as f64).collect();
        let x5: Vec<f64> = x1.iter().rev().copied().collect();
        let x6: Vec<f64> = (0..x1.len()).map(|i| ((i * 7919) % 1000) as f64).collect();
        let cols: Vec<&[f64]> = vec![&x1, &x2, &x3, &x4, &x5, &x6];
        for (objective, kind) in [
            (Objective::SquaredError, Kind::Gbdt),
            (Objective::AbsoluteError, Kind::Gbdt),
            (Objective::Huber, Kind::Gbdt),
            (Objective::Quantile, Kind::Gbdt),
            (Objective::Poisson, Kind::Gbdt),
            (Objective::SquaredError, Kind::RandomForest),
        ] {
            for feature_fraction in [1.0, 0.6] {
                let p = |threads| Params {
                    objective,
                    kind,
                    trees: 15,
                    feature_fraction,
                    bagging_fraction: if kind == Kind::RandomForest { 0.6 } else { 1.0 },
                    bagging_freq: usize::from(kind == Kind::RandomForest),
                    threads: Some(threads),
                    ..Params::default()
                };
                let one = train(&cols, &y, &p(1)).unwrap().ensemble;
                for threads in [2, 3, 4] {
                    assert!(
                        train(&cols, &y, &p(threads)).unwrap().ensemble == one,
                        "{objective:?} {kind:?}, feature_fraction {feature_fraction}: \
                         {threads} threads grew other trees than one"
                    );
                }
            }
        }
    }

    #[test]
    fn leaf_bits_round_leaves_to_a_small_grid_that_boosting_learns_from() {
        let (x1, x2, y) = data();
        let cols: Vec<&[f64]> = vec![&x1, &x2];
        let params = |leaf_bits| Params {
            trees: 40,
            leaf_bits,
            ..Params::default()
        };
        let full = train(&cols, &y, &params(None)).unwrap();
        let small = train(&cols, &y, &params(Some(8))).unwrap();
        let e = &small.ensemble;
        for t in 0..e.n_trees() {
            let leaves = &e.leaf_value[e.leaf_offsets[t] as usize..e.leaf_offsets[t + 1] as usize];
            let largest = leaves.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            // The smallest power of two keeping the largest leaf within 127 steps.
            let step = (1..200)
                .map(|i| 2f64.powi(10 - i))
                .take_while(|s| (largest / s).round() <= 127.0)
                .last()
                .unwrap();
            for v in leaves {
                let k = v / step;
                assert!(
                    k.fract() == 0.0 && k.abs() <= 127.0,
                    "tree {t}: {v} / {step}"
                );
            }
        }
        // The served model is the one training tracked, and nearly as good.
        let pred = predict(e, &x1, &x2);
        let mse = pred
            .iter()
            .zip(&y)
            .map(|(p, y)| (p - y).powi(2))
            .sum::<f64>()
            / y.len() as f64;
        assert!((mse - small.train_curve[39]).abs() <= 1e-9 * mse.max(1.0));
        let (a, b) = (small.train_curve[39], full.train_curve[39]);
        assert!(a <= b * 1.01, "{a} vs {b}");
        assert!(params(Some(3)).validate().is_err());
    }

    #[test]
    fn trees_are_numbered_in_pre_order() {
        let (x1, x2, y) = data();
        let cols: Vec<&[f64]> = vec![&x1, &x2];
        let t = train(
            &cols,
            &y,
            &Params {
                trees: 5,
                ..Params::default()
            },
        )
        .unwrap();
        let e = &t.ensemble;
        for tree in 0..e.n_trees() {
            let n0 = e.node_offsets[tree] as usize;
            let (mut nodes, mut leaves) = (0, 0);
            let mut stack = vec![if e.node_offsets[tree + 1] as usize > n0 {
                0
            } else {
                -1
            }];
            while let Some(c) = stack.pop() {
                if c >= 0 {
                    assert_eq!(c, nodes, "tree {tree}");
                    nodes += 1;
                    stack.push(e.right[n0 + c as usize]);
                    stack.push(e.left[n0 + c as usize]);
                } else {
                    assert_eq!(!c, leaves, "tree {tree}");
                    leaves += 1;
                }
            }
        }
    }

    #[test]
    fn training_scores_equal_served_predictions() {
        // The ensemble's thresholds are the bins' bounds: predicting the training rows
        // with the core gives the scores boosting tracked (checked through the loss curve).
        let (x1, x2, y) = data();
        let cols: Vec<&[f64]> = vec![&x1, &x2];
        let t = train(
            &cols,
            &y,
            &Params {
                trees: 30,
                ..Params::default()
            },
        )
        .unwrap();
        let pred = predict(&t.ensemble, &x1, &x2);
        let mse = pred
            .iter()
            .zip(&y)
            .map(|(p, y)| (p - y).powi(2))
            .sum::<f64>()
            / y.len() as f64;
        assert!(
            (mse - t.train_curve[29]).abs() <= 1e-9 * mse.max(1.0),
            "{mse} vs {}",
            t.train_curve[29]
        );
    }
}
