//! Preprocessing steps: what each one fits on the training rows, and how it is applied.
//!
//! A step sees the frame's columns after the steps before it. Fitting looks only at the
//! first `train` rows (the training period); applying touches every row the same way.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::spec::{
    EncodeMethod, FillMethod, ImputeMethod, OutlierAction, OutlierMethod, ScaleMethod, Step,
};
use super::{stats, Column};
use crate::Error;

/// Most reference rows a KNN imputer keeps (evenly spaced over the training rows).
pub const KNN_MAX_REFERENCE: usize = 2000;
/// Most categories an encoder accepts per column.
pub const MAX_CATEGORIES: usize = 1000;
const DEFAULT_K: u32 = 5;
const DEFAULT_ITERATIONS: u32 = 10;
const RIDGE_LAMBDA: f64 = 1e-6;

/// What a step learned from the training rows (per column, in the step's column order).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fitted", rename_all = "snake_case")]
pub enum Fitted {
    /// Nothing to learn (fill, interpolate).
    Nothing,
    /// One value per column (mean or median imputation).
    Constant {
        /// The fill values.
        #[serde(with = "super::floats")]
        values: Vec<f64>,
    },
    /// KNN imputation: the column means and standard deviations used to standardise
    /// distances, and the reference rows (row-major, in the step's column order).
    Knn {
        /// Neighbours.
        k: u32,
        /// Column means.
        #[serde(with = "super::floats")]
        means: Vec<f64>,
        /// Column standard deviations (1 where the column is constant).
        #[serde(with = "super::floats")]
        stds: Vec<f64>,
        /// Reference rows.
        #[serde(with = "super::floats")]
        reference: Vec<f64>,
    },
    /// Iterative imputation: column means (the first guess) and, per column, the ridge
    /// coefficients `[intercept, w…]` on the other columns (in order, skipping itself).
    Iterative {
        /// Rounds.
        iterations: u32,
        /// Column means.
        #[serde(with = "super::floats")]
        means: Vec<f64>,
        /// Coefficients per column.
        #[serde(with = "super::floats::nested")]
        coefficients: Vec<Vec<f64>>,
    },
    /// Fences per column.
    Bounds {
        /// Lower fences.
        #[serde(with = "super::floats")]
        low: Vec<f64>,
        /// Upper fences.
        #[serde(with = "super::floats")]
        high: Vec<f64>,
    },
    /// (x − center) / scale per column.
    Affine {
        /// Centres.
        #[serde(with = "super::floats")]
        center: Vec<f64>,
        /// Scales (never 0).
        #[serde(with = "super::floats")]
        scale: Vec<f64>,
    },
    /// Sorted categories per column.
    Categories {
        /// The categories seen in training.
        #[serde(with = "super::floats::nested")]
        values: Vec<Vec<f64>>,
    },
}

/// The columns a step works on: its own list, or every input column.
pub fn step_columns<'a>(step: &'a Step, inputs: &'a [String]) -> &'a [String] {
    let own = match step {
        Step::Fill { columns, .. }
        | Step::Interpolate { columns, .. }
        | Step::Impute { columns, .. }
        | Step::Outliers { columns, .. }
        | Step::Scale { columns, .. } => columns.as_deref(),
        Step::Encode { columns, .. } => Some(columns.as_slice()),
    };
    own.unwrap_or(inputs)
}

fn indices(frame: &[Column], names: &[String]) -> Result<Vec<usize>, Error> {
    names
        .iter()
        .map(|n| {
            frame
                .iter()
                .position(|c| &c.name == n)
                .ok_or_else(|| Error::Pipeline(format!("step refers to unknown column {n:?}")))
        })
        .collect()
}

fn train_values(c: &Column, train: usize) -> impl Iterator<Item = f64> + '_ {
    c.values[..train.min(c.values.len())].iter().copied()
}

fn no_training_values(name: &str) -> Error {
    Error::Pipeline(format!(
        "column {name:?} has no values in the training rows: nothing to fit on"
    ))
}

