//! The few statistics the pipeline fits: mean, standard deviation, quantiles, ridge
//! regression. Deterministic, in plain f64 arithmetic, the same on every target.

use alloc::vec;
use alloc::vec::Vec;

/// Mean of the present (non-NaN) values, `None` if there are none.
pub fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for v in values.filter(|v| !v.is_nan()) {
        s += v;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

/// Population standard deviation of the present values around `m`.
pub fn std(values: impl Iterator<Item = f64>, m: f64) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for v in values.filter(|v| !v.is_nan()) {
        s += (v - m) * (v - m);
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        libm::sqrt(s / n as f64)
    }
}

/// The present values, sorted.
pub fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|v| !v.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Quantile `q` of sorted values with linear interpolation (numpy's and pandas' default).
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = q * (n - 1) as f64;
    let lo = pos as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

/// Ridge regression of `y` on the columns of `x` (row-major, `p` columns), with the
/// predictors centred and an unpenalised intercept. Returns `[intercept, w_1 … w_p]`.
pub fn ridge(x: &[f64], y: &[f64], p: usize, lambda: f64) -> Vec<f64> {
    let n = y.len();
    let mut out = vec![0.0; p + 1];
    if n == 0 {
        return out;
    }
    let ym = y.iter().sum::<f64>() / n as f64;
    let mut xm = vec![0.0; p];
    for r in 0..n {
        for j in 0..p {
            xm[j] += x[r * p + j];
        }
    }
    for m in &mut xm {
        *m /= n as f64;
    }
    // Normal equations (XcᵀXc + λ·n·I) w = Xcᵀ(y − ȳ), augmented matrix p × (p + 1).
    let mut a = vec![0.0; p * (p + 1)];
    for r in 0..n {
        let yr = y[r] - ym;
        for i in 0..p {
            let xi = x[r * p + i] - xm[i];
            for j in 0..p {
                a[i * (p + 1) + j] += xi * (x[r * p + j] - xm[j]);
            }
            a[i * (p + 1) + p] += xi * yr;
        }
    }
    for i in 0..p {
        a[i * (p + 1) + i] += lambda * n as f64 + 1e-12;
    }
    let w = solve(&mut a, p);
    out[0] = ym - w.iter().zip(&xm).map(|(w, m)| w * m).sum::<f64>();
    out[1..].copy_from_slice(&w);
    out
}

/// Gaussian elimination with partial pivoting on an augmented `p × (p + 1)` matrix.
/// A singular direction gets weight 0.
fn solve(a: &mut [f64], p: usize) -> Vec<f64> {
    let w = p + 1;
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&i, &j| libm::fabs(a[i * w + col]).total_cmp(&libm::fabs(a[j * w + col])))
            .unwrap_or(col);
        if pivot != col {
            for k in 0..w {
                a.swap(col * w + k, pivot * w + k);
            }
        }
        let d = a[col * w + col];
        if libm::fabs(d) < 1e-300 {
            continue;
        }
        for row in 0..p {
            if row != col {
                let f = a[row * w + col] / d;
                if f != 0.0 {
                    for k in col..w {
                        a[row * w + k] -= f * a[col * w + k];
                    }
                }
            }
        }
    }
    (0..p)
        .map(|i| {
            let d = a[i * w + i];
            if libm::fabs(d) < 1e-300 {
                0.0
            } else {
                a[i * w + p] / d
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        let s = sorted([1.0, 2.0, 3.0, 4.0, f64::NAN].into_iter());
        assert_eq!(quantile(&s, 0.25), Some(1.75));
        assert_eq!(quantile(&s, 0.5), Some(2.5));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn ridge_recovers_a_plane() {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..50 {
            let (a, b) = (i as f64, ((i * 7) % 11) as f64);
            x.extend([a, b]);
            y.push(3.0 + 2.0 * a - 0.5 * b);
        }
        let w = ridge(&x, &y, 2, 0.0);
        assert!(
            (w[0] - 3.0).abs() < 1e-6 && (w[1] - 2.0).abs() < 1e-9 && (w[2] + 0.5).abs() < 1e-9,
            "{w:?}"
        );
    }
}
