//! The WHO 2021 air quality guideline levels, and a station's record measured against
//! them month by month: what the dashboard's history answers ("how often was the air
//! over the guideline this year?") without the raw series.
//!
//! Guideline levels (WHO global air quality guidelines, 2021, Table 0.1), µg/m³:
//! PM2.5 annual 5, 24-hour 15; PM10 annual 15, 24-hour 45; NO2 annual 10, 24-hour 25;
//! SO2 24-hour 40; O3 peak season 60, 8-hour 100; CO 24-hour 4 mg/m³. Hourly (or finer)
//! data are averaged into hours, and a day counts when it has a value for at least 75 % of
//! its hours (18 of 24: the completeness rule of the EU's air quality directive); daily
//! data count as they are.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::pollutant::{Pollutant, Unit};
use crate::time;

/// One pollutant's WHO 2021 guideline levels, in its unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Guideline {
    /// The long-term level: the annual mean (for O3 the peak-season mean of daily
    /// 8-hour maxima), when there is one.
    pub long_term: Option<f64>,
    /// The short-term level a day is compared with: the 24-hour mean (for O3 the daily
    /// maximum 8-hour mean), exceeded on at most 3–4 days a year.
    pub short_term: f64,
    /// What the short-term level averages: 24 (hours of a day) or 8 (O3).
    pub hours: u32,
    /// The unit of both levels.
    pub unit: Unit,
}

/// The WHO 2021 guideline of `p` in µg/m³ (CO in mg/m³), when the WHO gives one.
pub fn guideline(p: Pollutant) -> Option<Guideline> {
    let g = |long_term, short_term, hours, unit| Guideline {
        long_term,
        short_term,
        hours,
        unit,
    };
    Some(match p {
        Pollutant::Pm25 => g(Some(5.0), 15.0, 24, Unit::UgM3),
        Pollutant::Pm10 => g(Some(15.0), 45.0, 24, Unit::UgM3),
        Pollutant::No2 => g(Some(10.0), 25.0, 24, Unit::UgM3),
        Pollutant::So2 => g(None, 40.0, 24, Unit::UgM3),
        Pollutant::O3 => g(Some(60.0), 100.0, 8, Unit::UgM3),
        Pollutant::Co => g(None, 4.0, 24, Unit::MgM3),
        Pollutant::Nox => return None,
    })
}

/// One calendar month (UTC) of a station's record against a guideline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: alloc::string::String,
    /// The mean of its complete days' values (24-hour means, or daily 8-hour maxima for
    /// O3), when it has any.
    pub mean: Option<f64>,
    /// Its complete days.
    pub days: u32,
    /// Of those, the days over the short-term guideline.
    pub over: u32,
}