/// Fits `step` on the first `train` rows of `frame`.
pub fn fit(step: &Step, frame: &[Column], names: &[String], train: usize) -> Result<Fitted, Error> {
    let cols = indices(frame, names)?;
    Ok(match step {
        Step::Fill { .. } | Step::Interpolate { .. } => Fitted::Nothing,
        Step::Impute {
            method,
            k,
            iterations,
            ..
        } => match method {
            ImputeMethod::Mean | ImputeMethod::Median => {
                let mut values = Vec::with_capacity(cols.len());
                for &c in &cols {
                    let col = &frame[c];
                    let v = if *method == ImputeMethod::Mean {
                        stats::mean(train_values(col, train))
                    } else {
                        stats::quantile(&stats::sorted(train_values(col, train)), 0.5)
                    };
                    values.push(v.ok_or_else(|| no_training_values(&col.name))?);
                }
                Fitted::Constant { values }
            }
            ImputeMethod::Knn => fit_knn(frame, &cols, train, k.unwrap_or(DEFAULT_K))?,
            ImputeMethod::Iterative => fit_iterative(
                frame,
                &cols,
                train,
                iterations.unwrap_or(DEFAULT_ITERATIONS),
            )?,
        },
        Step::Outliers {
            method, threshold, ..
        } => {
            let (mut low, mut high) = (Vec::new(), Vec::new());
            for &c in &cols {
                let col = &frame[c];
                let (lo, hi) = match method {
                    OutlierMethod::Iqr => {
                        let t = threshold.unwrap_or(1.5);
                        let s = stats::sorted(train_values(col, train));
                        let q1 = stats::quantile(&s, 0.25)
                            .ok_or_else(|| no_training_values(&col.name))?;
                        let q3 = stats::quantile(&s, 0.75).unwrap_or(q1);
                        (q1 - t * (q3 - q1), q3 + t * (q3 - q1))
                    }
                    OutlierMethod::Zscore => {
                        let t = threshold.unwrap_or(3.0);
                        let m = stats::mean(train_values(col, train))
                            .ok_or_else(|| no_training_values(&col.name))?;
                        let sd = stats::std(train_values(col, train), m);
                        (m - t * sd, m + t * sd)
                    }
                };
                low.push(lo);
                high.push(hi);
            }
            Fitted::Bounds { low, high }
        }
        Step::Scale { method, .. } => {
            let (mut center, mut scale) = (Vec::new(), Vec::new());
            for &c in &cols {
                let col = &frame[c];
                let none = || no_training_values(&col.name);
                let (ce, sc) = match method {
                    ScaleMethod::Standard => {
                        let m = stats::mean(train_values(col, train)).ok_or_else(none)?;
                        (m, stats::std(train_values(col, train), m))
                    }
                    ScaleMethod::MinMax => {
                        let s = stats::sorted(train_values(col, train));
                        let (lo, hi) = (*s.first().ok_or_else(none)?, *s.last().ok_or_else(none)?);
                        (lo, hi - lo)
                    }
                    ScaleMethod::Robust => {
                        let s = stats::sorted(train_values(col, train));
                        let med = stats::quantile(&s, 0.5).ok_or_else(none)?;
                        let iqr = stats::quantile(&s, 0.75).unwrap_or(med)
                            - stats::quantile(&s, 0.25).unwrap_or(med);
                        (med, iqr)
                    }
                };
                center.push(ce);
                // A constant column is centred, not divided by zero.
                scale.push(if sc > 0.0 && sc.is_finite() { sc } else { 1.0 });
            }
            Fitted::Affine { center, scale }
        }
        Step::Encode { .. } => {
            let mut values = Vec::new();
            for &c in &cols {
                let mut s = stats::sorted(train_values(&frame[c], train));
                s.dedup();
                if s.len() > MAX_CATEGORIES {
                    return Err(Error::Pipeline(format!(
                        "column {:?} has {} distinct values in training; an encoder takes at most {MAX_CATEGORIES} (is it really categorical?)",
                        frame[c].name,
                        s.len()
                    )));
                }
                values.push(s);
            }
            Fitted::Categories { values }
        }
    })
}

