//! What the page says about a station, computed from the published documents by the
//! core: the air now, the forecast and its days, why, the last week measured against
//! what was forecast, and the model. No browser here: it runs (and is tested) natively.

use aqcast_core::aqi::current::{current, Basis};
use aqcast_core::aqi::{eea, Category};
use aqcast_core::forecast::{Forecast, Forecaster, Scale};
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
    /// Why the next day's forecast is what it is.
    pub why: Why,
    /// The last days measured against what was forecast the day before.
    pub history: History,
}

/// The AQI of the latest measurement of each pollutant, worst first.
#[derive(Clone, Debug, PartialEq)]
pub struct Now {
    /// The dominant pollutant's rating (the worst category, then the highest AQI).
    pub dominant: Rating,
    /// Every pollutant rated, worst first.
    pub all: Vec<Rating>,
}

/// One pollutant's latest measurement and its AQI.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    /// The pollutant.
    pub pollutant: Pollutant,
    /// When it was measured (Unix seconds, UTC).
    pub time: i64,
    /// The value, in `unit`.
    pub value: f64,
    /// The unit.
    pub unit: Unit,
    /// How the value was averaged.
    pub basis: Basis,
    /// The AQI value (EPA) or level number (EEA).
    pub aqi: u32,
    /// The category index (best first).
    pub category: u8,
}

/// A day of the forecast.
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

/// Builds the report of `station` from its snapshot with a model; days are local days at
/// `offset` seconds from UTC.
pub fn report(
    station: &Station,
    model: &str,
    version: &Version,
    forecaster: &Forecaster,
    snapshot: &Snapshot,
    offset: i64,
) -> Result<Report, String> {
    let series = snapshot.series();
    // The bands this version has tracked at the station, as the trainer published them.
    let tracked = snapshot.tracked_for(model, &version.sha256);
    let fc = forecaster
        .forecast_with(&series, None, Some(&station.id), tracked)
        .map_err(|e| e.to_string())?;
    let daily = fc.step_seconds >= 86_400;
    let per_day = (86_400 / fc.step_seconds.max(1)).max(1) as u32;
    let why_step = per_day.min(fc.steps.len() as u32).max(1);
    let e = forecaster
        .explain(&series, None, Some(&station.id), why_step)
        .map_err(|e| e.to_string())?;
    Ok(Report {
        now: now(snapshot, &fc),
        days: days(&fc, offset),
        why: why(&e, &fc, daily),
        history: history(forecaster, &series, &station.id, &fc, snapshot, per_day),
        station: station.clone(),
        model: model.to_string(),
        version: version.clone(),
        forecast: fc,
    })
}

/// The AQI now of every pollutant the snapshot holds in a known unit, on the forecast's
/// scale and the averaging it reports in real time ([`current`]; a pollutant the scale
/// does not rate is left out); the forecast's pollutant in the forecast's unit.
pub fn now(snapshot: &Snapshot, fc: &Forecast) -> Option<Now> {
    let scale = fc.scale;
    let mut all: Vec<Rating> = snapshot
        .units
        .iter()
        .filter_map(|(var, unit)| {
            let p: Pollutant = var.parse().ok()?;
            let unit: Unit = if p == fc.pollutant {
                fc.unit
            } else {
                unit.parse().ok()?
            };
            let c = current(p, unit, scale, &snapshot.measured(p, unit))?;
            Some(Rating {
                pollutant: p,
                time: c.time,
                value: c.value,
                unit,
                basis: c.basis,
                aqi: c.aqi,
                category: c.category,
            })
        })
        .collect();
    all.sort_by_key(|r| std::cmp::Reverse((r.category, r.aqi)));
    Some(Now {
        dominant: all.first()?.clone(),
        all,
    })
}