/// The last `months` calendar months (UTC) up to the latest value of `series` (Unix
/// seconds and values in `g`'s unit, any order), against `g`, oldest first; empty
/// without values. Data a day or more apart are daily: each value is its day's (several
/// in a day are averaged). Finer data are averaged into hours first, and a day counts
/// when 18 of its 24 hours have a value.
pub fn months(series: &[(i64, f64)], g: &Guideline, months: usize) -> Vec<Month> {
    let mut values: Vec<(i64, f64)> = series
        .iter()
        .copied()
        .filter(|(_, v)| v.is_finite())
        .collect();
    values.sort_by_key(|v| v.0);
    // How far apart the data are: the median gap between distinct times.
    let mut gaps: Vec<i64> = values
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|&d| d > 0)
        .collect();
    gaps.sort_unstable();
    let daily = gaps.get(gaps.len() / 2).is_some_and(|&d| d >= 86_400);
    // Each UTC day's values: its hours' means (hour of day, mean), or its daily values.
    let mut days: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    let mut hours: BTreeMap<i64, (f64, u32)> = BTreeMap::new();
    for &(t, v) in &values {
        if daily {
            days.entry(t.div_euclid(86_400)).or_default().push((0, v));
        } else {
            let h = hours.entry(t.div_euclid(3_600)).or_insert((0.0, 0));
            h.0 += v;
            h.1 += 1;
        }
    }
    for (h, (sum, n)) in hours {
        days.entry(h.div_euclid(24))
            .or_default()
            .push((h.rem_euclid(24), sum / f64::from(n)));
    }
    let Some(&last) = days.keys().next_back() else {
        return Vec::new();
    };
    // A day's value: its mean (24-hour) or its highest 8-hour mean; none when incomplete.
    let value = |hours: &Vec<(i64, f64)>| -> Option<f64> {
        let mean = |v: &[(i64, f64)]| v.iter().map(|h| h.1).sum::<f64>() / v.len() as f64;
        if daily {
            return Some(mean(hours));
        }
        if hours.len() < 18 {
            return None;
        }
        if g.hours == 24 {
            return Some(mean(hours));
        }
        let mut by_hour = [None; 24];
        for &(h, v) in hours {
            by_hour[h as usize] = Some(v);
        }
        // 8-hour windows within the day with at least 6 of their 8 hours.
        (0..=16)
            .filter_map(|start| {
                let w: Vec<f64> = by_hour[start..start + 8]
                    .iter()
                    .flatten()
                    .copied()
                    .collect();
                (w.len() >= 6).then(|| w.iter().sum::<f64>() / w.len() as f64)
            })
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let (ly, lm, _) = time::civil_from_days(last);
    let index = |y: i64, m: u32| y * 12 + i64::from(m) - 1;
    let first = index(ly, lm) - months as i64 + 1;
    let mut out: Vec<Month> = (first..=index(ly, lm))
        .map(|i| Month {
            month: alloc::format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1),
            mean: None,
            days: 0,
            over: 0,
        })
        .collect();
    let mut sums = alloc::vec![0.0f64; out.len()];
    for (day, hours) in &days {
        let (y, m, _) = time::civil_from_days(*day);
        let i = index(y, m) - first;
        if i < 0 {
            continue;
        }
        let Some(v) = value(hours) else { continue };
        let k = i as usize;
        out[k].days += 1;
        sums[k] += v;
        if v > g.short_term {
            out[k].over += 1;
        }
    }
    for (m, s) in out.iter_mut().zip(sums) {
        m.mean = (m.days > 0).then(|| s / f64::from(m.days));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn guidelines_are_the_who_2021_levels() {
        let pm25 = guideline(Pollutant::Pm25).unwrap();
        assert_eq!((pm25.long_term, pm25.short_term), (Some(5.0), 15.0));
        assert_eq!(guideline(Pollutant::Pm10).unwrap().short_term, 45.0);
        assert_eq!(guideline(Pollutant::No2).unwrap().long_term, Some(10.0));
        assert_eq!(guideline(Pollutant::O3).unwrap().hours, 8);
        assert_eq!(guideline(Pollutant::Co).unwrap().unit, Unit::MgM3);
        assert!(guideline(Pollutant::Nox).is_none());
    }

    #[test]
    fn daily_values_are_counted_by_month() {
        // 2009-11-30 (day 14,578) to 2009-12-31: PM10 30 a day, 50 on three December days.
        let g = guideline(Pollutant::Pm10).unwrap();
        let start = 14_578;
        let series: Vec<(i64, f64)> = (0..32)
            .map(|d| {
                (
                    (start + d) * DAY,
                    if [5, 6, 20].contains(&d) { 50.0 } else { 30.0 },
                )
            })
            .collect();
        let m = months(&series, &g, 12);
        assert_eq!(m.len(), 12);
        assert_eq!(m[11].month, "2009-12");
        assert_eq!(m[0].month, "2009-01");
        assert_eq!((m[11].days, m[11].over), (31, 3));
        assert_eq!((m[10].days, m[10].over), (1, 0));
        assert!((m[11].mean.unwrap() - (28.0 * 30.0 + 3.0 * 50.0) / 31.0).abs() < 1e-9);
        assert_eq!(m[9].mean, None);
        assert!(months(&[], &g, 12).is_empty());
    }

    #[test]
    fn one_hour_is_not_a_day_and_finer_data_count_by_hours() {
        let no2 = guideline(Pollutant::No2).unwrap();
        // Hourly data whose latest day has one hour (00:30 of a new month): that day does
        // not count, and the month before stays the last complete one with data.
        let mut s: Vec<(i64, f64)> = (0..48).map(|h| (h * 3_600, 30.0)).collect();
        s.push((31 * DAY + 1_800, 99.0));
        let m = months(&s, &no2, 2);
        assert_eq!(m[0].month, "1970-01");
        assert_eq!((m[0].days, m[0].over), (2, 2));
        assert_eq!((m[1].days, m[1].mean), (0, None), "{m:?}");
        // 15-minute data over 4 hours: 16 values, 4 hours: not a complete day.
        let quarter: Vec<(i64, f64)> = (0..16).map(|q| (q * 900, 50.0)).collect();
        assert_eq!(months(&quarter, &no2, 1)[0].days, 0);
        // 15-minute data over a whole day: one day, its mean the hours' mean.
        let day: Vec<(i64, f64)> = (0..96)
            .map(|q| (q * 900, if q < 4 { 100.0 } else { 20.0 }))
            .collect();
        let m = months(&day, &no2, 1);
        assert_eq!(m[0].days, 1);
        assert!((m[0].mean.unwrap() - (100.0 + 23.0 * 20.0) / 24.0).abs() < 1e-9);
    }

    #[test]
    fn hourly_days_need_18_hours_and_o3_takes_its_best_8_hours() {
        let no2 = guideline(Pollutant::No2).unwrap();
        // Day 0 complete at 30 (over 25), day 1 with 17 hours only.
        let mut s: Vec<(i64, f64)> = (0..24).map(|h| (h * 3_600, 30.0)).collect();
        s.extend((0..17).map(|h| (DAY + h * 3_600, 90.0)));
        let m = months(&s, &no2, 1);
        assert_eq!((m[0].days, m[0].over), (1, 1));
        // O3: 50 all day but 120 from 12:00 to 19:59: the day's 8-hour maximum is 120.
        let o3 = guideline(Pollutant::O3).unwrap();
        let s: Vec<(i64, f64)> = (0..24)
            .map(|h| (h * 3_600, if (12..20).contains(&h) { 120.0 } else { 50.0 }))
            .collect();
        let m = months(&s, &o3, 1);
        assert_eq!((m[0].days, m[0].over, m[0].mean), (1, 1, Some(120.0)));
    }

    proptest::proptest! {
        /// Any record, in any order, with gaps and repeats: the months asked for, in
        /// order and consecutive, ending with the latest value's; days over never more
        /// than the days counted, and those never more than the month's days; a mean only
        /// where a day counted, within the values' range.
        #[test]
        fn months_hold_for_any_record(
            values in proptest::collection::vec((0i64..2_000, 0.0f64..300.0), 1..400),
            step in proptest::sample::select(vec![900i64, 3_600, 86_400]),
            n in 1usize..15,
            o3 in proptest::bool::ANY,
        ) {
            let g = guideline(if o3 { Pollutant::O3 } else { Pollutant::Pm10 }).unwrap();
            let series: Vec<(i64, f64)> = values.iter().map(|&(k, v)| (k * step, v)).collect();
            let m = months(&series, &g, n);
            proptest::prop_assert_eq!(m.len(), n);
            let last = series.iter().map(|s| s.0).max().unwrap();
            let (y, mo, _) = time::civil_from_days(last.div_euclid(DAY));
            let want = alloc::format!("{y:04}-{mo:02}");
            proptest::prop_assert_eq!(m.last().map(|x| x.month.as_str()), Some(want.as_str()));
            for w in m.windows(2) {
                proptest::prop_assert!(w[0].month < w[1].month);
            }
            let (lo, hi) = series.iter().fold((f64::MAX, f64::MIN), |(a, b), s| (a.min(s.1), b.max(s.1)));
            for x in &m {
                proptest::prop_assert!(x.over <= x.days && x.days <= 31);
                proptest::prop_assert_eq!(x.mean.is_some(), x.days > 0);
                if let Some(mean) = x.mean {
                    proptest::prop_assert!(mean >= lo - 1e-9 && mean <= hi + 1e-9);
                }
            }
        }
    }
}
