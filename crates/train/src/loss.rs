//! Training objectives: gradients and hessians of each loss, the initial score, and (for
//! absolute and quantile losses) the leaf values re-fitted to residual percentiles, as
//! LightGBM does.

use serde::{Deserialize, Serialize};

/// A loss to minimise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Squared error (L2).
    SquaredError,
    /// Absolute error (L1).
    AbsoluteError,
    /// Huber loss with threshold `huber_delta`.
    Huber,
    /// Pinball loss of the quantile `alpha`.
    Quantile,
    /// Poisson deviance (log link; targets ≥ 0).
    Poisson,
}

/// An objective with its parameters.
#[derive(Clone, Copy, Debug)]
pub struct Loss {
    /// Which loss.
    pub objective: Objective,
    /// Quantile (quantile loss).
    pub alpha: f64,
    /// Huber threshold.
    pub delta: f64,
}

/// LightGBM's `max_delta_step` safeguard for Poisson hessians.
const POISSON_MAX_DELTA_STEP: f64 = 0.7;

impl Loss {
    /// Whether the prediction is `exp(score)`.
    pub fn log_link(&self) -> bool {
        self.objective == Objective::Poisson
    }

    /// Whether every hessian is 1 (histograms can count instead of summing).
    pub fn unit_hessian(&self) -> bool {
        !self.log_link()
    }

    /// Whether leaf values are re-fitted to residual percentiles after each tree.
    pub fn renews_leaves(&self) -> Option<f64> {
        match self.objective {
            Objective::AbsoluteError => Some(0.5),
            Objective::Quantile => Some(self.alpha),
            _ => None,
        }
    }

    /// The constant score trees start from.
    pub fn init_score(&self, y: &[f64]) -> f64 {
        let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
        match self.objective {
            Objective::SquaredError | Objective::Huber => mean,
            Objective::AbsoluteError => percentile(&mut y.to_vec(), 0.5),
            Objective::Quantile => percentile(&mut y.to_vec(), self.alpha),
            Objective::Poisson => mean.max(1e-12).ln(),
        }
    }

    /// Gradient and hessian of the loss at `score` for label `y`.
    #[inline]
    pub fn grad_hess(&self, score: f64, y: f64) -> (f64, f64) {
        match self.objective {
            Objective::SquaredError => (score - y, 1.0),
            Objective::AbsoluteError => (if score > y { 1.0 } else { -1.0 }, 1.0),
            Objective::Huber => {
                let r = score - y;
                (r.clamp(-self.delta, self.delta), 1.0)
            }
            Objective::Quantile => (
                if score > y {
                    1.0 - self.alpha
                } else {
                    -self.alpha
                },
                1.0,
            ),
            Objective::Poisson => (score.exp() - y, (score + POISSON_MAX_DELTA_STEP).exp()),
        }
    }

    /// The loss of one prediction (in the target's units), for early stopping.
    pub fn loss(&self, prediction: f64, y: f64) -> f64 {
        match self.objective {
            Objective::SquaredError => (prediction - y).powi(2),
            Objective::AbsoluteError => (prediction - y).abs(),
            Objective::Huber => {
                let r = (prediction - y).abs();
                if r <= self.delta {
                    0.5 * r * r
                } else {
                    self.delta * (r - 0.5 * self.delta)
                }
            }
            Objective::Quantile => pinball(prediction, y, self.alpha),
            Objective::Poisson => prediction - y * prediction.max(1e-12).ln(),
        }
    }

    /// Checks the labels: finite, and ≥ 0 for Poisson.
    pub fn check_labels(&self, y: &[f64]) -> Result<(), crate::Error> {
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(crate::Error::Labels(format!(
                "target row {i} is {} (rows without a target must be dropped first)",
                y[i]
            )));
        }
        if self.objective == Objective::Poisson {
            if let Some(i) = y.iter().position(|&v| v < 0.0) {
                return Err(crate::Error::Labels(format!(
                    "the Poisson objective needs targets ≥ 0; row {i} is {}",
                    y[i]
                )));
            }
        }
        Ok(())
    }
}

/// Pinball (quantile) loss.
pub fn pinball(prediction: f64, y: f64, alpha: f64) -> f64 {
    let r = y - prediction;
    if r >= 0.0 {
        alpha * r
    } else {
        (alpha - 1.0) * r
    }
}

/// Percentile `q` of `v` with linear interpolation (sorts `v`).
pub fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}
