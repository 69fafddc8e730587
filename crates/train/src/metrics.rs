//! Evaluation metrics (SPEC §4).

use serde::Serialize;

use super::loss::pinball;

/// Metrics of predictions against targets.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metrics {
    /// Rows evaluated.
    pub n: usize,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean squared error.
    pub mse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Mean absolute percentage error, over rows whose target is not zero (in %).
    pub mape: f64,
    /// Mean of prediction − target.
    pub bias: f64,
    /// Pinball loss at the head's quantile (quantile heads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinball: Option<f64>,
    /// Share of rows whose predicted AQI category equals the actual one (pollutant
    /// targets only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aqi_category_accuracy: Option<f64>,
}

/// Computes the metrics of `pred` against `y`.
pub fn evaluate(pred: &[f64], y: &[f64], quantile: Option<f64>) -> Metrics {
    let n = y.len();
    if n == 0 {
        return Metrics::default();
    }
    let nf = n as f64;
    let mean_y = y.iter().sum::<f64>() / nf;
    let (mut se, mut ae, mut bias, mut ss_tot) = (0.0, 0.0, 0.0, 0.0);
    let (mut ape, mut n_ape) = (0.0, 0usize);
    for (&p, &t) in pred.iter().zip(y) {
        let r = p - t;
        se += r * r;
        ae += r.abs();
        bias += r;
        ss_tot += (t - mean_y) * (t - mean_y);
        if t != 0.0 {
            ape += (r / t).abs();
            n_ape += 1;
        }
    }
    Metrics {
        n,
        rmse: (se / nf).sqrt(),
        mse: se / nf,
        mae: ae / nf,
        r2: if ss_tot > 0.0 { 1.0 - se / ss_tot } else { 0.0 },
        mape: if n_ape > 0 {
            100.0 * ape / n_ape as f64
        } else {
            f64::NAN
        },
        bias: bias / nf,
        pinball: quantile.map(|q| {
            pred.iter()
                .zip(y)
                .map(|(&p, &t)| pinball(p, t, q))
                .sum::<f64>()
                / nf
        }),
        aqi_category_accuracy: None,
    }
}

/// Share of rows where `category(pred) == category(y)`, skipping rows either side has no
/// category for.
pub fn category_accuracy(
    pred: &[f64],
    y: &[f64],
    category: impl Fn(f64) -> Option<u8>,
) -> Option<f64> {
    let (mut hit, mut n) = (0usize, 0usize);
    for (&p, &t) in pred.iter().zip(y) {
        if let (Some(a), Some(b)) = (category(p), category(t)) {
            n += 1;
            hit += usize::from(a == b);
        }
    }
    (n > 0).then(|| hit as f64 / n as f64)
}