/// Applies a fitted step to every row of `frame` (which may gain or lose columns: one-hot).
pub fn apply(
    step: &Step,
    fitted: &Fitted,
    frame: &mut Vec<Column>,
    names: &[String],
) -> Result<(), Error> {
    let cols = indices(frame, names)?;
    let mismatch = || Error::Pipeline("fitted parameters do not match their step".into());
    match (step, fitted) {
        (Step::Fill { method, limit, .. }, Fitted::Nothing) => {
            for &c in &cols {
                fill(
                    &mut frame[c].values,
                    *method,
                    limit.map_or(usize::MAX, |l| l as usize),
                );
            }
        }
        (Step::Interpolate { limit, .. }, Fitted::Nothing) => {
            for &c in &cols {
                interpolate(
                    &mut frame[c].values,
                    limit.map_or(usize::MAX, |l| l as usize),
                );
            }
        }
        (Step::Impute { .. }, Fitted::Constant { values }) if values.len() == cols.len() => {
            for (&c, &v) in cols.iter().zip(values) {
                frame[c]
                    .values
                    .iter_mut()
                    .filter(|x| x.is_nan())
                    .for_each(|x| *x = v);
            }
        }
        (
            Step::Impute { .. },
            f @ Fitted::Knn {
                k,
                means,
                stds,
                reference,
            },
        ) if *k >= 1
            && *k <= super::MAX_NEIGHBOURS
            && means.len() == cols.len()
            && stds.len() == cols.len()
            && stds.iter().all(|s| *s > 0.0)
            && reference.len() % cols.len().max(1) == 0 =>
        {
            apply_knn(frame, &cols, f)
        }
        (
            Step::Impute { .. },
            f @ Fitted::Iterative {
                iterations,
                means,
                coefficients,
            },
        ) if means.len() == cols.len()
            && *iterations >= 1
            && *iterations <= super::MAX_ITERATIONS
            && coefficients.len() == cols.len()
            && coefficients.iter().all(|c| c.len() == cols.len()) =>
        {
            apply_iterative(frame, &cols, f)
        }
        (Step::Outliers { action, .. }, Fitted::Bounds { low, high })
            if low.len() == cols.len() =>
        {
            for (i, &c) in cols.iter().enumerate() {
                for x in frame[c].values.iter_mut() {
                    if *x < low[i] || *x > high[i] {
                        *x = match action {
                            OutlierAction::Clip => x.clamp(low[i], high[i]),
                            OutlierAction::Missing => f64::NAN,
                        };
                    }
                }
            }
        }
        (Step::Scale { .. }, Fitted::Affine { center, scale })
            if center.len() == cols.len() && scale.len() == cols.len() =>
        {
            for (i, &c) in cols.iter().enumerate() {
                for x in frame[c].values.iter_mut() {
                    *x = (*x - center[i]) / scale[i];
                }
            }
        }
        (Step::Encode { method, .. }, Fitted::Categories { values })
            if values.len() == cols.len() =>
        {
            // Encode from the last column back so earlier indices stay valid when one-hot
            // replaces a column by several.
            let mut order: Vec<(usize, usize)> = cols.iter().copied().enumerate().collect();
            order.sort_by_key(|&(_, c)| core::cmp::Reverse(c));
            for (i, c) in order {
                let cats = &values[i];
                let rank = |x: f64| cats.binary_search_by(|v| v.total_cmp(&x)).ok();
                match method {
                    EncodeMethod::Ordinal => {
                        for x in frame[c].values.iter_mut() {
                            *x = if x.is_nan() {
                                f64::NAN
                            } else {
                                rank(*x).map_or(f64::NAN, |r| r as f64)
                            };
                        }
                    }
                    EncodeMethod::OneHot => {
                        let old = frame.remove(c);
                        for (j, cat) in cats.iter().enumerate().rev() {
                            let values = old
                                .values
                                .iter()
                                .map(|&x| {
                                    if x.is_nan() {
                                        f64::NAN
                                    } else {
                                        f64::from(u8::from(rank(x) == Some(j)))
                                    }
                                })
                                .collect();
                            frame.insert(
                                c,
                                Column {
                                    name: one_hot_name(&old.name, *cat),
                                    values,
                                },
                            );
                        }
                    }
                }
            }
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

/// The name of the one-hot column of `category` in `column`: `column=category`
/// (`wd=3` for a whole number).
pub fn one_hot_name(column: &str, category: f64) -> String {
    if libm::trunc(category) == category && category.abs() < 9e15 {
        format!("{column}={}", category as i64)
    } else {
        format!("{column}={}", crate::error::Num(category))
    }
}

fn fill(v: &mut [f64], method: FillMethod, limit: usize) {
    let n = v.len();
    let order: &mut dyn Iterator<Item = usize> = match method {
        FillMethod::Forward => &mut (0..n),
        FillMethod::Backward => &mut (0..n).rev(),
    };
    let (mut last, mut run) = (None, 0usize);
    for i in order {
        if v[i].is_nan() {
            run += 1;
            if let Some(l) = last {
                if run <= limit {
                    v[i] = l;
                }
            }
        } else {
            last = Some(v[i]);
            run = 0;
        }
    }
}

fn interpolate(v: &mut [f64], limit: usize) {
    let mut prev: Option<usize> = None;
    for i in 0..v.len() {
        if v[i].is_nan() {
            continue;
        }
        if let Some(p) = prev {
            let gap = i - p - 1;
            if gap > 0 && gap <= limit {
                let (a, b) = (v[p], v[i]);
                let span = (i - p) as f64;
                for (k, x) in v[p + 1..i].iter_mut().enumerate() {
                    *x = a + (b - a) * ((k + 1) as f64 / span);
                }
            }
        }
        prev = Some(i);
    }
}

fn fit_knn(frame: &[Column], cols: &[usize], train: usize, k: u32) -> Result<Fitted, Error> {
    if k == 0 {
        return Err(Error::Pipeline("knn imputation needs k ≥ 1".into()));
    }
    let mut means = Vec::new();
    let mut stds = Vec::new();
    for &c in cols {
        let m = stats::mean(train_values(&frame[c], train))
            .ok_or_else(|| no_training_values(&frame[c].name))?;
        let s = stats::std(train_values(&frame[c], train), m);
        means.push(m);
        stds.push(if s > 0.0 { s } else { 1.0 });
    }
    let stride = train.div_ceil(KNN_MAX_REFERENCE).max(1);
    let mut reference = Vec::new();
    for r in (0..train).step_by(stride) {
        let row: Vec<f64> = cols.iter().map(|&c| frame[c].values[r]).collect();
        if row.iter().any(|x| !x.is_nan()) {
            reference.extend(row);
        }
    }
    Ok(Fitted::Knn {
        k,
        means,
        stds,
        reference,
    })
}

fn apply_knn(frame: &mut [Column], cols: &[usize], fitted: &Fitted) {
    let Fitted::Knn {
        k,
        means,
        stds,
        reference,
    } = fitted
    else {
        return;
    };
    let p = cols.len();
    let n = frame.first().map_or(0, |c| c.values.len());
    let refs = reference.len() / p.max(1);
    let mut best: Vec<(f64, usize)> = Vec::new();
    for r in 0..n {
        let row: Vec<f64> = cols.iter().map(|&c| frame[c].values[r]).collect();
        if !row.iter().any(|x| x.is_nan()) {
            continue;
        }
        for (j, &c) in cols.iter().enumerate() {
            if !row[j].is_nan() {
                continue;
            }
            best.clear();
            for q in 0..refs {
                let rr = &reference[q * p..(q + 1) * p];
                if rr[j].is_nan() {
                    continue;
                }
                let (mut d, mut common) = (0.0, 0usize);
                for i in 0..p {
                    if i != j && !row[i].is_nan() && !rr[i].is_nan() {
                        let z = (row[i] - rr[i]) / stds[i];
                        d += z * z;
                        common += 1;
                    }
                }
                if common > 0 {
                    best.push((d * p as f64 / common as f64, q));
                }
            }
            best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            best.truncate(*k as usize);
            frame[c].values[r] = if best.is_empty() {
                means[j]
            } else {
                best.iter().map(|&(_, q)| reference[q * p + j]).sum::<f64>() / best.len() as f64
            };
        }
    }
}

fn fit_iterative(
    frame: &[Column],
    cols: &[usize],
    train: usize,
    iterations: u32,
) -> Result<Fitted, Error> {
    let p = cols.len();
    let mut means = Vec::with_capacity(p);
    for &c in cols {
        means.push(
            stats::mean(train_values(&frame[c], train))
                .ok_or_else(|| no_training_values(&frame[c].name))?,
        );
    }
    let n = train.min(frame.first().map_or(0, |c| c.values.len()));
    // Working copy of the training rows, row-major, missing entries at the column mean.
    let missing: Vec<bool> = (0..n)
        .flat_map(|r| cols.iter().map(move |&c| frame[c].values[r].is_nan()))
        .collect();
    let mut x: Vec<f64> = (0..n)
        .flat_map(|r| cols.iter().enumerate().map(move |(j, &c)| (r, j, c)))
        .map(|(r, j, c)| {
            if frame[c].values[r].is_nan() {
                means[j]
            } else {
                frame[c].values[r]
            }
        })
        .collect();
    let mut coefficients = vec![vec![0.0; p]; p];
    for _ in 0..iterations.max(1) {
        for j in 0..p {
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            for r in 0..n {
                if !missing[r * p + j] {
                    xs.extend((0..p).filter(|&i| i != j).map(|i| x[r * p + i]));
                    ys.push(x[r * p + j]);
                }
            }
            let w = stats::ridge(&xs, &ys, p - 1, RIDGE_LAMBDA);
            for r in 0..n {
                if missing[r * p + j] {
                    x[r * p + j] = predict_one(&w, &x[r * p..(r + 1) * p], j);
                }
            }
            coefficients[j] = w;
        }
    }
    Ok(Fitted::Iterative {
        iterations: iterations.max(1),
        means,
        coefficients,
    })
}

fn predict_one(w: &[f64], row: &[f64], skip: usize) -> f64 {
    let mut y = w[0];
    let mut k = 1;
    for (i, &v) in row.iter().enumerate() {
        if i != skip {
            y += w[k] * v;
            k += 1;
        }
    }
    y
}

fn apply_iterative(frame: &mut [Column], cols: &[usize], fitted: &Fitted) {
    let Fitted::Iterative {
        iterations,
        means,
        coefficients,
    } = fitted
    else {
        return;
    };
    let p = cols.len();
    let n = frame.first().map_or(0, |c| c.values.len());
    let mut row = vec![0.0; p];
    let mut missing = vec![false; p];
    for r in 0..n {
        for (j, &c) in cols.iter().enumerate() {
            let v = frame[c].values[r];
            missing[j] = v.is_nan();
            row[j] = if v.is_nan() { means[j] } else { v };
        }
        if !missing.iter().any(|&m| m) {
            continue;
        }
        for _ in 0..*iterations {
            for j in 0..p {
                if missing[j] {
                    row[j] = predict_one(&coefficients[j], &row, j);
                }
            }
        }
        for (j, &c) in cols.iter().enumerate() {
            frame[c].values[r] = row[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: f64 = f64::NAN;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x - y).abs() < 1e-12)
    }

    #[test]
    fn fills_respect_their_limit() {
        let mut v = [1.0, N, N, N, 5.0, N];
        fill(&mut v, FillMethod::Forward, 2);
        assert!(same(&v, &[1.0, 1.0, 1.0, N, 5.0, 5.0]), "{v:?}");
        let mut v = [N, 1.0, N, N, 5.0, N];
        fill(&mut v, FillMethod::Backward, 1);
        assert!(same(&v, &[1.0, 1.0, N, 5.0, 5.0, N]), "{v:?}");
    }

    #[test]
    fn interpolation_fills_short_inner_gaps_only() {
        let mut v = [N, 0.0, N, N, 3.0, N, N, N, 7.0, N];
        interpolate(&mut v, 2);
        assert!(same(&v, &[N, 0.0, 1.0, 2.0, 3.0, N, N, N, 7.0, N]), "{v:?}");
    }

    fn col(name: &str, values: &[f64]) -> Column {
        Column {
            name: name.into(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn knn_and_iterative_recover_a_linear_relation() {
        // b = 2a exactly; a missing b should come back close to 2a.
        let a: Vec<f64> = (0..200).map(|i| i as f64).collect();
        let mut b: Vec<f64> = a.iter().map(|x| 2.0 * x).collect();
        b[100] = N;
        let names = ["a".into(), "b".into()];
        for method in [ImputeMethod::Knn, ImputeMethod::Iterative] {
            let step = Step::Impute {
                method,
                k: Some(2),
                iterations: None,
                columns: None,
            };
            let mut frame = vec![col("a", &a), col("b", &b)];
            let f = fit(&step, &frame, &names, 200).unwrap();
            apply(&step, &f, &mut frame, &names).unwrap();
            assert!(
                (frame[1].values[100] - 200.0).abs() < 1e-6,
                "{method:?}: {}",
                frame[1].values[100]
            );
        }
    }

    #[test]
    fn outliers_scaling_and_encoding() {
        let names = ["x".into()];
        let mut frame = vec![col("x", &[1.0, 2.0, 3.0, 4.0, 100.0])];
        let step = Step::Outliers {
            method: OutlierMethod::Iqr,
            threshold: None,
            action: OutlierAction::Clip,
            columns: None,
        };
        let f = fit(&step, &frame, &names, 5).unwrap();
        apply(&step, &f, &mut frame, &names).unwrap();
        // Q1 = 2, Q3 = 4: the upper fence is 7.
        assert!(same(&frame[0].values, &[1.0, 2.0, 3.0, 4.0, 7.0]));
        let step = Step::Scale {
            method: ScaleMethod::MinMax,
            columns: None,
        };
        let f = fit(&step, &frame, &names, 5).unwrap();
        apply(&step, &f, &mut frame, &names).unwrap();
        assert!(same(
            &frame[0].values,
            &[0.0, 1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0, 1.0]
        ));

        let mut frame = vec![col("site", &[3.0, 1.0, N, 3.0, 9.0])];
        let names = ["site".into()];
        let step = Step::Encode {
            method: EncodeMethod::OneHot,
            columns: names.to_vec(),
        };
        let f = fit(&step, &frame, &names, 4).unwrap();
        apply(&step, &f, &mut frame, &names).unwrap();
        assert_eq!(
            frame.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["site=1", "site=3"]
        );
        assert!(same(&frame[1].values, &[1.0, 0.0, N, 1.0, 0.0]));
    }
}
