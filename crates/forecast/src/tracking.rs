//! Bands that follow a station's own misses: online calibration after the model is
//! trained.
//!
//! The calibration a model is trained with (a [`Shift`] per step) is
//! honest on its held-out window, but the weather and the sources change: on the
//! canonical station the test year 2003 is more variable than 2002 and a static band
//! covers 73–78 % instead of 80 %. A [`Tracker`] corrects that the way quantile tracking
//! does (the P controller of Angelopoulos, Candès & Tibshirani, "Conformal PID control
//! for time series prediction", 2023): every time an outcome of step `k` becomes known,
//! each side's shift moves by `rate[k] · (miss − α)`, where `miss` is 1 when the outcome
//! fell outside that side of the band served for it and `α` is that side's nominal miss
//! rate (0.1 for P10, 0.1 for P90). Misses above the nominal rate widen the band, hits
//! narrow it. Over `n` outcomes the share of misses stays within `(B + rate) / (rate·n)`
//! of `α` whatever the data do, with `B` the largest shift reached: the long-run
//! coverage is the nominal one by construction, not by assumption.
//!
//! The state is a pure function of the model and the observations: it starts from the
//! artifact's shifts at the end of the calibration window (the spec's `track_since`) and
//! replays every origin after it in time order. The trainer's evaluation, `aqcast
//! forecast`, `model.forecast` with tracking, and the shifts `aqcast stations`
//! publishes for the edge worker and the dashboard all run this one replay and get the
//! same bits. An outcome counts only once it is observed: the shifts at origin `T` read
//! nothing after `T`.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// The calibration of one step: the lower bound moves down by `lower`, the upper bound up
/// by `upper` (negative values narrow the band). The artifact holds one per step from
/// the calibration window; tracking moves them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// Subtracted from the lower bound.
    pub lower: f64,
    /// Added to the upper bound.
    pub upper: f64,
}

/// What a replay gives: the shifts at the origin and what they rest on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tracked {
    /// One shift per step, to use instead of the artifact's.
    pub shifts: Vec<Shift>,
    /// The origin they hold at (Unix seconds, UTC).
    pub origin: i64,
    /// Outcomes (step forecasts whose target was measured) they took in.
    pub outcomes: u64,
}

/// An outcome waiting until its target time has passed.
#[derive(Clone, Copy, Debug)]
struct Pending {
    due: i64,
    low_miss: bool,
    high_miss: bool,
}

/// The online calibration state of one station and one model.
#[derive(Clone, Debug)]
pub struct Tracker {
    shifts: Vec<Shift>,
    rate: Vec<f64>,
    alpha: [f64; 2],
    /// Per step, outcomes in origin order (so in due order).
    pending: Vec<VecDeque<Pending>>,
    outcomes: u64,
    step_seconds: i64,
}

impl Tracker {
    /// A tracker starting from the artifact's shifts, for bands between quantile levels
    /// `lower` and `upper` on a grid of `step_seconds`. `rate` has one entry per shift
    /// (the spec's `track_rate`).
    pub fn new(
        calibration: &[Shift],
        rate: &[f64],
        lower: f64,
        upper: f64,
        step_seconds: i64,
    ) -> Tracker {
        Tracker {
            shifts: calibration.to_vec(),
            rate: rate.to_vec(),
            alpha: [lower, 1.0 - upper],
            pending: (0..calibration.len()).map(|_| VecDeque::new()).collect(),
            outcomes: 0,
            step_seconds,
        }
    }

    /// The shifts as they stand.
    pub fn shifts(&self) -> &[Shift] {
        &self.shifts
    }

    /// Outcomes taken in so far.
    pub fn outcomes(&self) -> u64 {
        self.outcomes
    }

    /// Takes in every recorded outcome whose target time is at or before `time`.
    pub fn advance(&mut self, time: i64) {
        for (k, queue) in self.pending.iter_mut().enumerate() {
            while queue.front().is_some_and(|p| p.due <= time) {
                let Some(p) = queue.pop_front() else { break };
                let r = self.rate.get(k).copied().unwrap_or(0.0);
                let s = &mut self.shifts[k];
                s.lower += r * (f64::from(u8::from(p.low_miss)) - self.alpha[0]);
                s.upper += r * (f64::from(u8::from(p.high_miss)) - self.alpha[1]);
                self.outcomes += 1;
            }
        }
    }

