//! AirNow's file products (<https://files.airnowtech.org/airnow/>, no key).
//!
//! - The plan: the site list `YYYY/YYYYMMDD/Monitoring_Site_Locations_V2.dat` of the
//!   latest day that has one (pipe-separated, a header line, one row per site and
//!   parameter): each site is `airnow-<AQSID>` (its name, coordinates — `0, 0` means
//!   unknown —, the agency that runs it); one stream, `hourly`, for every site.
//! - The stream: `YYYY/YYYYMMDD/HourlyData_YYYYMMDDHH.dat` for each hour not yet taken
//!   (pipe-separated, no header: `ValidDate|ValidTime|AQSID|SiteName|GMTOffset|
//!   ParameterName|ReportingUnits|Value|DataSource`; the date and time are UTC and stamp
//!   the start of the averaging hour, as aqcast does), until the first hour not published
//!   yet (a 404: the file of hour H appears during hour H + 1). `-999` is missing.
//!   Names are in code page 437: decoded as Latin-1, which differs only in accents.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Url;

use crate::bbox::Bbox;
use crate::fetch::{PageFn, Plan, Source, Stream};
use crate::http::Http;
use crate::openaq::base_url;
use crate::records::{Record, SiteFacts};
use crate::Error;

/// The files' address.
pub const DEFAULT_BASE: &str = "https://files.airnowtech.org/airnow/";

/// Which sites to take.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// Every site in a box: west, south, east, north (degrees).
    Bbox(Bbox),
    /// These AQS ids.
    Ids(Vec<String>),
    /// Every site.
    All,
}

/// The AirNow connector.
pub struct AirNow {
    base: Url,
    selection: Selection,
    parameters: Vec<String>,
    first: i64,
    now: i64,
    sites: BTreeSet<String>,
}

impl AirNow {
    /// A connector for `selection` at `base`, taking `parameters` (AirNow's names:
    /// `OZONE`, `PM2.5`, `PM10`, `NO2`, `CO`, `SO2`), its first hour `first` and its last
    /// the hour before `now` (Unix seconds).
    pub fn new(
        base: &str,
        selection: Selection,
        parameters: Vec<String>,
        first: i64,
        now: i64,
    ) -> Result<AirNow, Error> {
        Ok(AirNow {
            base: base_url(base)?,
            selection,
            parameters: parameters.iter().map(|p| p.to_ascii_uppercase()).collect(),
            first: first.div_euclid(3600) * 3600,
            now,
            sites: BTreeSet::new(),
        })
    }

    fn day_url(&self, t: i64, file: &str) -> Result<Url, Error> {
        let c = aqcast_core::time::civil(t);
        let path = format!(
            "{y:04}/{y:04}{m:02}{d:02}/{file}",
            y = c.year,
            m = c.month,
            d = c.day
        );
        self.base
            .join(&path)
            .map_err(|e| Error::Setting(format!("{}{path}: {e}", self.base)))
    }

    fn wanted(&self, aqsid: &str, lat: Option<f64>, lon: Option<f64>) -> bool {
        match &self.selection {
            Selection::All => true,
            Selection::Ids(ids) => ids.iter().any(|i| i == aqsid),
            Selection::Bbox(b) => match (lat, lon) {
                (Some(a), Some(o)) => b.contains(a, o),
                _ => false,
            },
        }
    }
}

/// Latin-1 text of bytes (AirNow's files are in code page 437).
fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

