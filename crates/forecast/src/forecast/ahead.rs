//! Inputs known ahead: a weather forecast whose value at the *target* time is a feature
//! of each step.
//!
//! A model reads them through [`super::HorizonFeature::Ahead`] and the wind components
//! made of them. Training reads what was measured at the target time (blurred as a
//! forecast would be, [`Blurred`], or as measured, "perfect prognosis"); serving reads the
//! forecast issued at the origin. Both come in as raw series in the variable's canonical
//! unit and are put on the pipeline's grid one way ([`AheadGrid`]: the mean of the values
//! in each grid step, a circular mean for a wind direction), so a step's feature means the
//! same thing in training and in service.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::pipeline::Series;

/// Where a stacked row reads the values known ahead.
pub trait AheadValues {
    /// The value of `variable` for the grid step starting at `target`, as known at the
    /// origin `step` grid steps before it; NaN where unknown.
    fn value(&self, variable: &str, step: u32, target: i64) -> f64;
}

/// No value known ahead (a model without such inputs).
pub struct Nothing;

impl AheadValues for Nothing {
    fn value(&self, _: &str, _: u32, _: i64) -> f64 {
        f64::NAN
    }
}

/// Variables on a regular grid: per grid step, the mean of the finite values in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AheadGrid {
    start: i64,
    step: i64,
    columns: Vec<(String, Vec<f64>)>,
}

impl AheadGrid {
    /// The grid steps `start, start + step, …` before `end` (exclusive; `start` floored
    /// to the grid) of each of `variables` in `series`. A grid of more than `max_rows`
    /// steps is cut there.
    pub fn of(
        series: &[Series],
        variables: &[&str],
        start: i64,
        end: i64,
        step: i64,
        max_rows: usize,
    ) -> AheadGrid {
        let step = step.max(1);
        let start = start.div_euclid(step) * step;
        let rows = usize::try_from(end.saturating_sub(start).div_euclid(step).max(0))
            .unwrap_or(0)
            .min(max_rows);
        let columns = variables
            .iter()
            .map(|&v| {
                // A direction is averaged on the circle (350° and 10° make 0°, not 180°).
                let circular = v == "wd";
                let mut sum = vec![(0.0, 0.0); rows];
                let mut count = vec![0u32; rows];
                for s in series.iter().filter(|s| s.variable == v) {
                    for (&t, &x) in s.times.iter().zip(&s.values) {
                        if !x.is_finite() || t < start {
                            continue;
                        }
                        let i = (t - start) / step;
                        if let Some(i) = usize::try_from(i).ok().filter(|&i| i < rows) {
                            if circular {
                                let r = x * (core::f64::consts::PI / 180.0);
                                sum[i].0 += libm::sin(r);
                                sum[i].1 += libm::cos(r);
                            } else {
                                sum[i].0 += x;
                            }
                            count[i] += 1;
                        }
                    }
                }
                let means = sum
                    .iter()
                    .zip(&count)
                    .map(|(&(a, b), &c)| match (c, circular) {
                        (0, _) => f64::NAN,
                        (1, _) if !circular => a,
                        (_, false) => a / f64::from(c),
                        (_, true) => {
                            let d = libm::atan2(a, b) * (180.0 / core::f64::consts::PI);
                            let d = if d < 0.0 { d + 360.0 } else { d };
                            if d >= 360.0 {
                                0.0
                            } else {
                                d
                            }
                        }
                    })
                    .collect();
                (String::from(v), means)
            })
            .collect();
        AheadGrid {
            start,
            step,
            columns,
        }
    }

    /// The gridded values of `variable`, by grid step from the start.
    pub fn column(&self, variable: &str) -> Option<&[f64]> {
        self.columns
            .iter()
            .find(|(v, _)| v == variable)
            .map(|(_, c)| c.as_slice())
    }

