//! Civil time on the proleptic Gregorian calendar, from Unix seconds (UTC), without a clock.
//!
//! The core never reads the time; front ends hand it timestamps as Unix seconds. This module
//! turns them into calendar fields (for features), parses the timestamp spellings found in
//! measurement files, and formats them back.

use alloc::string::String;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// 0001-01-01 00:00:00 UTC, the earliest time a document may hold.
pub const MIN_SECONDS: i64 = -62_135_596_800;

/// 9999-12-31 23:59:59 UTC, the latest time a document may hold.
pub const MAX_SECONDS: i64 = 253_402_300_799;

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1–12, day 1–31) of a day counted from 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The calendar fields of one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// Hour, 0–23.
    pub hour: u32,
    /// Minute, 0–59.
    pub minute: u32,
    /// Second, 0–59.
    pub second: u32,
    /// Day of the week, Monday = 0 … Sunday = 6 (as pandas' `day_of_week`).
    pub weekday: u32,
    /// Day of the year, 1–366.
    pub day_of_year: u32,
}

/// The calendar fields of `t` (Unix seconds) in UTC.
pub fn civil(t: i64) -> Civil {
    let days = t.div_euclid(DAY);
    let secs = t.rem_euclid(DAY) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs / 60 % 60,
        second: secs % 60,
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        weekday: (days + 3).rem_euclid(7) as u32,
        day_of_year: (days - days_from_civil(year, 1, 1) + 1) as u32,
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix seconds of a civil date and time, or `None` if a field is out of range.
pub fn from_civil(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 24
        || (hour == 24 && (minute, second) != (0, 0))
        || minute > 59
        || second > 60
    {
        return None;
    }
    let s = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(59));
    Some(days_from_civil(year, month, day) * DAY + s)
}

/// A tiny cursor over ASCII digits.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

/// Parses the timestamp spellings of measurement files into Unix seconds:
/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM`, `YYYY-MM-DD HH:MM:SS` (a `T` may replace the space;
/// fractional seconds are dropped), with an optional `Z` or `±HH:MM` / `±HHMM` offset.
/// Without an offset the time is taken as UTC. `None` if the text is not one of these.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let mut c = Cursor {
        b: s.trim().as_bytes(),
        i: 0,
    };
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    let (mut hour, mut minute, mut second) = (0, 0, 0);
    if !c.done() {
        if !(c.eat(b' ') || c.eat(b'T')) {
            return None;
        }
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        minute = c.digits(2)?;
        if c.eat(b':') {
            second = c.digits(2)?;
            if c.eat(b'.') {
                while c.b.get(c.i).is_some_and(u8::is_ascii_digit) {
                    c.i += 1;
                }
            }
        }
    }
    let mut offset = 0i64;
    if c.eat(b'Z') {
    } else if c.b.get(c.i).is_some_and(|&b| b == b'+' || b == b'-') {
        let sign = if c.b[c.i] == b'-' { -1 } else { 1 };
        c.i += 1;
        let oh = c.digits(2)?;
        c.eat(b':');
        let om = c.digits(2)?;
        if oh > 23 || om > 59 {
            return None;
        }
        offset = sign * (i64::from(oh) * 3600 + i64::from(om) * 60);
    }
    if !c.done() {
        return None;
    }
    Some(from_civil(i64::from(year), month, day, hour, minute, second)? - offset)
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC), the spelling pandas writes.
pub fn format_datetime(t: i64) -> String {
    let c = civil(t);
    alloc::format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse_datetime("2001-01-01 00:00:00"), Some(978_307_200));
        let c = civil(978_307_200);
        // 2001-01-01 was a Monday.
        assert_eq!(
            (c.year, c.month, c.day, c.weekday, c.day_of_year),
            (2001, 1, 1, 0, 1)
        );
        let c = civil(parse_datetime("2004-12-31T23:59:59Z").unwrap());
        assert_eq!(
            (c.day_of_year, c.hour, c.minute, c.second, c.weekday),
            (366, 23, 59, 59, 4)
        );
        assert_eq!(
            parse_datetime("2023-01-01T01:00:00+01:00"),
            parse_datetime("2023-01-01 00:00")
        );
        assert_eq!(
            parse_datetime("2023-06-01T00:00:00-0530"),
            parse_datetime("2023-06-01T05:30:00Z")
        );
        assert_eq!(
            format_datetime(parse_datetime("1999-02-28 07:08:09").unwrap()),
            "1999-02-28 07:08:09"
        );
    }

    #[test]
    fn rejects_nonsense() {
        for s in [
            "",
            "2001",
            "2001-13-01",
            "2001-02-29",
            "2001-01-01 25:00",
            "2001-01-01x",
            "01/02/2003",
            "2001-01-01 00:00+99:00",
        ] {
            assert_eq!(parse_datetime(s), None, "{s}");
        }
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for d in -146_097..146_097 * 2 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }
}