    /// Records the outcome `y` of the forecast `step` ahead (1-based) made at `origin`
    /// from the raw head outputs `raw` (lower, median, upper), whose shifts are in units
    /// of `scale` (1, or the row's band width: [`crate::forecast::Spec::scale_of`]):
    /// judged against the band served at that origin (the shifts now), taken in once its
    /// target time has passed. Steps outside the tracker and non-finite outcomes are
    /// ignored.
    pub fn record(&mut self, origin: i64, step: u32, raw: [f64; 3], scale: f64, y: f64) {
        let k = step as usize;
        if k == 0 || k > self.shifts.len() || !y.is_finite() {
            return;
        }
        let s = self.shifts[k - 1];
        let due = origin.saturating_add(i64::from(step).saturating_mul(self.step_seconds));
        self.pending[k - 1].push_back(Pending {
            due,
            low_miss: y < raw[0] - s.lower * scale,
            high_miss: y > raw[2] + s.upper * scale,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(rate: f64) -> Tracker {
        Tracker::new(
            &[Shift {
                lower: 1.0,
                upper: 1.0,
            }],
            &[rate],
            0.1,
            0.9,
            3600,
        )
    }

    #[test]
    fn an_outcome_counts_only_once_its_target_time_has_passed() {
        let mut t = tracker(0.5);
        // Forecast at 0 for 3600: the outcome 100 is far above the band [9, 11].
        t.record(0, 1, [10.0, 10.0, 10.0], 1.0, 100.0);
        t.advance(3599);
        assert_eq!(t.shifts()[0].upper, 1.0);
        assert_eq!(t.outcomes(), 0);
        t.advance(3600);
        assert_eq!(t.outcomes(), 1);
        // A miss above widens the upper side by rate · 0.9; the lower side, hit, narrows
        // by rate · 0.1.
        assert_eq!(t.shifts()[0].upper, 1.0 + 0.5 * 0.9);
        assert_eq!(t.shifts()[0].lower, 1.0 - 0.5 * 0.1);
    }

    #[test]
    fn misses_are_judged_against_the_band_served_then() {
        let mut t = tracker(1.0);
        // Served band at 0: [9, 11]; 11.5 is a miss even if the band later widens.
        t.record(0, 1, [10.0, 10.0, 10.0], 1.0, 11.5);
        t.record(3600, 1, [10.0, 10.0, 10.0], 1.0, 100.0);
        t.advance(7200);
        assert_eq!(t.outcomes(), 2);
        assert_eq!(t.shifts()[0].upper, 1.0 + 2.0 * 0.9);
    }

    #[test]
    fn the_share_of_misses_converges_to_the_nominal_rate() {
        // Outcomes from a wide distribution that a band of ±1 covers far too rarely: the
        // tracker widens it until about one in ten falls above it.
        let mut t = tracker(0.05);
        let mut x = 12345u64;
        let (mut above, n) = (0usize, 20_000i64);
        for i in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            let y = 10.0 + 20.0 * (u - 0.5);
            let s = t.shifts()[0];
            above += usize::from(y > 10.0 + s.upper);
            t.record(i * 3600, 1, [10.0, 10.0, 10.0], 1.0, y);
            t.advance((i + 1) * 3600);
        }
        let share = above as f64 / n as f64;
        assert!((share - 0.1).abs() < 0.01, "{share}");
        // y is uniform on [0, 20]: P90 is 18, 8 above the raw bound.
        assert!((t.shifts()[0].upper - 8.0).abs() < 1.0, "{:?}", t.shifts());
    }

    #[test]
    fn missing_outcomes_and_unknown_steps_change_nothing() {
        let mut t = tracker(1.0);
        t.record(0, 1, [10.0; 3], 1.0, f64::NAN);
        t.record(0, 0, [10.0; 3], 1.0, 100.0);
        t.record(0, 2, [10.0; 3], 1.0, 100.0);
        t.advance(i64::MAX);
        assert_eq!(t.outcomes(), 0);
        assert_eq!(
            t.shifts(),
            &[Shift {
                lower: 1.0,
                upper: 1.0
            }]
        );
    }
}
