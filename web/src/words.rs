//! Plain words for what the page shows: features, times, ages, numbers.

use aqcast_core::pollutant::Pollutant;
use aqcast_core::time;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// What a model feature is, in words a citizen reads ("NO2 measured 24 hours earlier").
/// `daily` says whether the model's grid step is a day.
pub fn feature(name: &str, daily: bool) -> String {
    let unit = |n: u32| match (daily, n) {
        (false, 1) => "1 hour".to_string(),
        (false, _) => format!("{n} hours"),
        (true, 1) => "1 day".to_string(),
        (true, _) => format!("{n} days"),
    };
    let fixed = match name {
        "hour" => Some("the time of day now"),
        "dow" | "weekday" => Some("the day of the week"),
        "month" => Some("the time of year now"),
        "ws" => Some("the wind speed"),
        "wd" => Some("the wind direction"),
        "wind_u" => Some("the wind's west–east direction"),
        "wind_v" => Some("the wind's south–north direction"),
        "air_temp" | "temp" => Some("the temperature"),
        "ahead" => Some("how far ahead the forecast looks"),
        "target_hour" => Some("the time of day forecast for"),
        "target_weekday" => Some("the day of the week forecast for"),
        "target_month" => Some("the time of year forecast for"),
        "climatology" if daily => Some("the usual level for that time of year"),
        "climatology" => Some("the usual level for that hour of the week"),
        "station_lat" | "station_lon" => Some("where the station is"),
        _ => None,
    };
    if let Some(f) = fixed {
        return f.to_string();
    }
    if let Some(p) = name.strip_prefix("bg_").and_then(pollutant) {
        return format!("{p} at the background site nearby");
    }
    let Some((var, what)) = name.rsplit_once('_') else {
        return name.to_string();
    };
    let Some(p) = pollutant(var) else {
        return name.to_string();
    };
    let number = |prefix: &str| {
        what.strip_prefix(prefix)
            .and_then(|n| n.parse::<u32>().ok())
    };
    if let Some(n) = number("lag") {
        // Lag n is n steps before the latest one (lag 0).
        return match (daily, n) {
            (_, 0) if daily => format!("{p} measured on the latest day"),
            (_, 0) => format!("{p} measured in the latest hour"),
            (false, 23) => format!("{p} a day before the latest hour"),
            (false, 167) => format!("{p} a week before the latest hour"),
            (true, 6) => format!("{p} a week before the latest day"),
            _ => format!("{p} {} earlier", unit(n)),
        };
    }
    if let Some(n) = number("roll").or_else(|| number("mean")) {
        return match (daily, n) {
            (false, 24) => format!("{p} measured in the last 24 h"),
            (true, 365) => format!("{p} over the last year"),
            _ => format!("{p} over the last {}", unit(n)),
        };
    }
    name.to_string()
}

/// A pollutant's label from a variable id (`no2` → `NO2`).
fn pollutant(var: &str) -> Option<&'static str> {
    var.parse::<Pollutant>().ok().map(Pollutant::label)
}

/// A local date and time, `Thu 1 Jan 2004, 13:00`, from Unix seconds and an offset.
pub fn datetime(t: i64, offset: i64) -> String {
    let c = time::civil(t + offset);
    format!("{}, {:02}:{:02}", date(t, offset), c.hour, c.minute)
}

/// A local date, `Thu 1 Jan 2004`.
pub fn date(t: i64, offset: i64) -> String {
    let c = time::civil(t + offset);
    format!(
        "{} {} {} {}",
        weekday(t + offset),
        c.day,
        MONTHS[(c.month as usize).saturating_sub(1) % 12],
        c.year
    )
}

/// A short local date, `Thu 1 Jan`.
pub fn day(t: i64, offset: i64) -> String {
    let c = time::civil(t + offset);
    format!(
        "{} {} {}",
        weekday(t + offset),
        c.day,
        MONTHS[(c.month as usize).saturating_sub(1) % 12]
    )
}

/// A local day as a person says it, seen from `now`: `Today`, `Tomorrow`, else the date
/// (`Thu 1 Jan`: old data are dated, never called today).
pub fn relative_day(t: i64, now: i64, offset: i64) -> String {
    match (t + offset).div_euclid(86_400) - (now + offset).div_euclid(86_400) {
        0 => "Today".into(),
        1 => "Tomorrow".into(),
        _ => day(t, offset),
    }
}

/// The local hour, `13:00`.
pub fn hour(t: i64, offset: i64) -> String {
    let c = time::civil(t + offset);
    format!("{:02}:{:02}", c.hour, c.minute)
}

fn weekday(local: i64) -> &'static str {
    // 1970-01-01 was a Thursday.
    WEEKDAYS[((local.div_euclid(86_400) + 3).rem_euclid(7)) as usize]
}