/// The sites of a V2 site list.
pub fn parse_sites(body: &[u8], url: &Url) -> Result<Vec<SiteFacts>, Error> {
    let text = latin1(body);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('|').collect();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| h.trim() == n)
            .ok_or_else(|| Error::Format {
                url: url.to_string(),
                message: format!(
                    "the site list has no {n} column (header: {})",
                    header.join("|")
                ),
            })
    };
    let (aqsid, name, lat, lon, agency) = (
        col("AQSID")?,
        col("SiteName")?,
        col("Latitude")?,
        col("Longitude")?,
        col("AgencyName")?,
    );
    let mut out: BTreeMap<String, SiteFacts> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.trim_end_matches('\r').split('|').collect();
        let Some(id) = f.get(aqsid).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
            continue;
        };
        let num = |i: usize| f.get(i).and_then(|s| s.trim().parse::<f64>().ok());
        let (a, o) = match (num(lat), num(lon)) {
            // 0, 0 is how the list says "unknown".
            (Some(a), Some(o)) if a != 0.0 || o != 0.0 => (Some(a), Some(o)),
            _ => (None, None),
        };
        let text = |i: usize| {
            f.get(i)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s != "N/A")
        };
        let site = format!("airnow-{id}");
        let agency = text(agency);
        out.entry(site.clone()).or_insert(SiteFacts {
            id: site,
            name: text(name),
            lat: a,
            lon: o,
            network: Some(match &agency {
                Some(a) => format!("AirNow: {a}"),
                None => "AirNow".into(),
            }),
            licence: Some("U.S. EPA AirNow, preliminary data".into()),
            attribution: Some(match &agency {
                Some(a) => format!("U.S. EPA AirNow and {a}"),
                None => "U.S. EPA AirNow".into(),
            }),
        });
    }
    Ok(out.into_values().collect())
}

/// The records of an hourly data file, keeping `keep` sites and `parameters`.
pub fn parse_hourly(
    body: &[u8],
    url: &Url,
    keep: &dyn Fn(&str) -> bool,
    parameters: &[String],
) -> Result<Vec<Record>, Error> {
    let text = latin1(body);
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('|').collect();
        if f.len() < 8 {
            return Err(Error::Format {
                url: url.to_string(),
                message: format!(
                    "line {}: {} fields where an hourly data file has 9",
                    n + 1,
                    f.len()
                ),
            });
        }
        let id = f[2].trim();
        let parameter = f[5].trim().to_ascii_uppercase();
        if !keep(id) || !parameters.iter().any(|p| p == &parameter) {
            continue;
        }
        let time = hour_of(f[0].trim(), f[1].trim()).ok_or_else(|| Error::Format {
            url: url.to_string(),
            message: format!(
                "line {}: {:?} {:?} is not MM/DD/YY HH:MM",
                n + 1,
                f[0],
                f[1]
            ),
        })?;
        let value = f[7]
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > -999.0 + 1e-9);
        out.push(Record {
            site: format!("airnow-{id}"),
            series: format!("{id}:{parameter}"),
            variable: parameter,
            unit: f[6].trim().to_string(),
            time,
            value,
        });
    }
    Ok(out)
}

/// `MM/DD/YY` and `HH:MM`, UTC, as Unix seconds.
fn hour_of(date: &str, time: &str) -> Option<i64> {
    let mut d = date.split('/');
    let (m, day, y) = (d.next()?, d.next()?, d.next()?);
    let year: i64 = y.parse().ok()?;
    let year = if year < 100 { 2000 + year } else { year };
    let text = format!(
        "{year:04}-{:02}-{:02} {time}:00",
        m.parse::<u32>().ok()?,
        day.parse::<u32>().ok()?
    );
    aqcast_core::time::parse_datetime(&text)
}

