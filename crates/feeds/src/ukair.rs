//! UK-AIR's timeseries API (<https://uk-air.defra.gov.uk/sos-ukair/api/v1/>, 52°North's
//! Timeseries API v1 in front of the AURN; no key).
//!
//! - The plan: each timeseries asked for (`/timeseries/{id}`): its unit (`uom`, Eionet's
//!   notation: `ug.m-3`, `mg.m-3`), its pollutant (the `phenomenon` id is the Eionet code:
//!   8 NO2, 7 O3, 5 PM10, 6001 PM2.5, 1 SO2, 10 CO), its station (`ukair-<id>`, its label
//!   less the pollutant's name, and its coordinates, which UK-AIR gives latitude first:
//!   `[lat, lon, "NaN"]`). One stream a timeseries, `timeseries:<id>`.
//! - A stream: `/timeseries/{id}/getData?timespan=<start>/<end>` (both ends inclusive),
//!   in windows of 30 days (the service refuses spans over a year). A timestamp is epoch
//!   milliseconds at the **end** of the hourly mean; aqcast stamps the start, an hour
//!   earlier. `-99`, `-9999`, `99999` and `null` are missing.

use std::collections::BTreeMap;

use reqwest::Url;
use serde::Deserialize;

use crate::fetch::{PageFn, Plan, Source, Stream};
use crate::http::Http;
use crate::openaq::base_url;
use crate::records::{Record, SiteFacts};
use crate::{eionet, Error};

/// The API's address.
pub const DEFAULT_BASE: &str = "https://uk-air.defra.gov.uk/sos-ukair/api/v1/";

/// Longest window one data request asks for.
const WINDOW: i64 = 30 * 86_400;

/// The UK-AIR connector.
pub struct UkAir {
    base: Url,
    series: Vec<String>,
    first: i64,
    now: i64,
    meta: BTreeMap<String, (String, String)>,
}

impl UkAir {
    /// A connector for the timeseries `series` at `base`, taking a new one from `first`
    /// up to `now` (Unix seconds).
    pub fn new(base: &str, series: Vec<String>, first: i64, now: i64) -> Result<UkAir, Error> {
        if series.is_empty() || series.iter().any(|s| s.is_empty() || s.contains('/')) {
            return Err(Error::Setting(
                "give the UK-AIR timeseries ids to take (e.g. --series 5116,5117)".into(),
            ));
        }
        Ok(UkAir {
            base: base_url(base)?,
            series,
            first,
            now,
            meta: BTreeMap::new(),
        })
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Setting(format!("{}{path}: {e}", self.base)))
    }
}

/// An id as UK-AIR writes it: a string of digits, or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(u64),
}

