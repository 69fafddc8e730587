//! What the page says about a station, computed from the published documents by the
//! core: the air now, the forecast's days ([`report`], from the forecast the trainer
//! published or the page computed), and what takes the model itself ([`hindsight`]):
//! why, and the last week measured against what was forecast. No browser here: it runs
//! (and is tested) natively.

use aqcast_core::aqi::current::{self, Now};
use aqcast_core::aqi::Scale;
pub use aqcast_core::aqi::{advice, Advice};
use aqcast_core::aqi::{eea, Category};
use aqcast_core::daily::{self, Day};
use aqcast_core::forecast::{Forecast, Forecaster};
use aqcast_core::pipeline::Series;
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::published::{Snapshot, Station, Version};

use crate::words;

/// Everything the station's screens show.
#[derive(Clone, Debug)]
pub struct Report {
    /// The station.
    pub station: Station,
    /// The model's name.
    pub model: String,
    /// The served version.
    pub version: Version,
    /// The forecast from the latest data.
    pub forecast: Forecast,
    /// The air now, when the station measures a pollutant with an AQI.
    pub now: Option<Now>,
    /// One summary per day forecast.
    pub days: Vec<Day>,
}

/// What the page says with the model itself, once it is loaded.
#[derive(Clone, Debug)]
pub struct Hindsight {
    /// Why the next day's forecast is what it is.
    pub why: Why,
    /// The last days measured against what was forecast the day before.
    pub history: History,
}

/// Why one step's central forecast is what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Why {
    /// The step explained.
    pub step: u32,
    /// Its time (Unix seconds, UTC).
    pub time: i64,
    /// The central forecast explained.
    pub forecast: f64,
    /// Where the model starts: the anchor's words and value, when it has one.
    pub start: Option<(String, f64)>,
    /// The largest contributions: the feature in words and what it adds.
    pub reasons: Vec<(String, f64)>,
    /// What every other feature and the model's average add together.
    pub rest: f64,
}

/// The last days, each forecast the day before, against what was measured.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct History {
    /// One point per grid step: time, measured (when it was), P10, P50, P90.
    pub points: Vec<Hindcast>,
    /// Mean absolute error of P50 where there is a measurement.
    pub mae: Option<f64>,
    /// Measurements inside the P10–P90 band, of those compared.
    pub inside: (usize, usize),
}

/// One step of the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hindcast {
    /// Unix seconds, UTC.
    pub time: i64,
    /// What was measured.
    pub measured: Option<f64>,
    /// P10, P50, P90 forecast the day before.
    pub band: [f64; 3],
}

/// The forecast of `station` from its snapshot by a model version, as the trainer
/// publishes it and the edge worker computes it: with the bands the version has tracked
/// at the station.
pub fn forecast(
    station: &Station,
    model: &str,
    version: &Version,
    forecaster: &Forecaster,
    snapshot: &Snapshot,
) -> Result<Forecast, String> {
    let tracked = snapshot.tracked_for(model, &version.sha256);
    forecaster
        .forecast_with(&snapshot.series(), None, Some(&station.id), tracked)
        .map_err(|e| e.to_string())
}

/// The report of `station` from its forecast and snapshot; days are local days at
/// `offset` seconds from UTC.
pub fn report(
    station: &Station,
    model: &str,
    version: &Version,
    fc: Forecast,
    snapshot: &Snapshot,
    offset: i64,
) -> Report {
    Report {
        now: now(snapshot, &fc),
        days: daily::days(&fc, offset),
        station: station.clone(),
        model: model.to_string(),
        version: version.clone(),
        forecast: fc,
    }
}

/// Why the next day's forecast is what it is, and the last days as forecast the day
/// before: what takes the model.
pub fn hindsight(
    forecaster: &Forecaster,
    fc: &Forecast,
    station: &str,
    snapshot: &Snapshot,
) -> Result<Hindsight, String> {
    let series = snapshot.series();
    let daily = fc.step_seconds >= 86_400;
    let per_day = (86_400 / fc.step_seconds.max(1)).max(1) as u32;
    let why_step = per_day.min(fc.steps.len() as u32).max(1);
    let e = forecaster
        .explain(&series, &[], None, Some(station), why_step)
        .map_err(|e| e.to_string())?;
    Ok(Hindsight {
        why: why(forecaster, &e, fc, daily),
        history: history(forecaster, &series, station, fc, snapshot, per_day),
    })
}

