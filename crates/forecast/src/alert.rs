//! When to tell a subscriber: one rule in the core, so that the edge worker's alerts and
//! anything else that speaks of them agree. A subscriber follows a station from a
//! threshold category; the forecast's next 24 hours either reach it or not. An episode
//! starts when they reach it and clears when they no longer do; each start and each
//! clearing is told once, so a subscriber hears at most twice per episode, however often
//! the forecast is made in between.

use crate::forecast::Forecast;

/// How far ahead a forecast is watched (seconds).
pub const WINDOW_SECONDS: i64 = 24 * 3600;

/// What the next 24 hours of a forecast hold against a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Watch {
    /// The worst category of the window's central forecasts (0 best).
    pub worst: u8,
    /// The first step at or past the threshold (Unix seconds, UTC), if any.
    pub from: Option<i64>,
    /// The step of the worst category (its first), when the threshold is reached.
    pub worst_at: Option<i64>,
}

/// The steps of `fc` whose time is within [`WINDOW_SECONDS`] of its first step (a daily
/// forecast: its first day), against `threshold` (1 best to 6). `None` for a forecast
/// without steps.
pub fn watch(fc: &Forecast, threshold: u8) -> Option<Watch> {
    let first = fc.steps.first()?.time;
    let window = fc
        .steps
        .iter()
        .take_while(|s| s.time < first + WINDOW_SECONDS.max(fc.step_seconds));
    let mut w = Watch {
        worst: 0,
        from: None,
        worst_at: None,
    };
    let mut worst_time = first;
    for s in window {
        if s.category + 1 >= threshold && w.from.is_none() {
            w.from = Some(s.time);
        }
        if s.category > w.worst {
            w.worst = s.category;
            worst_time = s.time;
        }
    }
    if w.from.is_some() {
        w.worst_at = Some(worst_time);
    }
    Some(w)
}

/// What to tell a subscriber.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tell {
    /// The next 24 hours reach the threshold: an episode starts.
    Starts,
    /// They no longer do: the episode told of clears.
    Clears,
}

/// What to tell a subscriber whose last word was `on` (an episode told and not cleared)
/// about `watch` (made at their threshold), if anything; the state after is on for
/// [`Tell::Starts`], off for [`Tell::Clears`], and as it was otherwise.
pub fn next(on: bool, watch: &Watch) -> Option<Tell> {
    match (on, watch.from.is_some()) {
        (false, true) => Some(Tell::Starts),
        (true, false) => Some(Tell::Clears),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aqi::Scale;
    use crate::forecast::Step;
    use crate::pollutant::{Pollutant, Unit};
    use alloc::vec::Vec;

    fn forecast(categories: &[u8], step_seconds: i64) -> Forecast {
        Forecast {
            origin: 0,
            data_time: 0,
            pollutant: Pollutant::Pm25,
            unit: Unit::UgM3,
            scale: Scale::Epa,
            step_seconds,
            categories: Vec::new(),
            steps: categories
                .iter()
                .enumerate()
                .map(|(i, &c)| Step {
                    step: i as u32 + 1,
                    time: 3600 + i as i64 * step_seconds,
                    p10: 0.0,
                    p50: 0.0,
                    p90: 0.0,
                    aqi: 0,
                    category: c,
                    probabilities: Vec::new(),
                })
                .collect(),
            tracked: None,
            ahead: Vec::new(),
        }
    }

    #[test]
    fn only_the_next_24_hours_count() {
        // Hourly: 24 steps of Good, then Unhealthy from the 25th hour: not yet.
        let mut c = [0u8; 72];
        c[24..].fill(3);
        let w = watch(&forecast(&c, 3600), 3).unwrap_or_else(|| panic!("steps"));
        assert_eq!((w.worst, w.from), (0, None));
        // From the 20th hour (index 19): reached, from then; the worst its first step.
        c[19] = 2;
        c[21] = 3;
        let w = watch(&forecast(&c, 3600), 3).unwrap_or_else(|| panic!("steps"));
        assert_eq!(
            (w.worst, w.from, w.worst_at),
            (3, Some(3600 + 19 * 3600), Some(3600 + 21 * 3600))
        );
        // Daily: the first day alone.
        let w = watch(&forecast(&[1, 4, 4], 86_400), 3).unwrap_or_else(|| panic!("steps"));
        assert_eq!((w.worst, w.from), (1, None));
        assert_eq!(watch(&forecast(&[], 3600), 3), None);
    }

    #[test]
    fn an_episode_is_told_when_it_starts_and_when_it_clears_once_each() {
        let bad = Watch {
            worst: 3,
            from: Some(0),
            worst_at: Some(0),
        };
        let good = Watch {
            worst: 1,
            from: None,
            worst_at: None,
        };
        let mut on = false;
        let mut told = Vec::new();
        for w in [&good, &bad, &bad, &bad, &good, &good, &bad] {
            if let Some(t) = next(on, w) {
                told.push(t);
                on = t == Tell::Starts;
            }
        }
        assert_eq!(told, [Tell::Starts, Tell::Clears, Tell::Starts]);
    }
}