impl Id {
    fn text(&self) -> String {
        match self {
            Id::Text(s) => s.clone(),
            Id::Number(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct Series {
    uom: String,
    station: Feature,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    #[serde(default)]
    geometry: Option<Geometry>,
}

#[derive(Deserialize)]
struct Properties {
    id: Id,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Deserialize)]
struct Geometry {
    coordinates: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Parameters {
    phenomenon: Phenomenon,
}

#[derive(Deserialize)]
struct Phenomenon {
    id: Id,
}

#[derive(Deserialize)]
struct Data {
    values: Vec<Value>,
}

#[derive(Deserialize)]
struct Value {
    timestamp: i64,
    value: Option<f64>,
}

/// A station's name from its label (`Hafod-yr-ynys Hill Roadside-Nitrogen oxides (air)`:
/// the part before the pollutant's name).
fn station_name(label: &str) -> String {
    match label.rsplit_once('-') {
        Some((name, what)) if what.contains("(air)") || what.contains("(aerosol)") => {
            name.trim().to_string()
        }
        _ => label.trim().to_string(),
    }
}

/// A UK-AIR `timeseries/{id}` answer (`body`, from `url`): its station, and the variable
/// and unit aqcast reads its values as.
pub fn read_series(url: &Url, body: &[u8]) -> Result<(SiteFacts, String, String), Error> {
    let s: Series = crate::http::json(url, body, "a UK-AIR timeseries")?;
    let code = s
        .parameters
        .as_ref()
        .map(|p| p.phenomenon.id.text())
        .unwrap_or_default();
    let variable = code
        .parse::<i64>()
        .ok()
        .and_then(eionet::pollutant)
        .ok_or_else(|| Error::Format {
            url: url.to_string(),
            message: format!(
                "phenomenon {code:?} is not a pollutant aqcast reads (8 NO2, 7 O3, 5 PM10, 6001 PM2.5, 1 SO2, 10 CO)"
            ),
        })?;
    let site = format!("ukair-{}", s.station.properties.id.text());
    // Latitude first, a text "NaN" third; a pair outside the UK's latitudes is taken the
    // other way round.
    let c: Vec<f64> = s
        .station
        .geometry
        .as_ref()
        .map(|g| g.coordinates.iter().filter_map(|v| v.as_f64()).collect())
        .unwrap_or_default();
    let (lat, lon) = match c.as_slice() {
        [a, b, ..] if (49.0..=61.0).contains(a) => (Some(*a), Some(*b)),
        [a, b, ..] if (49.0..=61.0).contains(b) => (Some(*b), Some(*a)),
        _ => (None, None),
    };
    let facts = SiteFacts {
        id: site,
        name: s.station.properties.label.as_deref().map(station_name),
        lat,
        lon,
        network: Some("UK-AIR (AURN)".into()),
        licence: Some("Open Government Licence v3.0".into()),
        attribution: Some("Defra UK-AIR, © Crown copyright".into()),
    };
    Ok((facts, variable.to_string(), eionet::unit(&s.uom)))
}

/// A UK-AIR `getData` answer (`body`, from `url`) of series `id` at `site`, its values of
/// `variable` in `unit`: records stamped at the start of their hour, the network's fill
/// values missing.
pub fn read_data(
    url: &Url,
    body: &[u8],
    (site, id): (&str, &str),
    (variable, unit): (&str, &str),
) -> Result<Vec<Record>, Error> {
    let data: Data = crate::http::json(url, body, "UK-AIR data")?;
    Ok(data
        .values
        .into_iter()
        .map(|v| Record {
            site: site.to_string(),
            series: id.to_string(),
            variable: variable.to_string(),
            unit: unit.to_string(),
            // Stamped at the end of the hour; aqcast stamps its start.
            time: v.timestamp.div_euclid(1000) - 3600,
            value: v
                .value
                .filter(|x| x.is_finite() && ![-99.0, -9999.0, 99999.0].contains(x)),
        })
        .collect())
}

impl Source for UkAir {
    fn name(&self) -> &'static str {
        "ukair"
    }

    fn plan(&mut self, http: &Http) -> Result<Plan, Error> {
        let mut plan = Plan::default();
        self.meta.clear();
        for id in self.series.clone() {
            let url = self.url(&format!("timeseries/{id}"))?;
            let f = http
                .get(&url, false)?
                .ok_or_else(|| Error::NotFound(url.to_string()))?;
            let (facts, variable, unit) = read_series(&url, &f.body)?;
            let site = facts.id.clone();
            plan.sites.entry(site.clone()).or_insert(facts);
            self.meta.insert(id.clone(), (variable, unit));
            plan.streams.push(Stream {
                key: format!("timeseries:{id}"),
                site: Some(site),
            });
        }
        Ok(plan)
    }

    fn fetch(
        &mut self,
        http: &Http,
        stream: &Stream,
        since: Option<i64>,
        page: &mut PageFn<'_>,
    ) -> Result<(), Error> {
        let Some(id) = stream.key.strip_prefix("timeseries:") else {
            return Ok(());
        };
        let Some((variable, unit)) = self.meta.get(id).cloned() else {
            return Ok(());
        };
        let site = stream.site.clone().unwrap_or_default();
        // Hour ends after the end of the latest hour taken.
        let mut start = since.map_or(self.first + 3600, |t| t + 7200);
        while start <= self.now {
            let end = (start + WINDOW).min(self.now);
            let mut url = self.url(&format!("timeseries/{id}/getData"))?;
            url.query_pairs_mut().append_pair(
                "timespan",
                &format!(
                    "{}/{}",
                    crate::records::iso(start),
                    crate::records::iso(end)
                ),
            );
            let f = http
                .get(&url, false)?
                .ok_or_else(|| Error::NotFound(url.to_string()))?;
            let records = read_data(&url, &f.body, (&site, id), (&variable, &unit))?;
            // A window that ended before now is complete through its last whole hour; the
            // latest one only through its latest value (an hour may still come).
            let through = (end < self.now).then(|| end.div_euclid(3600) * 3600 - 3600);
            page(records, through)?;
            start = end + 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_units_and_codes_read_as_aqcast_reads_them() {
        assert_eq!(
            station_name("Hafod-yr-ynys Hill Roadside-Nitrogen oxides (air)"),
            "Hafod-yr-ynys Hill Roadside"
        );
        assert_eq!(
            station_name("London Marylebone Road"),
            "London Marylebone Road"
        );
    }
}