impl Source for AirNow {
    fn name(&self) -> &'static str {
        "airnow"
    }

    fn plan(&mut self, http: &Http) -> Result<Plan, Error> {
        // Today's list, or the latest of the last week's.
        let mut list = None;
        for back in 0..7 {
            let url = self.day_url(self.now - back * 86_400, "Monitoring_Site_Locations_V2.dat")?;
            if let Some(f) = http.get(&url, true)? {
                list = Some(parse_sites(&f.body, &url)?);
                break;
            }
        }
        let sites = list.ok_or_else(|| {
            Error::NotFound(format!(
                "{}: no Monitoring_Site_Locations_V2.dat in the last 7 days' folders",
                self.base
            ))
        })?;
        let mut plan = Plan::default();
        for s in sites {
            let aqsid = s.id.trim_start_matches("airnow-").to_string();
            if self.wanted(&aqsid, s.lat, s.lon) {
                self.sites.insert(aqsid);
                plan.sites.insert(s.id.clone(), s);
            }
        }
        if plan.sites.is_empty() {
            return Err(Error::Setting(
                "no AirNow site matches the selection (check the bounding box or the AQS ids)"
                    .into(),
            ));
        }
        plan.streams.push(Stream {
            key: "hourly".into(),
            site: None,
        });
        Ok(plan)
    }

    fn fetch(
        &mut self,
        http: &Http,
        _stream: &Stream,
        since: Option<i64>,
        page: &mut PageFn<'_>,
    ) -> Result<(), Error> {
        let last = self.now.div_euclid(3600) * 3600 - 3600;
        let mut hour = since.map_or(self.first, |t| t + 3600);
        while hour <= last {
            let c = aqcast_core::time::civil(hour);
            let file = format!(
                "HourlyData_{:04}{:02}{:02}{:02}.dat",
                c.year, c.month, c.day, c.hour
            );
            let url = self.day_url(hour, &file)?;
            let Some(f) = http.get(&url, true)? else {
                // Not published yet: the next run takes it.
                break;
            };
            let sites = &self.sites;
            let records = parse_hourly(&f.body, &url, &|id| sites.contains(id), &self.parameters)?;
            page(records, Some(hour))?;
            hour += 3600;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1/x").unwrap()
    }

    #[test]
    fn hourly_rows_are_hours_in_utc_with_minus_999_missing() {
        let body = b"07/01/24|14:00|060990005|Modesto - 14th Street|-8|OZONE|PPB|41|California Air Resources Board\n\
07/01/24|14:00|060990005|Modesto - 14th Street|-8|PM2.5|UG/M3|8.3|California Air Resources Board\n\
07/01/24|14:00|000010102|St. John's|-3.5|NO2|PPB|-999|Newfoundland & Labrador DEC\r\n\
12/26/16|00:00|000051501|Z\x82phirin|-5|OZONE|PPB|39|Meteorological Service of Canada\n";
        let params = vec!["OZONE".to_string(), "NO2".to_string()];
        let r = parse_hourly(body, &url(), &|_| true, &params).unwrap();
        assert_eq!(r.len(), 3, "PM2.5 is not asked for");
        assert_eq!(r[0].site, "airnow-060990005");
        assert_eq!(
            r[0].time,
            aqcast_core::time::parse_datetime("2024-07-01 14:00").unwrap()
        );
        assert_eq!(
            (r[0].variable.as_str(), r[0].unit.as_str(), r[0].value),
            ("OZONE", "PPB", Some(41.0))
        );
        assert_eq!(r[1].value, None, "-999 is missing");
        let only = parse_hourly(body, &url(), &|id| id == "000051501", &params).unwrap();
        assert_eq!(only.len(), 1);
        assert!(parse_hourly(b"01/01/24|00:00|x\n", &url(), &|_| true, &params).is_err());
    }

    #[test]
    fn the_site_list_gives_names_coordinates_and_agencies() {
        let body = b"StationID|AQSID|FullAQSID|Parameter|MonitorType|SiteCode|SiteName|Status|AgencyID|AgencyName|EPARegion|Latitude|Longitude|Elevation|GMTOffset|CountryFIPS|CBSA_ID|CBSA_Name|StateAQSCode|StateAbbreviation|CountyAQSCode|CountyName\n\
070000000000|000000000|070000000000|PM2.5|Permanent|0000|N/A|Inactive|BIH|U.S. Department of State Bosnia Herzegovina - Sarajevo|DSBK|0.000000|0.000000||0.00|BK||||||\n\
060990005|060990005|840060990005|O3|Permanent|0005|Modesto - 14th Street|Active|CA8|California Air Resources Board|R9|37.642165|-120.994212||-8.00|US|33700| Modesto, CA |06|CA|099|STANISLAUS\n\
060990005|060990005|840060990005|PM2.5|Permanent|0005|Modesto - 14th Street|Active|CA8|California Air Resources Board|R9|37.642165|-120.994212||-8.00|US|33700| Modesto, CA |06|CA|099|STANISLAUS\n";
        let s = parse_sites(body, &url()).unwrap();
        assert_eq!(s.len(), 2, "one entry per site, not per parameter");
        let m = s.iter().find(|x| x.id == "airnow-060990005").unwrap();
        assert_eq!(m.name.as_deref(), Some("Modesto - 14th Street"));
        assert_eq!((m.lat, m.lon), (Some(37.642165), Some(-120.994212)));
        assert_eq!(
            m.network.as_deref(),
            Some("AirNow: California Air Resources Board")
        );
        let unknown = s.iter().find(|x| x.id == "airnow-000000000").unwrap();
        assert_eq!((unknown.lat, unknown.name.as_deref()), (None, None));
    }
}
