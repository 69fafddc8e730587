//! Plain words for what the page shows: features, times, ages, numbers.

use aqcast_core::meaning::Meaning;
use aqcast_core::pipeline::spec::{CalendarField, RollingStat};
use aqcast_core::pollutant::Pollutant;
use aqcast_core::time;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// What a model feature is, in words a citizen reads ("NO2 measured 24 hours earlier"),
/// from what the artifact says it is ([`Meaning`]); its name as it is when the model does
/// not say. `daily` says whether the model's grid step is a day.
pub fn feature(meaning: Option<&Meaning>, name: &str, daily: bool) -> String {
    let unit = |n: u32| match (daily, n) {
        (false, 1) => "1 hour".to_string(),
        (false, _) => format!("{n} hours"),
        (true, 1) => "1 day".to_string(),
        (true, _) => format!("{n} days"),
    };
    let Some(m) = meaning else {
        return name.to_string();
    };
    match m {
        Meaning::Measured { variable, back } => match (variable_words(variable), back) {
            (Thing::Pollutant(p), 0) if daily => format!("{p} measured on the latest day"),
            (Thing::Pollutant(p), 0) => format!("{p} measured in the latest hour"),
            (Thing::Pollutant(p), 23) if !daily => format!("{p} a day before the latest hour"),
            (Thing::Pollutant(p), 167) if !daily => {
                format!("{p} a week before the latest hour")
            }
            (Thing::Pollutant(p), 6) if daily => format!("{p} a week before the latest day"),
            (Thing::Pollutant(p), n) => format!("{p} {} earlier", unit(*n)),
            (Thing::Other(w), 0) => w,
            (Thing::Other(w), n) => format!("{w} {} earlier", unit(*n)),
        },
        Meaning::Window {
            variable,
            window,
            stat,
        } => {
            let what = match variable_words(variable) {
                Thing::Pollutant(p) => p,
                Thing::Other(w) => w,
            };
            let span = match (daily, window) {
                (false, 24) => "the last 24 h".to_string(),
                (true, 365) => "the last year".to_string(),
                _ => format!("the last {}", unit(*window)),
            };
            match stat {
                RollingStat::Mean if !daily && *window == 24 => {
                    format!("{what} measured in {span}")
                }
                RollingStat::Mean => format!("{what} over {span}"),
                RollingStat::Max => format!("the highest {what} of {span}"),
                RollingStat::Min => format!("the lowest {what} of {span}"),
                RollingStat::Sum => format!("{what} added up over {span}"),
            }
        }
        Meaning::Now { field } => match field {
            CalendarField::Hour => "the time of day now".into(),
            CalendarField::Weekday => "the day of the week".into(),
            CalendarField::Weekend => "whether it is the weekend".into(),
            CalendarField::Month | CalendarField::DayOfYear => "the time of year now".into(),
            CalendarField::Day => "the day of the month".into(),
            CalendarField::Year => "the year".into(),
        },
        Meaning::Wind { north: false } => "the wind's west–east direction".into(),
        Meaning::Wind { north: true } => "the wind's south–north direction".into(),
        Meaning::Combined { a, b, .. } => {
            let w = |v: &str| match variable_words(v) {
                Thing::Pollutant(p) => p,
                Thing::Other(w) => w,
            };
            format!("{} and {} together", w(a), w(b))
        }
        Meaning::Ahead => "how far ahead the forecast looks".into(),
        Meaning::Target { field } => match field {
            CalendarField::Hour => "the time of day it is forecast for".into(),
            CalendarField::Weekday | CalendarField::Weekend => {
                "the day of the week it is forecast for".into()
            }
            _ => "the time of year it is forecast for".into(),
        },
        Meaning::Usual if daily => "the usual level for that time of year".into(),
        Meaning::Usual => "the usual level for that hour of the week".into(),
        Meaning::Place => "where the station is".into(),
        Meaning::Expected { variable } => {
            let what = match variable_words(variable) {
                Thing::Pollutant(p) => p,
                Thing::Other(w) => w,
            };
            format!("{what} forecast for that time")
        }
        Meaning::ExpectedWind { north: false } => {
            "the west–east wind forecast for that time".into()
        }
        Meaning::ExpectedWind { north: true } => {
            "the south–north wind forecast for that time".into()
        }
    }
}

/// A measured variable: a pollutant (by its label), or something else in words.
enum Thing {
    Pollutant(String),
    Other(String),
}

/// A pollutant's label from a variable id (`no2` → `NO2`).
fn pollutant(var: &str) -> Option<&'static str> {
    var.parse::<Pollutant>().ok().map(Pollutant::label)
}

fn variable_words(variable: &str) -> Thing {
    if let Some(p) = pollutant(variable) {
        return Thing::Pollutant(p.to_string());
    }
    // A background site's pollutant (`bg.no2`, `bg_no2`).
    if let Some(p) = variable
        .strip_prefix("bg.")
        .or_else(|| variable.strip_prefix("bg_"))
        .and_then(pollutant)
    {
        return Thing::Pollutant(format!("{p} at the background site nearby"));
    }
    Thing::Other(match variable {
        "ws" | "wind_speed" => "the wind speed".into(),
        "wd" | "wind_direction" => "the wind direction".into(),
        "air_temp" | "temp" | "temperature" => "the temperature".into(),
        "rh" | "humidity" | "relative_humidity" => "the humidity".into(),
        "pressure" | "pres" => "the air pressure".into(),
        "rain" | "precipitation" => "the rain".into(),
        other => other.to_string(),
    })
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
        let measured = |v: &str, back| Meaning::Measured {
            variable: v.into(),
            back,
        };
        let f = |m: Meaning, daily| feature(Some(&m), "x", daily);
        assert_eq!(
            f(measured("no2", 0), false),
            "NO2 measured in the latest hour"
        );
        assert_eq!(f(measured("no2", 3), false), "NO2 3 hours earlier");
        assert_eq!(
            f(measured("no2", 167), false),
            "NO2 a week before the latest hour"
        );
        let window = |v: &str, window, stat| Meaning::Window {
            variable: v.into(),
            window,
            stat,
        };
        assert_eq!(
            f(window("no2", 24, RollingStat::Mean), false),
            "NO2 measured in the last 24 h"
        );
        assert_eq!(
            f(window("pm10", 7, RollingStat::Mean), true),
            "PM10 over the last 7 days"
        );
        assert_eq!(
            f(window("pm10", 7, RollingStat::Max), true),
            "the highest PM10 of the last 7 days"
        );
        assert_eq!(f(measured("pm10", 1), true), "PM10 1 day earlier");
        assert_eq!(
            f(measured("bg.no2", 0), false),
            "NO2 at the background site nearby measured in the latest hour"
        );
        assert_eq!(f(measured("ws", 0), false), "the wind speed");
        assert_eq!(
            f(measured("ws", 2), false),
            "the wind speed 2 hours earlier"
        );
        assert_eq!(
            f(Meaning::Usual, true),
            "the usual level for that time of year"
        );
        // A model that does not say what a feature is: its name.
        assert_eq!(feature(None, "something_else", false), "something_else");
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
