//! What a connector hands over: measurements ([`Record`]) and what the source says about
//! each site ([`SiteFacts`]), and the one CSV form they are ingested in: OpenAQ's archive
//! columns (which ingestion already reads: `location_id, sensors_id, location, datetime,
//! lat, lon, parameter, units, value`) and the site's `network`, `licence` and
//! `attribution`. So a fetched value is checked (unit, physical bounds), quarantined,
//! recorded in the manifest and de-duplicated exactly as a value of a file is.

use std::collections::BTreeMap;
use std::fmt::Write;

/// One measurement as the source gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The site id aqcast files it under (`openaq-2178`, `airnow-060990005`…).
    pub site: String,
    /// The source's own id of the series (a sensor, a timeseries, a sampling point).
    pub series: String,
    /// The variable as the source names it (`pm25`, `OZONE`, `no2`…).
    pub variable: String,
    /// The unit as the source writes it (`µg/m³`, `PPB`, `ug.m-3`…).
    pub unit: String,
    /// The start of the averaging period (Unix seconds, UTC): aqcast's grid row `T` holds
    /// the mean of `[T, T + step)`.
    pub time: i64,
    /// The value; none where the source says it is missing.
    pub value: Option<f64>,
}

/// What a source says about a site.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteFacts {
    /// The site id aqcast files it under.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Latitude, degrees north.
    pub lat: Option<f64>,
    /// Longitude, degrees east.
    pub lon: Option<f64>,
    /// The network and the body that runs it (`OpenAQ: AirNow`, `UK-AIR (AURN)`).
    pub network: Option<String>,
    /// The data's licence (`CC BY 4.0`, `US Public Domain`, `Open Government Licence`).
    pub licence: Option<String>,
    /// Whom to credit where the data are shown.
    pub attribution: Option<String>,
}

/// The CSV header of a page.
pub const HEADER: &str =
    "location_id,sensors_id,location,datetime,lat,lon,parameter,units,value,network,licence,attribution";

/// A page of records in the CSV form ingestion reads, each row with its site's facts.
pub fn page_csv(records: &[Record], sites: &BTreeMap<String, SiteFacts>) -> String {
    let mut out = String::with_capacity(64 + records.len() * 96);
    out.push_str(HEADER);
    out.push('\n');
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for r in records {
        let f = sites.get(&r.site);
        let num = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
        let text = |v: Option<&String>| v.cloned().unwrap_or_default();
        // A row that cannot be written cannot happen (strings and numbers); kept out.
        let _ = w.write_record([
            r.site.as_str(),
            r.series.as_str(),
            &text(f.and_then(|f| f.name.as_ref())),
            &iso(r.time),
            &num(f.and_then(|f| f.lat)),
            &num(f.and_then(|f| f.lon)),
            r.variable.as_str(),
            r.unit.as_str(),
            &num(r.value),
            &text(f.and_then(|f| f.network.as_ref())),
            &text(f.and_then(|f| f.licence.as_ref())),
            &text(f.and_then(|f| f.attribution.as_ref())),
        ]);
    }
    if let Ok(bytes) = w.into_inner() {
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    out
}

/// A time as RFC 3339 UTC, to the second.
pub fn iso(t: i64) -> String {
    let mut s = aqcast_core::time::format_datetime(t).replacen(' ', "T", 1);
    let _ = write!(s, "Z");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_the_openaq_archive_form_with_the_sites_facts() {
        let r = Record {
            site: "openaq-2178".into(),
            series: "3920".into(),
            variable: "pm25".into(),
            unit: "µg/m³".into(),
            time: 1_697_457_600,
            value: Some(6.0),
        };
        let gap = Record {
            value: None,
            time: r.time + 3600,
            ..r.clone()
        };
        let mut sites = BTreeMap::new();
        sites.insert(
            "openaq-2178".to_string(),
            SiteFacts {
                id: "openaq-2178".into(),
                name: Some("Del Norte, \"Albuquerque\"".into()),
                lat: Some(35.1353),
                lon: Some(-106.584702),
                network: Some("OpenAQ: AirNow".into()),
                licence: Some("US Public Domain".into()),
                attribution: None,
            },
        );
        let csv = page_csv(&[r, gap], &sites);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "openaq-2178,3920,\"Del Norte, \"\"Albuquerque\"\"\",2023-10-16T12:00:00Z,35.1353,-106.584702,pm25,µg/m³,6,OpenAQ: AirNow,US Public Domain,"
        );
        // A missing value is an empty cell, which ingestion counts as missing.
        assert!(lines[2].contains(",pm25,µg/m³,,"), "{}", lines[2]);
    }
}
