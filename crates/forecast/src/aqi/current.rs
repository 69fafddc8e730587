//! The air quality now, from a station's recent measurements, on the averaging each scale
//! reports in real time: for the EPA AQI, the NowCast of PM2.5, PM10 and ozone and the
//! 8-hour mean of CO (as AirNow reports them); for the European AQI, the 24-hour running
//! mean of PM2.5 and PM10; every other pollutant, and any data without enough recent hours
//! (daily data, a gap), by its latest measurement. The station list the trainer publishes
//! and the dashboard's "now" both use this, so they agree; [`now`] rates every pollutant
//! a station measures and names the dominant one.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::{rate, Scale};
use crate::pollutant::{Pollutant, Unit};

/// What a current value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The latest measurement as it is (an hourly value, or a daily mean).
    #[default]
    Latest,
    /// EPA's NowCast of the last 12 hours (PM) or 8 hours (ozone).
    NowCast,
    /// The mean of the last 8 hours (at least 6 of them measured).
    Mean8h,
    /// The mean of the last 24 hours (at least 18 of them measured).
    Mean24h,
}

/// The current value of a pollutant and its AQI.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Current {
    /// The time of the latest measurement it includes (Unix seconds, UTC).
    pub time: i64,
    /// The value, in the unit the measurements were given in.
    pub value: f64,
    /// How it was averaged.
    pub basis: Basis,
    /// The AQI (EPA) or level number (EEA).
    pub aqi: u32,
    /// The category, best first.
    pub category: u8,
}

/// The current value of `p` from `measured` ((time, value) pairs in `unit`, oldest first,
/// NaN-free), rated on `scale`; none without a measurement or when the scale does not
/// rate the pollutant.
pub fn current(p: Pollutant, unit: Unit, scale: Scale, measured: &[(i64, f64)]) -> Option<Current> {
    let &(time, latest) = measured.last()?;
    // The hours up to the latest, most recent first; NaN where none was measured.
    let hours = |n: i64| -> Vec<f64> {
        (0..n)
            .map(|k| {
                let t = time - k * 3_600;
                measured
                    .binary_search_by_key(&t, |m| m.0)
                    .map_or(f64::NAN, |i| measured[i].1)
            })
            .collect()
    };
    let mean = |n: i64, at_least: usize| -> Option<f64> {
        let v: Vec<f64> = hours(n).into_iter().filter(|x| !x.is_nan()).collect();
        (v.len() >= at_least).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let averaged = match (scale, p) {
        (Scale::Epa, Pollutant::Pm25 | Pollutant::Pm10 | Pollutant::O3) => {
            super::nowcast::nowcast(p, &hours(12))
                .ok()
                .map(|v| (v, Basis::NowCast))
        }
        (Scale::Epa, Pollutant::Co) => mean(8, 6).map(|v| (v, Basis::Mean8h)),
        (Scale::Eea, Pollutant::Pm25 | Pollutant::Pm10) => {
            mean(24, 18).map(|v| (v, Basis::Mean24h))
        }
        _ => None,
    };
    let (value, basis) = averaged.unwrap_or((latest, Basis::Latest));
    let (aqi, category) = rate(p, unit, scale, value).ok()?;
    Some(Current {
        time,
        value,
        basis,
        aqi,
        category,
    })
}

/// One pollutant's current value and its AQI.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    /// The pollutant.
    pub pollutant: Pollutant,
    /// The unit of `value`.
    pub unit: Unit,
    /// The current value and its AQI.
    pub current: Current,
}

/// The AQI now of every pollutant a station measures.
#[derive(Clone, Debug, PartialEq)]
pub struct Now {
    /// The dominant pollutant's rating: the worst category, then the highest AQI.
    pub dominant: Rating,
    /// Every pollutant rated, worst first.
    pub all: Vec<Rating>,
}

/// The AQI now, on `scale`, of each pollutant of `readings` (its unit and its
/// measurements as [`current`] takes them); a pollutant the scale does not rate is left
/// out; none when no pollutant is rated.
pub fn now(
    scale: Scale,
    readings: impl IntoIterator<Item = (Pollutant, Unit, Vec<(i64, f64)>)>,
) -> Option<Now> {
    let mut all: Vec<Rating> = readings
        .into_iter()
        .filter_map(|(pollutant, unit, measured)| {
            Some(Rating {
                pollutant,
                unit,
                current: current(pollutant, unit, scale, &measured)?,
            })
        })
        .collect();
    all.sort_by_key(|r| core::cmp::Reverse((r.current.category, r.current.aqi)));
    Some(Now {
        dominant: all.first()?.clone(),
        all,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly(values: &[f64]) -> Vec<(i64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| (1_000_000 * 3_600 + i as i64 * 3_600, v))
            .collect()
    }

    #[test]
    fn epa_pm_is_the_nowcast_of_the_last_twelve_hours() {
        let m = hourly(&[
            80.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 40.0, 30.0,
        ]);
        let c = current(Pollutant::Pm25, Unit::UgM3, Scale::Epa, &m).unwrap();
        let recent: Vec<f64> = m.iter().rev().take(12).map(|x| x.1).collect();
        assert_eq!(c.basis, Basis::NowCast);
        assert_eq!(
            c.value,
            crate::aqi::nowcast::nowcast(Pollutant::Pm25, &recent).unwrap()
        );
        assert_eq!(c.time, m.last().unwrap().0);
        // NO2 is reported hour by hour.
        let n = current(Pollutant::No2, Unit::Ppb, Scale::Epa, &m).unwrap();
        assert_eq!((n.basis, n.value), (Basis::Latest, 30.0));
    }

    #[test]
    fn eea_pm_is_the_24_hour_mean_when_enough_hours_were_measured() {
        let m = hourly(&[10.0; 24]);
        let mut m2 = m.clone();
        m2.last_mut().unwrap().1 = 34.0;
        let c = current(Pollutant::Pm10, Unit::UgM3, Scale::Eea, &m2).unwrap();
        assert_eq!(c.basis, Basis::Mean24h);
        assert_eq!(c.value, 11.0);
        // Daily means (one a day): the latest one.
        let daily: Vec<(i64, f64)> = (0..5).map(|d| (d * 86_400, 10.0 + d as f64)).collect();
        let c = current(Pollutant::Pm10, Unit::UgM3, Scale::Eea, &daily).unwrap();
        assert_eq!((c.basis, c.value, c.aqi), (Basis::Latest, 14.0, 1));
        assert!(current(Pollutant::Pm10, Unit::UgM3, Scale::Eea, &[]).is_none());
    }

    #[test]
    fn now_names_the_worst_pollutant_and_leaves_out_what_the_scale_does_not_rate() {
        let no2 = hourly(&[250.0]);
        let o3 = hourly(&[20.0]);
        let n = now(
            Scale::Eea,
            [
                (Pollutant::O3, Unit::UgM3, o3),
                (Pollutant::No2, Unit::UgM3, no2),
                (Pollutant::Co, Unit::Ppm, hourly(&[1.0])),
            ],
        )
        .unwrap();
        assert_eq!(n.dominant.pollutant, Pollutant::No2);
        assert_eq!(n.all.len(), 2);
        assert!(n.all[0].current.category > n.all[1].current.category);
        assert!(now(Scale::Eea, []).is_none());
    }
}
