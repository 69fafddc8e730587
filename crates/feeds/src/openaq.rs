//! OpenAQ API v3 (<https://api.openaq.org/v3/>, the `X-API-Key` header: the key comes
//! from `OPENAQ_API_KEY`, never from a command line).
//!
//! - The plan: the locations in a bounding box (`/v3/locations?bbox=minLon,minLat,maxLon,maxLat`,
//!   paged by `limit` and `page` until a page comes back short: `meta.found` is not a total
//!   for this endpoint, it is `">1000"` or the page's count) or by id (`/v3/locations/{id}`);
//!   each location is a site `openaq-<id>` (its name, coordinates, provider as the network,
//!   its first licence and whom it credits), and each of its sensors of a pollutant aqcast
//!   forecasts is a stream `sensor:<id>`.
//! - A stream: `/v3/sensors/{id}/hours?datetime_from=…` (hourly means, oldest first,
//!   paged as above). OpenAQ stamps an hour by its end and filters `datetime_from`
//!   exclusively on that end: the mark is the start of the latest hour taken, so the next
//!   request asks for ends after mark + 1 h. A value's time is its period's
//!   `datetimeFrom.utc` (aqcast stamps an average by its start).
//! - 429: the client waits `x-ratelimit-reset` seconds (seconds until the per-minute
//!   counter resets, as OpenAQ's server and SDK read it) and goes on.

use std::collections::BTreeMap;

use reqwest::Url;
use serde::Deserialize;

use crate::bbox::Bbox;
use crate::fetch::{PageFn, Plan, Source, Stream};
use crate::http::Http;
use crate::records::{Record, SiteFacts};
use crate::Error;

/// The API's address.
pub const DEFAULT_BASE: &str = "https://api.openaq.org/v3/";

/// The environment variable holding the API key.
pub const KEY_VARIABLE: &str = "OPENAQ_API_KEY";

/// Which locations to follow.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// Every location in a box: west, south, east, north (degrees).
    Bbox(Bbox),
    /// These locations.
    Ids(Vec<u64>),
}

/// The OpenAQ connector.
pub struct OpenAq {
    base: Url,
    selection: Selection,
    parameters: Vec<String>,
    first: i64,
    limit: u32,
    sensors: BTreeMap<u64, String>,
}

impl OpenAq {
    /// A connector for `selection` at `base`, following the sensors of `parameters`
    /// (OpenAQ's names: `pm25`, `pm10`, `o3`, `no2`, `so2`, `co`), taking a new stream's
    /// hours from `first` (Unix seconds), `limit` values a page.
    pub fn new(
        base: &str,
        selection: Selection,
        parameters: Vec<String>,
        first: i64,
        limit: u32,
    ) -> Result<OpenAq, Error> {
        if matches!(&selection, Selection::Ids(ids) if ids.is_empty()) {
            return Err(Error::Setting(
                "give a bounding box or at least one location id".into(),
            ));
        }
        Ok(OpenAq {
            base: base_url(base)?,
            selection,
            parameters,
            first,
            limit: limit.clamp(1, 1000),
            sensors: BTreeMap::new(),
        })
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Setting(format!("{}{path}: {e}", self.base)))
    }
}

/// A base URL with the trailing `/` that `Url::join` needs.
pub fn base_url(base: &str) -> Result<Url, Error> {
    let mut b = base.trim().to_string();
    if !b.ends_with('/') {
        b.push('/');
    }
    let url = Url::parse(&b)
        .map_err(|e| Error::Setting(format!("base URL {base:?}: {e} (e.g. {DEFAULT_BASE})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Setting(format!(
            "base URL {base:?}: only http and https are fetched"
        )));
    }
    Ok(url)
}

#[derive(Deserialize)]
struct Page<T> {
    results: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    locality: Option<String>,
    #[serde(default)]
    provider: Option<Named>,
    #[serde(default)]
    sensors: Vec<Sensor>,
    #[serde(default)]
    coordinates: Option<Coordinates>,
    #[serde(default)]
    licenses: Option<Vec<License>>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
struct Sensor {
    id: u64,
    parameter: Parameter,
}

#[derive(Deserialize)]
struct Parameter {
    name: String,
    units: String,
}

#[derive(Deserialize)]
struct Coordinates {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Deserialize)]
struct License {
    name: String,
    #[serde(default)]
    attribution: Option<Attribution>,
}

#[derive(Deserialize)]
struct Attribution {
    name: String,
}