/// The AQI now of every pollutant the snapshot holds in a known unit, on the forecast's
/// scale and the averaging it reports in real time ([`current::now`]); the forecast's
/// pollutant in the forecast's unit.
pub fn now(snapshot: &Snapshot, fc: &Forecast) -> Option<Now> {
    let readings = snapshot.units.iter().filter_map(|(var, unit)| {
        let p: Pollutant = var.parse().ok()?;
        let unit: Unit = if p == fc.pollutant {
            fc.unit
        } else {
            unit.parse().ok()?
        };
        Some((p, unit, snapshot.measured(p, unit)))
    });
    current::now(fc.scale, readings)
}

/// The sentence of a day: "Moderate, 30 % chance of Poor".
pub fn day_sentence(d: &Day, fc: &Forecast) -> String {
    let name = |c: u8| {
        fc.categories
            .get(usize::from(c))
            .map_or("?", |c| c.name.as_str())
    };
    match d.chance {
        Some((c, p)) => format!(
            "{}, {} % chance of {}",
            name(d.category),
            words::fixed(p * 100.0, 0),
            name(c)
        ),
        None => name(d.category).to_string(),
    }
}

/// The explanation in words: the four largest contributions that move the forecast by
/// at least 0.5 of its unit, other than the anchor's (the start already names it; what
/// it adds beyond its value goes with everything else).
fn why(
    forecaster: &Forecaster,
    e: &aqcast_core::forecast::Explanation,
    fc: &Forecast,
    daily: bool,
) -> Why {
    let mut parts: Vec<&aqcast_core::forecast::Contribution> = e
        .contributions
        .iter()
        .filter(|c| c.contribution.is_finite())
        .filter(|c| e.anchor_feature.as_deref() != Some(c.feature.as_str()))
        .collect();
    parts.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    let reasons: Vec<(String, f64)> = parts
        .iter()
        .take(4)
        .filter(|c| c.contribution.abs() >= 0.5)
        .map(|c| {
            let m = forecaster.meaning(&c.feature);
            (
                words::feature(m.as_ref(), &c.feature, daily),
                c.contribution,
            )
        })
        .collect();
    let shown: f64 = reasons.iter().map(|r| r.1).sum();
    let start = e.anchor_feature.as_ref().map(|f| {
        let m = forecaster.meaning(f);
        (words::feature(m.as_ref(), f, daily), e.anchor)
    });
    let forecast = fc.steps.get(e.step as usize - 1).map_or(e.raw, |s| s.p50);
    Why {
        step: e.step,
        time: e.time,
        forecast,
        start,
        reasons,
        rest: e.raw - e.anchor - shown,
    }
}

/// The sentence of one reason: "NO2 measured in the last 24 h raises it by 6 µg/m³".
pub fn reason_sentence(feature: &str, by: f64, unit: Unit) -> String {
    let verb = if by >= 0.0 { "raises" } else { "lowers" };
    let mut f = feature.to_string();
    if let Some(first) = f.get(0..1) {
        let upper = first.to_ascii_uppercase();
        f.replace_range(0..1, &upper);
    }
    format!("{f} {verb} it by {} {unit}", words::value(by.abs()))
}

/// Forecasts of each of the last days made the day before (from the data known then),
/// against what was measured.
fn history(
    f: &Forecaster,
    series: &[Series],
    station: &str,
    latest: &Forecast,
    snapshot: &Snapshot,
    per_day: u32,
) -> History {
    let step = latest.step_seconds;
    let measured: Vec<(i64, f64)> = snapshot.measured(latest.pollutant, latest.unit);
    let at = |t: i64| {
        measured
            .binary_search_by_key(&t, |m| m.0)
            .ok()
            .map(|i| measured[i].1)
    };
    let mut points = Vec::new();
    for d in (1..=7).rev() {
        let origin = latest.origin - i64::from(per_day) * step * d;
        let Ok(fc) = f.forecast(series, Some(origin), Some(station)) else {
            continue;
        };
        for s in fc.steps.iter().take(per_day as usize) {
            points.push(Hindcast {
                time: s.time,
                measured: at(s.time),
                band: [s.p10, s.p50, s.p90],
            });
        }
    }
    let compared: Vec<(f64, [f64; 3])> = points
        .iter()
        .filter_map(|p| p.measured.map(|m| (m, p.band)))
        .collect();
    let mae = (!compared.is_empty()).then(|| {
        compared.iter().map(|(m, b)| (m - b[1]).abs()).sum::<f64>() / compared.len() as f64
    });
    let inside = compared
        .iter()
        .filter(|(m, b)| *m >= b[0] && *m <= b[2])
        .count();
    History {
        points,
        mae,
        inside: (inside, compared.len()),
    }
}

