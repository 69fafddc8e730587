//! What a forecast means per day: each local day's worst category, its highest AQI and
//! the chance of the next worse category: one rule in the core, so that every front end
//! that speaks of days (the dashboard today) says the same of the same forecast.

use alloc::vec::Vec;

use crate::forecast::Forecast;

/// A day of a forecast.
#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    /// The first step's time (Unix seconds, UTC).
    pub start: i64,
    /// The worst category of the day's central forecasts.
    pub category: u8,
    /// The highest AQI of the day's central forecasts.
    pub aqi: u32,
    /// The next worse category and the highest chance of reaching it in any step of the
    /// day, when that is at least 10 %.
    pub chance: Option<(u8, f64)>,
}

/// The least chance of a worse category that a day mentions.
pub const CHANCE_SHOWN: f64 = 0.1;

/// The forecast's days (local days at `offset` seconds from UTC): each day's worst
/// category and its chance of the next worse one. A step belongs to the day it starts
/// in.
pub fn days(fc: &Forecast, offset: i64) -> Vec<Day> {
    let day_of = |t: i64| t.saturating_add(offset).div_euclid(86_400);
    let mut out: Vec<Day> = Vec::new();
    let mut last_key = None;
    for s in &fc.steps {
        let key = day_of(s.time);
        if last_key != Some(key) {
            out.push(Day {
                start: s.time,
                category: s.category,
                aqi: s.aqi,
                chance: None,
            });
            last_key = Some(key);
        }
        let Some(d) = out.last_mut() else { continue };
        if s.category > d.category {
            d.category = s.category;
        }
        d.aqi = d.aqi.max(s.aqi);
    }
    for d in &mut out {
        let key = day_of(d.start);
        let worse = usize::from(d.category) + 1;
        let p = fc
            .steps
            .iter()
            .filter(|s| day_of(s.time) == key)
            .map(|s| s.probabilities.iter().skip(worse).sum::<f64>())
            .fold(0.0, f64::max);
        if worse < fc.categories.len() && p >= CHANCE_SHOWN {
            d.chance = Some((worse as u8, p));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aqi::{categories, Scale};
    use crate::forecast::Step;
    use crate::pollutant::{Pollutant, Unit};
    use alloc::vec;

    fn forecast(step_seconds: i64, cats: &[(u8, u32, Vec<f64>)]) -> Forecast {
        Forecast {
            origin: 0,
            data_time: 0,
            pollutant: Pollutant::No2,
            unit: Unit::UgM3,
            scale: Scale::Eea,
            step_seconds,
            categories: categories(Scale::Eea),
            steps: cats
                .iter()
                .enumerate()
                .map(|(i, (c, aqi, p))| Step {
                    step: i as u32 + 1,
                    time: 1_072_911_600 + (i as i64 + 1) * step_seconds,
                    p10: 1.0,
                    p50: 2.0,
                    p90: 3.0,
                    aqi: *aqi,
                    category: *c,
                    probabilities: p.clone(),
                })
                .collect(),
            tracked: None,
            ahead: Vec::new(),
        }
    }

    #[test]
    fn a_day_is_its_worst_step_with_the_chance_of_worse() {
        // Steps every 12 hours from 12:00 UTC: day 0 has one step, day 1 two, day 2 one.
        let mut fc = forecast(
            43_200,
            &[
                (0, 1, vec![0.95, 0.05, 0.0, 0.0, 0.0, 0.0]),
                (1, 2, vec![0.2, 0.5, 0.3, 0.0, 0.0, 0.0]),
                (0, 1, vec![0.6, 0.3, 0.1, 0.0, 0.0, 0.0]),
                (2, 3, vec![0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
            ],
        );
        for (i, s) in fc.steps.iter_mut().enumerate() {
            s.time = (i as i64 + 1) * 43_200;
        }
        let d = days(&fc, 0);
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].category, d[0].chance), (0, None));
        assert_eq!(
            (d[1].category, d[1].aqi, d[1].chance),
            (1, 2, Some((2, 0.3)))
        );
        // A day is a local day: 13 hours east, the 12:00 UTC step starts the next day.
        let east = days(&fc, 13 * 3_600);
        assert_eq!(east.len(), 2);
        assert_eq!((east[0].start, east[0].category), (43_200, 1));
    }

    proptest::proptest! {
        /// Days split the steps by local date, in order; a day's category and AQI are
        /// its steps' worst; its chance of worse is the highest of its steps', never
        /// below 10 %, and only for a category that exists.
        #[test]
        fn days_summarise_their_steps(
            cats in proptest::collection::vec((0u8..6, 0u32..6), 1..80),
            hours in 1i64..30,
            offset in -12i64..15,
        ) {
            let steps: Vec<(u8, u32, Vec<f64>)> = cats
                .iter()
                .map(|&(c, spread)| {
                    // The probability mass from the step's category up, spread over
                    // `spread` more categories.
                    let mut p = vec![0.0; 6];
                    let top = (usize::from(c) + spread as usize).min(5);
                    let share = 1.0 / (top - usize::from(c) + 1) as f64;
                    p[usize::from(c)..=top].iter_mut().for_each(|v| *v = share);
                    (c, u32::from(c) * 10, p)
                })
                .collect();
            let fc = forecast(hours * 3_600, &steps);
            let offset = offset * 3_600;
            let d = days(&fc, offset);
            let day_of = |t: i64| (t + offset).div_euclid(86_400);
            let mut keys: Vec<i64> = fc.steps.iter().map(|s| day_of(s.time)).collect();
            keys.dedup();
            proptest::prop_assert_eq!(d.len(), keys.len());
            for (day, key) in d.iter().zip(&keys) {
                let steps: Vec<&Step> = fc.steps.iter().filter(|s| day_of(s.time) == *key).collect();
                proptest::prop_assert_eq!(day.start, steps[0].time);
                proptest::prop_assert_eq!(day.category, steps.iter().map(|s| s.category).max().unwrap());
                proptest::prop_assert_eq!(day.aqi, steps.iter().map(|s| s.aqi).max().unwrap());
                match day.chance {
                    Some((c, p)) => {
                        proptest::prop_assert_eq!(c, day.category + 1);
                        proptest::prop_assert!((CHANCE_SHOWN..=1.0 + 1e-12).contains(&p));
                    }
                    None => proptest::prop_assert!(
                        day.category == 5
                            || steps.iter().all(|s| s.probabilities[usize::from(day.category) + 1..].iter().sum::<f64>() < CHANCE_SHOWN)
                    ),
                }
            }
        }
    }
}