/// The forecast's days (local days at `offset` seconds from UTC): each day's worst
/// category and its chance of the next worse one.
pub fn days(fc: &Forecast, offset: i64) -> Vec<Day> {
    let mut out: Vec<Day> = Vec::new();
    let mut last_key = None;
    for s in &fc.steps {
        // The step forecasts [time, time + step): it belongs to the day it starts in.
        let key = (s.time + offset).div_euclid(86_400);
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
        let key = (d.start + offset).div_euclid(86_400);
        let worse = usize::from(d.category) + 1;
        let p = fc
            .steps
            .iter()
            .filter(|s| (s.time + offset).div_euclid(86_400) == key)
            .map(|s| s.probabilities.iter().skip(worse).sum::<f64>())
            .fold(0.0, f64::max);
        if worse < fc.categories.len() && p >= 0.1 {
            d.chance = Some((worse as u8, p));
        }
    }
    out
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
/// at least 0.5 of its unit.
fn why(e: &aqcast_core::forecast::Explanation, fc: &Forecast, daily: bool) -> Why {
    let mut parts: Vec<&aqcast_core::forecast::Contribution> = e
        .contributions
        .iter()
        .filter(|c| c.contribution.is_finite())
        .collect();
    parts.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    let reasons: Vec<(String, f64)> = parts
        .iter()
        .take(4)
        .filter(|c| c.contribution.abs() >= 0.5)
        .map(|c| (words::feature(&c.feature, daily), c.contribution))
        .collect();
    let shown: f64 = reasons.iter().map(|r| r.1).sum();
    let start = e
        .anchor_feature
        .as_ref()
        .map(|f| (words::feature(f, daily), e.anchor));
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

/// The health message of a category, and who is sensitive, in the scale's own words
/// (EPA's general message and sensitive groups; the EEA's advice for the general and the
/// sensitive population).
pub fn health(scale: Scale, category: u8, p: Pollutant) -> (String, String) {
    match scale {
        Scale::Epa => {
            let c = Category::ALL[usize::from(category).min(5)];
            let groups = aqcast_core::aqi::sensitive_groups(p);
            (
                c.health_message().to_string(),
                format!("Sensitive groups for {}: {groups}.", p.label()),
            )
        }
        Scale::Eea => {
            let l = eea::Level::ALL[usize::from(category).min(5)];
            let (general, sensitive) = l.health_advice();
            (
                general.to_string(),
                format!("Sensitive populations: {sensitive}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::forecast::{categories, Step};

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
        }
    }

    #[test]
    fn a_day_is_its_worst_step_with_the_chance_of_worse() {
        // Steps at 12:00 and 00:00: day 0 has one step, day 1 two, day 2 one.
        let fc = forecast(&[
            (0, [0.95, 0.05, 0.0, 0.0, 0.0, 0.0]),
            (1, [0.2, 0.5, 0.3, 0.0, 0.0, 0.0]),
            (0, [0.6, 0.3, 0.1, 0.0, 0.0, 0.0]),
            (2, [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
        ]);
        let d = days(&fc, 0);
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].category, d[0].chance), (0, None));
        assert_eq!((d[1].category, d[1].chance), (1, Some((2, 0.3))));
        assert_eq!(day_sentence(&d[1], &fc), "Fair, 30 % chance of Moderate");
        assert_eq!(day_sentence(&d[2], &fc), "Moderate");
        // A day is a local day: 13 hours east, the 12:00 UTC step starts the next day.
        let east = days(&fc, 13 * 3_600);
        assert_eq!(east.len(), 2);
        assert_eq!((east[0].start, east[0].category), (43_200, 1));
    }

    #[cfg(not(target_arch = "wasm32"))]
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
            let mut fc = forecast(&[]);
            fc.step_seconds = hours * 3_600;
            fc.steps = cats
                .iter()
                .enumerate()
                .map(|(i, &(c, spread))| {
                    // The probability mass from the step's category up, spread over
                    // `spread` more categories.
                    let mut p = [0.0; 6];
                    let top = (usize::from(c) + spread as usize).min(5);
                    let share = 1.0 / (top - usize::from(c) + 1) as f64;
                    p[usize::from(c)..=top].iter_mut().for_each(|v| *v = share);
                    Step {
                        step: i as u32 + 1,
                        time: 1_072_911_600 + (i as i64 + 1) * fc.step_seconds,
                        p10: 1.0,
                        p50: 2.0,
                        p90: 3.0,
                        aqi: u32::from(c) * 10,
                        category: c,
                        probabilities: p.to_vec(),
                    }
                })
                .collect();
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
                        proptest::prop_assert!((0.1..=1.0 + 1e-12).contains(&p));
                    }
                    None => proptest::prop_assert!(
                        day.category == 5
                            || steps.iter().all(|s| s.probabilities[usize::from(day.category) + 1..].iter().sum::<f64>() < 0.1)
                    ),
                }
            }
        }
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
    fn health_messages_follow_the_scale() {
        let (g, s) = health(Scale::Epa, 2, Pollutant::Pm25);
        assert!(g.starts_with("Members of sensitive groups"));
        assert!(s.contains("heart or lung disease"));
        let (g, s) = health(Scale::Eea, 3, Pollutant::No2);
        assert!(g.contains("sore eyes"));
        assert!(s.starts_with("Sensitive populations: Consider reducing"));
    }
}