    /// The value of `variable` for the grid step starting at (or holding) `t`.
    pub fn at(&self, variable: &str, t: i64) -> f64 {
        if self.step <= 0 {
            return f64::NAN;
        }
        let i = (t - self.start).div_euclid(self.step);
        self.column(variable)
            .and_then(|c| usize::try_from(i).ok().and_then(|i| c.get(i)))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// The last grid step holding a value of `variable` (its start, Unix seconds).
    pub fn last(&self, variable: &str) -> Option<i64> {
        let c = self.column(variable)?;
        let i = c.iter().rposition(|v| v.is_finite())?;
        Some(self.start + i as i64 * self.step)
    }
}

impl AheadValues for AheadGrid {
    fn value(&self, variable: &str, _: u32, target: i64) -> f64 {
        self.at(variable, target)
    }
}

/// How far a forecast of one variable is from what is then measured: a Gaussian error of
/// standard deviation `sigma + per_day · lead time in days`, in the variable's canonical
/// unit (degrees for a wind direction).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorModel {
    /// The error at lead time 0 (a forecast's analysis against a station's own
    /// measurement: representativeness, not only forecast skill).
    pub sigma: f64,
    /// What each day of lead time adds.
    pub per_day: f64,
}

impl ErrorModel {
    /// The standard deviation at `seconds` of lead time.
    pub fn at(&self, seconds: i64) -> f64 {
        self.sigma + self.per_day * seconds as f64 / 86_400.0
    }

    /// Whether both parts are finite and ≥ 0.
    pub fn is_valid(&self) -> bool {
        self.sigma.is_finite()
            && self.sigma >= 0.0
            && self.per_day.is_finite()
            && self.per_day >= 0.0
    }
}

/// Measured values read ahead, blurred as a forecast `step` grid steps ahead would be:
/// what the trainer calibrates and scores with, and what the band replay
/// ([`crate::tracking`]) reads for past origins, so that bands are not narrowed by
/// weather nobody could have known. The blur is Gaussian ([`ErrorModel`]) and its draw a
/// hash of (station, target time, step, variable): a pure function, reproducible, the
/// same whatever order rows are visited in.
#[derive(Clone, Copy)]
pub struct Blurred<'a> {
    /// The measured values.
    pub observed: &'a AheadGrid,
    /// The error of each variable (a variable without one is read as measured).
    pub errors: &'a BTreeMap<String, ErrorModel>,
    /// The grid step in seconds.
    pub step_seconds: i64,
    /// Distinguishes stations ([`seed`]), so two stations' draws differ.
    pub seed: u64,
}

impl AheadValues for Blurred<'_> {
    fn value(&self, variable: &str, step: u32, target: i64) -> f64 {
        let v = self.observed.at(variable, target);
        let Some(e) = self.errors.get(variable) else {
            return v;
        };
        if !v.is_finite() {
            return v;
        }
        let z = normal(hash(&[
            self.seed,
            target as u64,
            u64::from(step),
            seed(variable),
        ]));
        let x = v + e.at(i64::from(step) * self.step_seconds) * z;
        match variable {
            "wd" => {
                // In [0, 360): a tiny negative value would round up to 360 itself.
                let d = x - 360.0 * libm::floor(x / 360.0);
                if d >= 360.0 {
                    0.0
                } else {
                    d
                }
            }
            "rh" => x.clamp(0.0, 100.0),
            "ws" | "pressure" => x.max(0.0),
            _ => x,
        }
    }
}