/// How old something is, in the largest unit that says it ("3 hours", "2 days",
/// "22 years").
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..=119 => return "just now".into(),
        120..=7_199 => (s / 60, "minute"),
        7_200..=172_799 => (s / 3_600, "hour"),
        172_800..=5_183_999 => (s / 86_400, "day"),
        5_184_000..=31_535_999 => (s / 2_592_000, "month"),
        _ => (s / 31_536_000, "year"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A concentration for reading: no more digits than a measurement has.
pub fn value(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 10.0 {
        fixed(v, 0)
    } else {
        fixed(v, 1)
    }
}

/// `v` with `digits` (0–3) decimals, rounded half away from zero: what `{:.N}` shows
/// (but no "-0.0"), without the exact-decimal formatter that would add to the app.
pub fn fixed(v: f64, digits: u32) -> String {
    if !v.is_finite() || v.abs() >= 1e15 {
        return format!("{v}");
    }
    let scale = 10i64.pow(digits.min(3));
    let n = (v * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let (whole, part) = (n.abs() / scale, n.abs() % scale);
    if digits == 0 {
        format!("{sign}{whole}")
    } else {
        format!(
            "{sign}{whole}.{part:0width$}",
            width = digits.min(3) as usize
        )
    }
}

/// A count with its thousands grouped: 590,724.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a current value is, as a phrase after it (` (NowCast)`), empty for a plain
/// latest measurement.
pub fn basis(b: aqcast_core::aqi::current::Basis) -> &'static str {
    use aqcast_core::aqi::current::Basis;
    match b {
        Basis::Latest => "",
        Basis::NowCast => " (NowCast, EPA's weighted average of the last hours)",
        Basis::Mean8h => " (8-hour mean)",
        Basis::Mean24h => " (24-hour mean)",
    }
}

/// A UTC offset, `UTC`, `UTC+1`, `UTC−5:30`.
pub fn offset(seconds: i64) -> String {
    if seconds == 0 {
        return "UTC".into();
    }
    let sign = if seconds < 0 { '−' } else { '+' };
    let m = seconds.abs() / 60;
    if m % 60 == 0 {
        format!("UTC{sign}{}", m / 60)
    } else {
        format!("UTC{sign}{}:{:02}", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_their_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(590_724), "590,724");
        assert_eq!(count(12_345_678), "12,345,678");
    }

    #[test]
    fn fixed_decimals_read_as_format_would_show_them() {
        for (v, d, want) in [
            (12.345, 0, "12"),
            (12.5, 0, "13"),
            (-0.04, 1, "0.0"),
            (-0.06, 1, "-0.1"),
            (4.56789, 2, "4.57"),
            (0.0, 1, "0.0"),
            (-7.25, 1, "-7.3"),
            (1234.0, 1, "1234.0"),
        ] {
            assert_eq!(fixed(v, d), want, "{v} to {d}");
        }
        assert_eq!(value(f64::NAN), "–");
        assert_eq!(value(9.96), "10.0");
    }

    #[test]
    fn features_read_as_words() {
        assert_eq!(
            feature("no2_lag0", false),
            "NO2 measured in the latest hour"
        );
        assert_eq!(feature("no2_lag3", false), "NO2 3 hours earlier");
        assert_eq!(
            feature("no2_lag167", false),
            "NO2 a week before the latest hour"
        );
        assert_eq!(
            feature("no2_roll24", false),
            "NO2 measured in the last 24 h"
        );
        assert_eq!(feature("pm10_mean7", true), "PM10 over the last 7 days");
        assert_eq!(feature("pm10_lag1", true), "PM10 1 day earlier");
        assert_eq!(
            feature("bg_no2", false),
            "NO2 at the background site nearby"
        );
        assert_eq!(feature("ws", false), "the wind speed");
        assert_eq!(feature("something_else", false), "something_else");
    }

    #[test]
    fn dates_ages_and_offsets() {
        // 2004-01-01 00:00 UTC was a Thursday.
        let t = 1_072_915_200;
        assert_eq!(datetime(t, 0), "Thu 1 Jan 2004, 00:00");
        assert_eq!(datetime(t, 3_600), "Thu 1 Jan 2004, 01:00");
        assert_eq!(day(t - 1, 0), "Wed 31 Dec");
        assert_eq!(age(30), "just now");
        assert_eq!(age(3 * 3_600), "3 hours ago");
        assert_eq!(age(86_400 * 400), "1 year ago");
        assert_eq!(offset(0), "UTC");
        assert_eq!(offset(3_600), "UTC+1");
        assert_eq!(offset(-19_800), "UTC−5:30");
        assert_eq!(relative_day(t + 3_600, t + 600, 0), "Today");
        assert_eq!(relative_day(t + 86_400, t + 600, 0), "Tomorrow");
        assert_eq!(relative_day(t + 2 * 86_400, t, 0), "Sat 3 Jan");
        // An hour west of UTC, 00:30 UTC is still yesterday evening.
        assert_eq!(relative_day(t + 1_800, t - 7_200, -3_600), "Today");
        assert_eq!(relative_day(t, t + 9_000 * 86_400, 0), "Thu 1 Jan");
        assert_eq!(value(21.75), "22");
        assert_eq!(value(2.345), "2.3");
    }
}
