//! EPA's NowCast: a weighted average of recent hourly concentrations that stands in for the
//! 24-hour (PM) or 8-hour (ozone) average in real-time reporting.
//!
//! - PM2.5 and PM10: the 12 most recent hours, weight factor `w = 1 − (max − min)/max`,
//!   at least 0.5.
//! - Ozone: the 8 most recent hours, the same weight factor with no minimum (AirNow's
//!   weighted-average ozone NowCast of 2016; the 2019 partial-least-squares variant needs two
//!   weeks of site history and is not this function).
//!
//! In both, at least two of the three most recent hours must be valid; missing hours
//! (NaN) drop out of both sums. The result is in the unit of the input, not truncated: pass
//! it to [`super::compute`], which truncates as the AQI requires.

use alloc::format;

use crate::error::Num;
use crate::pollutant::Pollutant;
use crate::Error;

/// Computes the NowCast from hourly values, **most recent first**; NaN marks a missing hour.
/// Values beyond the window (12 hours for PM, 8 for ozone) are ignored.
pub fn nowcast(pollutant: Pollutant, hourly: &[f64]) -> Result<f64, Error> {
    let (window, min_weight) = match pollutant {
        Pollutant::Pm25 | Pollutant::Pm10 => (12, 0.5),
        Pollutant::O3 => (8, 0.0),
        other => {
            return Err(Error::Aqi(format!(
                "EPA defines the NowCast for PM2.5, PM10 and ozone, not {}",
                other.label()
            )))
        }
    };
    let hours = &hourly[..hourly.len().min(window)];
    if let Some(bad) = hours
        .iter()
        .find(|v| !v.is_nan() && (**v < 0.0 || v.is_infinite()))
    {
        return Err(Error::Aqi(format!(
            "NowCast input {} is not a valid concentration (must be finite and ≥ 0)",
            Num(*bad)
        )));
    }
    let recent_valid = hours.iter().take(3).filter(|v| !v.is_nan()).count();
    if recent_valid < 2 {
        return Err(Error::Aqi(
            "NowCast needs at least 2 valid values among the 3 most recent hours".into(),
        ));
    }
    let valid = || hours.iter().copied().filter(|v| !v.is_nan());
    let max = valid().fold(f64::NEG_INFINITY, f64::max);
    let min = valid().fold(f64::INFINITY, f64::min);
    let w = if max > 0.0 {
        (1.0 - (max - min) / max).max(min_weight)
    } else {
        1.0
    };
    let (mut num, mut den, mut wi) = (0.0, 0.0, 1.0);
    for &v in hours {
        if !v.is_nan() {
            num += wi * v;
            den += wi;
        }
        wi *= w;
    }
    Ok(num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_values_give_their_mean() {
        let v = [10.0; 12];
        assert!((nowcast(Pollutant::Pm25, &v).unwrap() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn pm_weight_is_floored_at_one_half() {
        // max 20, min 2: w = 0.1, floored to 0.5.
        let mut v = [f64::NAN; 12];
        v[0] = 20.0;
        v[1] = 2.0;
        let n = nowcast(Pollutant::Pm25, &v).unwrap();
        assert!((n - (20.0 + 0.5 * 2.0) / 1.5).abs() < 1e-12, "{n}");
    }

    /// AirNow's published ozone example: 63, 69, 80, 74, 60, missing, 35, 22 ppb, most
    /// recent first; range 58, weight factor 0.275, weighted sum 89.925.
    #[test]
    fn airnow_ozone_example() {
        let v = [63.0, 69.0, 80.0, 74.0, 60.0, f64::NAN, 35.0, 22.0];
        let w: f64 = 0.275;
        let num: f64 = 89.925;
        let den: f64 = [0, 1, 2, 3, 4, 6, 7].iter().map(|&i| w.powi(i)).sum();
        let n = nowcast(Pollutant::O3, &v).unwrap();
        assert!((n - num / den).abs() < 1e-3, "{n}");
        assert!((n - 65.27).abs() < 0.01, "{n}");
    }

    #[test]
    fn too_few_recent_hours_is_an_error() {
        let v = [1.0, f64::NAN, f64::NAN, 5.0, 5.0];
        assert!(nowcast(Pollutant::Pm25, &v).is_err());
        assert!(nowcast(Pollutant::Pm25, &[]).is_err());
        assert!(nowcast(Pollutant::Co, &[1.0, 1.0, 1.0]).is_err());
        assert!(nowcast(Pollutant::Pm10, &[1.0, -1.0, 1.0]).is_err());
    }

    #[test]
    fn all_zero_is_zero() {
        assert_eq!(nowcast(Pollutant::Pm10, &[0.0; 12]).unwrap(), 0.0);
    }
}