/// A local day of an hourly forecast, in hours: when its worst category holds, and the
/// best time to be outside.
#[derive(Clone, Debug, PartialEq)]
pub struct DayHours {
    /// The spans (start, end; Unix seconds) of the steps in the day's worst category.
    pub worst: Vec<(i64, i64)>,
    /// The best span to be outside between 07:00 and 21:00 local time: the longest run
    /// of steps in the day's best category there (the lowest central forecast breaks
    /// ties); none when the whole day is in one category.
    pub best: Option<(i64, i64)>,
}

/// The hours of `day` (a day of [`daily::days`] at `offset`) in `fc`.
pub fn day_hours(fc: &Forecast, day: &Day, offset: i64) -> DayHours {
    let step = fc.step_seconds.max(1);
    let key = (day.start + offset).div_euclid(86_400);
    let steps: Vec<&aqcast_core::forecast::Step> = fc
        .steps
        .iter()
        .filter(|s| (s.time + offset).div_euclid(86_400) == key)
        .collect();
    // Runs of consecutive steps for which `keep` holds: (first, last) indices.
    let runs = |keep: &dyn Fn(&aqcast_core::forecast::Step) -> bool| {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            if !keep(s) {
                continue;
            }
            match out.last_mut() {
                Some(r) if r.1 + 1 == i && steps[r.1].time + step == s.time => r.1 = i,
                _ => out.push((i, i)),
            }
        }
        out
    };
    let span = |(a, b): (usize, usize)| (steps[a].time, steps[b].time + step);
    let worst = runs(&|s| s.category == day.category)
        .into_iter()
        .map(span)
        .collect();
    let daytime = |s: &aqcast_core::forecast::Step| {
        let h = (s.time + offset).rem_euclid(86_400) / 3_600;
        (7..21).contains(&h)
    };
    let best_category = steps
        .iter()
        .filter(|s| daytime(s))
        .map(|s| s.category)
        .min();
    let best = best_category
        .filter(|c| *c < day.category)
        .and_then(|c| {
            let mean = |(a, b): (usize, usize)| {
                steps[a..=b].iter().map(|s| s.p50).sum::<f64>() / (b - a + 1) as f64
            };
            runs(&|s| s.category == c && daytime(s))
                .into_iter()
                .max_by(|x, y| {
                    (x.1 - x.0)
                        .cmp(&(y.1 - y.0))
                        .then(mean(*y).total_cmp(&mean(*x)))
                })
        })
        .map(span);
    DayHours { worst, best }
}