/// The seed of a station's draws (FNV-1a of its id: the station a multi-station model
/// names, "" for a single-station model).
pub fn seed(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finaliser over the words, one after the other.
fn hash(words: &[u64]) -> u64 {
    let mut h = 0x9e37_79b9_7f4a_7c15u64;
    for &w in words {
        h = mix(h ^ w);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A standard normal draw from a hash (Box–Muller on two 53-bit uniforms).
fn normal(h: u64) -> f64 {
    let u = |x: u64| ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (a, b) = (u(h), u(mix(h)));
    libm::sqrt(-2.0 * libm::log(a)) * libm::cos(core::f64::consts::TAU * b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors() -> BTreeMap<String, ErrorModel> {
        [("temp", 1.0, 0.4), ("wd", 30.0, 5.0)]
            .into_iter()
            .map(|(v, sigma, per_day)| (String::from(v), ErrorModel { sigma, per_day }))
            .collect()
    }

    #[test]
    fn a_grid_step_holds_the_mean_of_its_values() {
        let s = [Series {
            variable: "ws".into(),
            times: vec![3600, 3700, 7200, 20_000],
            values: vec![2.0, 4.0, f64::NAN, 9.0],
        }];
        let g = AheadGrid::of(&s, &["ws", "temp"], 3600, 4 * 3600, 3600, 100);
        assert_eq!(g.at("ws", 3600), 3.0);
        assert_eq!(g.at("ws", 3601), 3.0);
        assert!(g.at("ws", 7200).is_nan());
        // Past the end and before the start: unknown.
        assert!(g.at("ws", 20_000).is_nan());
        assert!(g.at("ws", 0).is_nan());
        assert_eq!(g.last("ws"), Some(3600));
        assert_eq!((g.last("temp"), g.last("rh")), (None, None));
        // Directions on the circle.
        let d = [Series {
            variable: "wd".into(),
            times: vec![0, 10, 3600],
            values: vec![350.0, 10.0, 90.0],
        }];
        let g = AheadGrid::of(&d, &["wd"], 0, 7200, 3600, 10);
        assert!(
            g.at("wd", 0) < 1e-9 || g.at("wd", 0) > 360.0 - 1e-9,
            "{}",
            g.at("wd", 0)
        );
        assert!((g.at("wd", 3600) - 90.0).abs() < 1e-9);
        // A grid without a step answers nothing rather than dividing by zero.
        assert!(AheadGrid::default().at("ws", 0).is_nan());
        let small = AheadGrid::of(&s, &["ws"], 3600, 1_000_000, 3600, 2);
        assert_eq!(small.column("ws").map(<[f64]>::len), Some(2));
    }

    #[test]
    fn the_blur_has_the_error_models_size_and_grows_with_the_lead_time() {
        let n = 20_000;
        let series = [Series {
            variable: "temp".into(),
            times: (0..n).map(|i| i * 3600).collect(),
            values: vec![10.0; n as usize],
        }];
        let grid = AheadGrid::of(&series, &["temp"], 0, n * 3600, 3600, n as usize);
        let errors = errors();
        let b = Blurred {
            observed: &grid,
            errors: &errors,
            step_seconds: 3600,
            seed: 7,
        };
        for (step, sd) in [(1u32, 1.0 + 0.4 / 24.0), (72, 1.0 + 0.4 * 3.0)] {
            let d: Vec<f64> = (0..n)
                .map(|i| b.value("temp", step, i * 3600) - 10.0)
                .collect();
            let mean = d.iter().sum::<f64>() / n as f64;
            let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(mean.abs() < 0.05, "mean {mean}");
            assert!(
                (var.sqrt() / sd - 1.0).abs() < 0.03,
                "sd {} vs {sd}",
                var.sqrt()
            );
        }
        // Reproducible, and unknown stays unknown.
        assert_eq!(b.value("temp", 5, 3600), b.value("temp", 5, 3600));
        assert_ne!(b.value("temp", 5, 3600), b.value("temp", 6, 3600));
        assert!(b.value("temp", 1, -3600).is_nan());
    }

    #[test]
    fn a_blurred_direction_stays_a_direction() {
        let series = [Series {
            variable: "wd".into(),
            times: (0..500).map(|i| i * 3600).collect(),
            values: vec![355.0; 500],
        }];
        let grid = AheadGrid::of(&series, &["wd"], 0, 500 * 3600, 3600, 500);
        let errors = errors();
        let b = Blurred {
            observed: &grid,
            errors: &errors,
            step_seconds: 3600,
            seed: 1,
        };
        assert!((0..500).all(|i| (0.0..360.0).contains(&b.value("wd", 24, i * 3600))));
    }
}
