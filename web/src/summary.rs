//! What the page says about a station, computed from the published documents by the
//! core: the air now, the forecast and its days, why, the last week measured against
//! what was forecast, and the model. No browser here: it runs (and is tested) natively.

use aqcast_core::aqi::current::{self, Now};
use aqcast_core::aqi::Scale;
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
        .explain(&series, &[], None, Some(&station.id), why_step)
        .map_err(|e| e.to_string())?;
    Ok(Report {
        now: now(snapshot, &fc),
        days: daily::days(&fc, offset),
        why: why(forecaster, &e, &fc, daily),
        history: history(forecaster, &series, &station.id, &fc, snapshot, per_day),
        station: station.clone(),
        model: model.to_string(),
        version: version.clone(),
        forecast: fc,
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
/// at least 0.5 of its unit.
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
    fn health_messages_follow_the_scale() {
        let (g, s) = health(Scale::Epa, 2, Pollutant::Pm25);
        assert!(g.starts_with("Members of sensitive groups"));
        assert!(s.contains("heart or lung disease"));
        let (g, s) = health(Scale::Eea, 3, Pollutant::No2);
        assert!(g.contains("sore eyes"));
        assert!(s.starts_with("Sensitive populations: Consider reducing"));
    }
}
