//! A station's bad-air days as feeds, for people who want no push: an Atom feed (RFC 4287)
//! and an iCalendar file (RFC 5545) of the forecast's days whose worst category reaches a
//! threshold, each with what to do in the scale's agency's words. Pure text from a
//! forecast: [`bad_days`] picks the days, [`atom`] and [`ics`] write them.

use aqcast_core::aqi::{advice, Advice};
use aqcast_core::daily;
use aqcast_core::forecast::Forecast;
use aqcast_core::time;

/// The default threshold: the category (1 best to 6) from which sensitive groups are
/// told to act — EPA's "Unhealthy for Sensitive Groups", the EEA's "Moderate".
pub const DEFAULT_FROM: u8 = aqcast_core::aqi::ACT_FROM;

/// One day of the forecast at or past the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct BadDay {
    /// The local day (`YYYY-MM-DD`).
    pub date: String,
    /// The day after (`YYYYMMDD`): an all-day event's exclusive end.
    pub until: String,
    /// Its first step (Unix seconds, UTC).
    pub start: i64,
    /// Its worst category (0 best).
    pub category: u8,
    /// The category's name.
    pub name: String,
    /// What to do: for everyone, and for sensitive groups.
    pub advice: Advice,
}

/// The days of `fc` (local days at `offset` seconds from UTC) whose worst category is
/// `from` (1–6) or worse.
pub fn bad_days(fc: &Forecast, offset: i64, from: u8) -> Vec<BadDay> {
    daily::days(fc, offset)
        .into_iter()
        .filter(|d| d.category + 1 >= from)
        .map(|d| {
            let c = time::civil(d.start + offset);
            let n = time::civil(d.start + offset + 86_400);
            BadDay {
                date: format!("{:04}-{:02}-{:02}", c.year, c.month, c.day),
                until: format!("{:04}{:02}{:02}", n.year, n.month, n.day),
                start: d.start,
                category: d.category,
                name: fc
                    .categories
                    .get(usize::from(d.category))
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                advice: advice(fc.scale, d.category),
            }
        })
        .collect()
}

/// What to do, in one text: `separator` between what everyone and sensitive groups do.
pub fn advice_text(a: &Advice, separator: &str) -> String {
    match a.sensitive {
        None => format!("Everyone, including sensitive groups: {}", a.everyone),
        Some(s) => format!("Everyone: {}{separator}Sensitive groups: {s}", a.everyone),
    }
}

/// What a feed is about.
pub struct About<'a> {
    /// The station's id.
    pub station: &'a str,
    /// The pollutant's label (`NO2`).
    pub pollutant: &'a str,
    /// This feed's own URL.
    pub url: &'a str,
    /// When it was made (RFC 3339, UTC).
    pub generated: &'a str,
    /// The threshold (1–6) and its category's name.
    pub from: (u8, &'a str),
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The bad-air days as an Atom feed: one entry per day, its id naming the day and the
/// category (so a reader shows a changed forecast as news).
pub fn atom(about: &About, days: &[BadDay]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "<id>{}</id>\n<title>{}</title>\n<subtitle>{}</subtitle>\n<updated>{}</updated>\n<link rel=\"self\" href=\"{}\"/>\n<author><name>aqcast</name></author>\n",
        xml(about.url),
        xml(&format!("Bad-air days forecast at {}", about.station)),
        xml(&format!(
            "Days whose {} forecast reaches {} ({}) or worse",
            about.pollutant, about.from.1, about.from.0
        )),
        about.generated,
        xml(about.url),
    ));
    for d in days {
        let text = advice_text(&d.advice, " ");
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<content type=\"text\">{}</content>\n</entry>\n",
            xml(&format!("{}#{}-{}", about.url, d.date, d.category + 1)),
            xml(&format!("{}: {} ({} forecast at {})", d.date, d.name, about.pollutant, about.station)),
            about.generated,
            xml(&text),
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// Escapes an iCalendar TEXT value (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
    out
}

/// The bad-air days as an iCalendar file: one all-day event per day.
pub fn ics(about: &About, days: &[BadDay]) -> String {
    let stamp: String = about
        .generated
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .take(15)
        .collect::<String>()
        + "Z";
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//aqcast//bad-air days//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        format!(
            "X-WR-CALNAME:{}",
            ics_text(&format!("Bad-air days at {}", about.station))
        ),
    ];
    for d in days {
        let text = advice_text(&d.advice, "\n");
        let date = d.date.replace('-', "");
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:{date}-{}@aqcast", ics_text(about.station)),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{date}"),
            format!("DTEND;VALUE=DATE:{}", d.until),
            format!(
                "SUMMARY:{}",
                ics_text(&format!(
                    "{}: {} forecast at {}",
                    d.name, about.pollutant, about.station
                ))
            ),
            format!("DESCRIPTION:{}", ics_text(&text)),
            format!("URL:{}", about.url),
            "TRANSP:TRANSPARENT".to_string(),
            "END:VEVENT".to_string(),
        ]);
    }
    lines.push("END:VCALENDAR".to_string());
    lines.iter().map(|l| fold(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::aqi::Scale;

    fn about() -> About<'static> {
        About {
            station: "DEBY047 <&>",
            pollutant: "PM10",
            url: "https://w.example/v1/forecast/DEBY047/atom?from=1",
            generated: "2026-12-07T10:00:00Z",
            from: (1, "Good"),
        }
    }

    fn day(date: &str, category: u8) -> BadDay {
        let start = time::parse_datetime(&format!("{date} 00:00:00")).unwrap();
        let n = time::civil(start + 86_400);
        BadDay {
            date: date.into(),
            until: format!("{:04}{:02}{:02}", n.year, n.month, n.day),
            start,
            category,
            name: "Poor; bad, very".into(),
            advice: advice(Scale::Eea, category),
        }
    }

    #[test]
    fn atom_escapes_and_names_each_day() {
        let a = atom(&about(), &[day("2026-12-31", 3)]);
        assert!(
            a.contains("<title>Bad-air days forecast at DEBY047 &lt;&amp;&gt;</title>"),
            "{a}"
        );
        assert!(a.contains("#2026-12-31-4</id>"));
        assert!(a.contains("Sensitive groups: Consider reducing physical activities"));
        assert_eq!(a.matches("<entry>").count(), 1);
        assert!(atom(&about(), &[]).contains("</feed>"));
    }

    #[test]
    fn ics_lines_are_crlf_folded_and_escaped() {
        let long = day("2026-12-31", 5);
        let c = ics(&about(), &[long]);
        assert!(c.starts_with("BEGIN:VCALENDAR\r\n") && c.ends_with("END:VCALENDAR\r\n"));
        for line in c.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
            assert!(!line.contains('\n'));
        }
        assert!(c.contains("DTSTART;VALUE=DATE:20261231\r\nDTEND;VALUE=DATE:20270101\r\n"));
        assert!(c.contains("SUMMARY:Poor\\; bad\\, very: PM10"));
        assert!(c.contains("DTSTAMP:20261207T100000Z"));
        // A folded line unfolds to the original.
        let unfolded = c.replace("\r\n ", "");
        assert!(unfolded.contains("Sensitive groups: Avoid physical activities outdoors."));
        assert_eq!(
            fold("é".repeat(40).as_str())
                .split("\r\n")
                .next()
                .unwrap()
                .len(),
            74
        );
    }
}