#[derive(Deserialize)]
struct Hour {
    value: Option<f64>,
    parameter: Parameter,
    period: Period,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Period {
    datetime_from: Stamp,
}

#[derive(Deserialize)]
struct Stamp {
    utc: String,
}

fn parse<T: serde::de::DeserializeOwned>(url: &Url, body: &[u8]) -> Result<T, Error> {
    crate::http::json(url, body, "an OpenAQ v3 answer")
}

/// A page of OpenAQ v3 locations, read.
pub struct Locations {
    /// Each location as the station it is (`openaq-<id>`).
    pub sites: Vec<SiteFacts>,
    /// Its sensors of the parameters asked for: (sensor id, station).
    pub sensors: Vec<(u64, String)>,
    /// Locations on the page (a page shorter than the limit is the last).
    pub count: usize,
}

/// An OpenAQ v3 `locations` answer (`body`, from `url`): the stations, and the sensors of
/// `parameters` they have.
pub fn read_locations(url: &Url, body: &[u8], parameters: &[String]) -> Result<Locations, Error> {
    let results = parse::<Page<Location>>(url, body)?.results;
    let mut out = Locations {
        sites: Vec::new(),
        sensors: Vec::new(),
        count: results.len(),
    };
    for l in results {
        let site = format!("openaq-{}", l.id);
        let license = l.licenses.as_ref().and_then(|v| v.first());
        let name = match (l.name, l.locality) {
            (Some(n), Some(loc)) if !n.contains(&loc) => Some(format!("{n}, {loc}")),
            (n, loc) => n.or(loc),
        };
        out.sites.push(SiteFacts {
            id: site.clone(),
            name,
            lat: l.coordinates.as_ref().and_then(|c| c.latitude),
            lon: l.coordinates.as_ref().and_then(|c| c.longitude),
            network: Some(match &l.provider {
                Some(p) => format!("OpenAQ: {}", p.name),
                None => "OpenAQ".into(),
            }),
            licence: license.map(|x| x.name.clone()),
            attribution: Some(match license.and_then(|x| x.attribution.as_ref()) {
                Some(a) => format!("{} via OpenAQ", a.name),
                None => "OpenAQ".into(),
            }),
        });
        for s in l.sensors {
            if parameters.iter().any(|p| p == &s.parameter.name) {
                out.sensors.push((s.id, site.clone()));
            }
        }
    }
    Ok(out)
}

/// An OpenAQ v3 `sensors/{id}/hours` answer (`body`, from `url`) for `sensor` of `site`:
/// its hours as records, and how many the page held.
pub fn read_hours(
    url: &Url,
    body: &[u8],
    site: &str,
    sensor: &str,
) -> Result<(Vec<Record>, usize), Error> {
    let hours = parse::<Page<Hour>>(url, body)?.results;
    let count = hours.len();
    let mut records = Vec::with_capacity(count);
    for h in hours {
        let time =
            aqcast_core::time::parse_datetime(&h.period.datetime_from.utc).ok_or_else(|| {
                Error::Format {
                    url: url.to_string(),
                    message: format!("{:?} is not a time (RFC 3339)", h.period.datetime_from.utc),
                }
            })?;
        records.push(Record {
            site: site.to_string(),
            series: sensor.to_string(),
            variable: h.parameter.name,
            unit: h.parameter.units,
            time,
            value: h.value,
        });
    }
    Ok((records, count))
}

impl Source for OpenAq {
    fn name(&self) -> &'static str {
        "openaq"
    }

    fn plan(&mut self, http: &Http) -> Result<Plan, Error> {
        let mut pages: Vec<Locations> = Vec::new();
        match &self.selection {
            Selection::Ids(ids) => {
                for id in ids {
                    let url = self.url(&format!("locations/{id}"))?;
                    let f = http
                        .get(&url, false)?
                        .ok_or_else(|| Error::NotFound(url.to_string()))?;
                    pages.push(read_locations(&url, &f.body, &self.parameters)?);
                }
            }
            Selection::Bbox(bbox) => {
                for page in 1.. {
                    let mut url = self.url("locations")?;
                    url.query_pairs_mut()
                        .append_pair("bbox", &bbox.to_string())
                        .append_pair("limit", &self.limit.to_string())
                        .append_pair("page", &page.to_string());
                    let f = http
                        .get(&url, false)?
                        .ok_or_else(|| Error::NotFound(url.to_string()))?;
                    let read = read_locations(&url, &f.body, &self.parameters)?;
                    let short = read.count < self.limit as usize;
                    pages.push(read);
                    if short {
                        break;
                    }
                }
            }
        }
        let mut plan = Plan::default();
        self.sensors.clear();
        for page in pages {
            for site in page.sites {
                plan.sites.insert(site.id.clone(), site);
            }
            for (sensor, site) in page.sensors {
                self.sensors.insert(sensor, site.clone());
                plan.streams.push(Stream {
                    key: format!("sensor:{sensor}"),
                    site: Some(site),
                });
            }
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
        let Some(sensor) = stream.key.strip_prefix("sensor:") else {
            return Ok(());
        };
        let site = stream.site.clone().unwrap_or_default();
        // Hours whose end is after the end of the latest hour taken.
        let from = since.map_or(self.first, |t| t + 3600);
        for n in 1.. {
            let mut url = self.url(&format!("sensors/{sensor}/hours"))?;
            url.query_pairs_mut()
                .append_pair("datetime_from", &crate::records::iso(from))
                .append_pair("limit", &self.limit.to_string())
                .append_pair("page", &n.to_string());
            let f = http
                .get(&url, false)?
                .ok_or_else(|| Error::NotFound(url.to_string()))?;
            let (records, count) = read_hours(&url, &f.body, &site, sensor)?;
            let short = count < self.limit as usize;
            page(records, None)?;
            if short {
                break;
            }
        }
        Ok(())
    }
}