/// What a category means for health, in the scale's words: EPA's health message, the
/// EEA's advice for the general population.
pub fn health(scale: Scale, category: u8) -> &'static str {
    match scale {
        Scale::Epa => Category::ALL[usize::from(category).min(5)].health_message(),
        Scale::Eea => {
            eea::Level::ALL[usize::from(category).min(5)]
                .health_advice()
                .0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::aqi::categories;
    use aqcast_core::forecast::Step;

    fn forecast(cats: &[(u8, [f64; 6])]) -> Forecast {
        Forecast {
            origin: 0,
            data_time: 0,
            pollutant: Pollutant::No2,
            unit: Unit::UgM3,
            scale: Scale::Eea,
            step_seconds: 3_600 * 12,
            categories: categories(Scale::Eea),
            steps: cats
                .iter()
                .enumerate()
                .map(|(i, (c, p))| Step {
                    step: i as u32 + 1,
                    time: (i as i64 + 1) * 43_200,
                    p10: 1.0,
                    p50: 2.0,
                    p90: 3.0,
                    aqi: u32::from(*c) + 1,
                    category: *c,
                    probabilities: p.to_vec(),
                })
                .collect(),
            tracked: None,
            ahead: Vec::new(),
        }
    }

    #[test]
    fn a_day_reads_as_its_category_and_the_chance_of_worse() {
        let fc = forecast(&[(1, [0.2, 0.5, 0.3, 0.0, 0.0, 0.0])]);
        let d = daily::days(&fc, 0);
        assert_eq!(day_sentence(&d[0], &fc), "Fair, 30 % chance of Moderate");
        let calm = forecast(&[(2, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0])]);
        assert_eq!(day_sentence(&daily::days(&calm, 0)[0], &calm), "Moderate");
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            reason_sentence("NO2 measured in the last 24 h", 6.2, Unit::UgM3),
            "NO2 measured in the last 24 h raises it by 6.2 µg/m³"
        );
        assert_eq!(
            reason_sentence("the wind speed", -12.4, Unit::UgM3),
            "The wind speed lowers it by 12 µg/m³"
        );
    }

    #[test]
    fn advice_is_the_agency_s_and_says_the_same_once() {
        let a = advice(Scale::Eea, 0);
        assert_eq!(
            a.everyone,
            "The air quality is good. Enjoy your usual outdoor activities."
        );
        assert_eq!(a.sensitive, None, "the EEA says the same to both at Good");
        let a = advice(Scale::Eea, 3);
        assert!(a
            .sensitive
            .is_some_and(|s| s.contains("reducing physical activities")));
        let a = advice(Scale::Epa, 3);
        assert!(a.everyone.starts_with("Reduce prolonged or heavy exertion"));
        assert!(a
            .sensitive
            .is_some_and(|s| s.starts_with("Avoid prolonged")));
        assert_eq!(advice(Scale::Epa, 0).sensitive, None);
    }

    #[test]
    fn a_day_s_worst_and_best_hours() {
        // One day, hourly from 00:00 UTC: Fair, Moderate 08:00-10:59, Good 13:00-16:59.
        let mut fc = forecast(&[]);
        fc.step_seconds = 3_600;
        let cat = |h: i64| match h {
            8..=10 => 2,
            13..=16 => 0,
            _ => 1,
        };
        fc.steps = (0..24)
            .map(|h| Step {
                step: h as u32 + 1,
                time: 86_400 + h * 3_600,
                p10: 1.0,
                p50: 10.0 + h as f64,
                p90: 3.0,
                aqi: 1,
                category: cat(h),
                probabilities: vec![0.0; 6],
            })
            .collect();
        let d = &daily::days(&fc, 0)[0];
        let h = day_hours(&fc, d, 0);
        assert_eq!(h.worst, vec![(86_400 + 8 * 3_600, 86_400 + 11 * 3_600)]);
        assert_eq!(h.best, Some((86_400 + 13 * 3_600, 86_400 + 17 * 3_600)));
        // In UTC+2 the same hours are two hours later on the clock: Moderate 10:00–13:00
        // local, and the local day ends at 22:00 UTC (its last two hours are the next
        // day's).
        let d2 = &daily::days(&fc, 7_200)[0];
        let h2 = day_hours(&fc, d2, 7_200);
        let clock = |t: i64| (t + 7_200).rem_euclid(86_400) / 3_600;
        assert_eq!((clock(h2.worst[0].0), clock(h2.worst[0].1)), (10, 13));
        assert_eq!(h2.best.map(|b| (clock(b.0), clock(b.1))), Some((15, 19)));
        // One category all day: no best time.
        for s in &mut fc.steps {
            s.category = 1;
        }
        let d = &daily::days(&fc, 0)[0];
        assert_eq!(day_hours(&fc, d, 0).best, None);
        assert_eq!(day_hours(&fc, d, 0).worst.len(), 1);
    }

    #[test]
    fn health_messages_follow_the_scale() {
        assert!(health(Scale::Epa, 2).starts_with("Members of sensitive groups"));
        assert!(health(Scale::Eea, 3).contains("sore eyes"));
    }
}
