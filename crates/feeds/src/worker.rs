//! The values stations pushed to aqcast's own edge worker (`POST /v1/observations`),
//! into the data store for training: `GET /v1/observations` lists the stations that
//! pushed, `GET /v1/observations/{station}?after=SEQ` gives each one's values after a
//! sequence number, which is the stream's watermark (so a value that arrives late, with
//! an old time, is taken all the same). The key (the `read` scope) comes from
//! `AQCAST_WORKER_KEY`.

use std::collections::BTreeMap;

use reqwest::Url;
use serde::Deserialize;

use crate::fetch::{PageFn, Plan, Source, Stream};
use crate::http::Http;
use crate::openaq::base_url;
use crate::records::{Record, SiteFacts};
use crate::Error;

/// The environment variable the worker's key is read from.
pub const KEY_VARIABLE: &str = "AQCAST_WORKER_KEY";

/// Values asked for a page.
const LIMIT: usize = 1000;

/// The connector to an aqcast edge worker.
pub struct Worker {
    base: Url,
    stations: Vec<String>,
}

impl Worker {
    /// A connector to the worker at `base` (its origin, e.g. `https://aq.example.org/`),
    /// for `stations` (none: every station that pushed).
    pub fn new(base: &str, stations: Vec<String>) -> Result<Worker, Error> {
        Ok(Worker {
            base: base_url(base)?,
            stations,
        })
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Setting(format!("{}{path}: {e}", self.base)))
    }
}

#[derive(Deserialize)]
struct List {
    stations: Vec<Pushed>,
}

#[derive(Deserialize)]
struct Pushed {
    station: String,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    units: BTreeMap<String, String>,
    observations: Vec<Row>,
    /// The inbox's latest sequence number.
    seq: i64,
}

#[derive(Deserialize)]
struct Row {
    seq: i64,
    variable: String,
    time: i64,
    value: f64,
}

fn parse<T: serde::de::DeserializeOwned>(url: &Url, body: &[u8]) -> Result<T, Error> {
    crate::http::json(url, body, "an aqcast worker's answer")
}

impl Source for Worker {
    fn name(&self) -> &'static str {
        "worker"
    }

    fn plan(&mut self, http: &Http) -> Result<Plan, Error> {
        // Stations named are read whether or not the worker's index lists them (a push
        // whose index update failed and was not sent again is still taken).
        let names: Vec<String> = if self.stations.is_empty() {
            let url = self.url("v1/observations")?;
            let f = http
                .get(&url, false)?
                .ok_or_else(|| Error::NotFound(url.to_string()))?;
            let list: List = parse(&url, &f.body)?;
            list.stations.into_iter().map(|p| p.station).collect()
        } else {
            self.stations.clone()
        };
        let mut plan = Plan::default();
        for station in names {
            let p = Pushed { station };
            plan.sites.insert(
                p.station.clone(),
                SiteFacts {
                    id: p.station.clone(),
                    ..SiteFacts::default()
                },
            );
            plan.streams.push(Stream {
                key: format!("station:{}", p.station),
                site: Some(p.station),
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
        let Some(station) = stream.site.clone() else {
            return Ok(());
        };
        let mut after = since.unwrap_or(0);
        loop {
            let mut url = self.url("v1/observations/")?;
            url.path_segments_mut()
                .map_err(|_| Error::Setting(format!("{}: not a base URL", self.base)))?
                .pop_if_empty()
                .push(&station);
            url.query_pairs_mut()
                .append_pair("after", &after.to_string())
                .append_pair("limit", &LIMIT.to_string());
            let f = http
                .get(&url, false)?
                .ok_or_else(|| Error::NotFound(url.to_string()))?;
            let p: Page = parse(&url, &f.body)?;
            // The inbox numbers from 1 again if its storage was ever reset: what it holds
            // now is read from the start (the store takes nothing twice).
            if p.seq < after && after > 0 {
                tracing::warn!(
                    station = %station,
                    was = after,
                    now = p.seq,
                    "the worker's inbox restarted its numbering; reading it from the start"
                );
                after = 0;
                continue;
            }
            let Some(last) = p.observations.iter().map(|r| r.seq).max() else {
                return Ok(());
            };
            let short = p.observations.len() < LIMIT;
            let records = p
                .observations
                .into_iter()
                .map(|r| Record {
                    site: station.clone(),
                    series: format!("{}", r.seq),
                    unit: p.units.get(&r.variable).cloned().unwrap_or_default(),
                    variable: r.variable,
                    time: r.time,
                    value: Some(r.value),
                })
                .collect();
            // The watermark is the sequence number, not a time.
            page(records, Some(last))?;
            if short {
                return Ok(());
            }
            after = last;
        }
    }
}
