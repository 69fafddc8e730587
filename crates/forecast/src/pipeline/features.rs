//! Building the output columns (features) and targets from the preprocessed frame.

use alloc::format;
use alloc::vec::Vec;
use core::f64::consts::PI;

use super::spec::{CalendarField, CyclicFunction, Feature, InteractionOp, RollingStat};
use super::Column;
use crate::time;
use crate::Error;

fn column<'a>(frame: &'a [Column], name: &str, feature: &str) -> Result<&'a [f64], Error> {
    frame
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.values.as_slice())
        .ok_or_else(|| {
            Error::Pipeline(format!(
                "feature {feature:?} refers to unknown column {name:?}"
            ))
        })
}

/// The value of `x` `lag` steps back, or NaN before the start.
pub fn lag(x: &[f64], lag: usize) -> Vec<f64> {
    (0..x.len())
        .map(|t| if t >= lag { x[t - lag] } else { f64::NAN })
        .collect()
}

/// A statistic over the `window` values ending at each t, NaN unless `min_count` of them
/// are present. Sums are plain left-to-right sums over the window (pandas' running sum
/// differs from them by at most a few ulps).
pub fn rolling(x: &[f64], window: usize, min_count: usize, stat: RollingStat) -> Vec<f64> {
    (0..x.len())
        .map(|t| {
            let w = &x[(t + 1).saturating_sub(window)..=t];
            let (mut n, mut sum) = (0usize, 0.0);
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for &v in w.iter().filter(|v| !v.is_nan()) {
                n += 1;
                sum += v;
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if n < min_count.max(1) {
                return f64::NAN;
            }
            match stat {
                RollingStat::Mean => sum / n as f64,
                RollingStat::Sum => sum,
                RollingStat::Min => lo,
                RollingStat::Max => hi,
            }
        })
        .collect()
}

fn calendar(c: &time::Civil, field: CalendarField) -> f64 {
    match field {
        CalendarField::Hour => f64::from(c.hour),
        CalendarField::Weekday => f64::from(c.weekday),
        CalendarField::Month => f64::from(c.month),
        CalendarField::Day => f64::from(c.day),
        CalendarField::DayOfYear => f64::from(c.day_of_year),
        CalendarField::Weekend => f64::from(u8::from(c.weekday >= 5)),
        CalendarField::Year => c.year as f64,
    }
}

/// The (position in the cycle, period) of a cyclic field, `None` for fields with no cycle.
pub fn cycle(c: &time::Civil, field: CalendarField) -> Option<(f64, f64)> {
    Some(match field {
        CalendarField::Hour => (f64::from(c.hour), 24.0),
        CalendarField::Weekday => (f64::from(c.weekday), 7.0),
        CalendarField::Month => (f64::from(c.month - 1), 12.0),
        CalendarField::Day => (f64::from(c.day - 1), 31.0),
        CalendarField::DayOfYear => (f64::from(c.day_of_year - 1), 365.25),
        CalendarField::Weekend | CalendarField::Year => return None,
    })
}

/// Computes one feature column over the frame whose row t is at `times[t]`.
pub fn build(
    feature: &Feature,
    frame: &[Column],
    times: &[i64],
    utc_offset: i64,
) -> Result<Vec<f64>, Error> {
    let name = feature.name();
    let civil = || times.iter().map(move |&t| time::civil(t + utc_offset));
    Ok(match feature {
        Feature::Value { of, .. } => column(frame, of, name)?.to_vec(),
        Feature::Lag { of, lag: k, .. } => lag(column(frame, of, name)?, *k as usize),
        Feature::Rolling {
            of,
            window,
            min_count,
            stat,
            ..
        } => rolling(
            column(frame, of, name)?,
            *window as usize,
            min_count.unwrap_or(*window) as usize,
            *stat,
        ),
        Feature::Calendar { field, .. } => civil().map(|c| calendar(&c, *field)).collect(),
        Feature::Cyclic {
            field, function, ..
        } => civil()
            .map(|c| {
                let (x, period) = cycle(&c, *field).unwrap_or((0.0, 1.0));
                let a = 2.0 * PI * x / period;
                match function {
                    CyclicFunction::Sin => libm::sin(a),
                    CyclicFunction::Cos => libm::cos(a),
                }
            })
            .collect(),
        Feature::WindU {
            speed, direction, ..
        }
        | Feature::WindV {
            speed, direction, ..
        } => {
            let (s, d) = (column(frame, speed, name)?, column(frame, direction, name)?);
            let u = matches!(feature, Feature::WindU { .. });
            s.iter()
                .zip(d)
                .map(|(&s, &d)| wind_component(s, d, !u))
                .collect()
        }
        Feature::Interaction { a, b, op, .. } => {
            let (a, b) = (column(frame, a, name)?, column(frame, b, name)?);
            a.iter()
                .zip(b)
                .map(|(&a, &b)| match op {
                    InteractionOp::Product => a * b,
                    InteractionOp::Sum => a + b,
                    InteractionOp::Difference => a - b,
                    InteractionOp::Ratio if b == 0.0 => f64::NAN,
                    InteractionOp::Ratio => a / b,
                })
                .collect()
        }
    })
}

/// The wind's west–east (`north` false: u) or south–north (v) component from its speed
/// and the direction it blows from, in degrees (the meteorological convention).
pub fn wind_component(speed: f64, direction: f64, north: bool) -> f64 {
    // numpy's radians: d · (π / 180).
    let r = direction * (PI / 180.0);
    -speed * if north { libm::cos(r) } else { libm::sin(r) }
}

#[cfg(test)]
mod tests {
    use super::*;
    const N: f64 = f64::NAN;

    #[test]
    fn rolling_needs_its_minimum_count() {
        let x = [1.0, N, 3.0, 5.0];
        let r = rolling(&x, 3, 2, RollingStat::Mean);
        assert!(r[0].is_nan() && r[1].is_nan());
        assert_eq!(&r[2..], &[2.0, 4.0]);
        assert_eq!(rolling(&x, 2, 1, RollingStat::Max)[1], 1.0);
        let l = lag(&x, 2);
        assert!(l[0].is_nan() && l[1].is_nan() && l[2] == 1.0 && l[3].is_nan());
    }
}
