//! `aqcast fetch SOURCE`: what is new at a network that publishes measurements, into the
//! data store (`aqcast_feeds`), then the published station data refreshed for the
//! stations whose data changed.

use std::time::Duration;

use aqcast_feeds::fetch::Source;
use aqcast_feeds::http::Http;
use aqcast_feeds::{airnow, eea, openaq, ukair, Bbox};
use aqcast_store::data::Store;

use crate::error::CliError;

/// Arguments of `aqcast fetch`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: SourceArgs,
    #[command(flatten)]
    common: Common,
}

/// What every source takes.
#[derive(clap::Args, Clone)]
pub struct Common {
    /// The data store (a folder).
    #[arg(long, default_value = "aqcast-store", global = true)]
    pub store: String,
    /// The source's address instead of its public one (a mirror, a proxy, a test server).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
    /// How far back a series seen for the first time is taken, in days.
    #[arg(long, default_value_t = 8, global = true)]
    pub days: u32,
    /// Take a series seen for the first time from this time on (UTC, `2025-03-01` or
    /// `2025-03-01T06:00:00Z`) instead of `--days` back: a backfill.
    #[arg(long, value_name = "TIME", global = true)]
    pub since: Option<String>,
    /// Seconds before a request is given up (and retried).
    #[arg(long, default_value_t = 30, global = true)]
    pub timeout: u64,
    /// Seconds to wait for another writer of the store to finish.
    #[arg(long, default_value_t = 600, global = true)]
    pub lock_wait: u64,
    /// Fail on the first rejected value instead of quarantining it.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Print the summary as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Leave the published station data as they are (the pipeline publishes them once,
    /// after all its sources).
    #[arg(long, global = true)]
    pub no_refresh: bool,
}

/// The sources.
#[derive(clap::Subcommand, Clone)]
pub enum SourceArgs {
    /// OpenAQ API v3: the hourly values of every sensor of the locations asked for. The
    /// API key is read from OPENAQ_API_KEY.
    Openaq {
        /// Locations in a box: west,south,east,north (degrees).
        #[arg(
            long,
            value_name = "W,S,E,N",
            conflicts_with = "locations",
            allow_hyphen_values = true
        )]
        bbox: Option<String>,
        /// Locations by id, comma-separated.
        #[arg(long, value_name = "ID,…")]
        locations: Option<String>,
        /// Parameters to take (OpenAQ's names).
        #[arg(long, default_value = "pm25,pm10,o3,no2,so2,co")]
        parameters: String,
    },
    /// AirNow's hourly data files (no key), for the sites asked for.
    Airnow {
        /// Sites in a box: west,south,east,north (degrees).
        #[arg(
            long,
            value_name = "W,S,E,N",
            conflicts_with = "sites",
            allow_hyphen_values = true
        )]
        bbox: Option<String>,
        /// Sites by AQS id, comma-separated (default: every site).
        #[arg(long, value_name = "AQSID,…")]
        sites: Option<String>,
        /// Parameters to take (AirNow's names).
        #[arg(long, default_value = "OZONE,PM2.5,PM10,NO2,CO,SO2")]
        parameters: String,
    },
    /// UK-AIR's timeseries API (the AURN; no key).
    Ukair {
        /// Timeseries ids, comma-separated.
        #[arg(long, value_name = "ID,…", required = true)]
        series: String,
    },
    /// The EEA's up-to-date data (E2a) through its download service (no key): every
    /// sampling point of the countries asked for.
    Eea {
        /// Countries, ISO codes, comma-separated.
        #[arg(long, value_name = "CC,…", required = true)]
        countries: String,
        /// Cities as the service names them, comma-separated (default: every city).
        #[arg(long, value_name = "CITY,…")]
        cities: Option<String>,
        /// Pollutants, in the service's notation.
        #[arg(long, default_value = "PM2.5,PM10,NO2,O3,SO2,CO")]
        pollutants: String,
        /// The offset from UTC of the files' hourly times (the service documents UTC+01).
        #[arg(long, default_value = "+01:00", allow_hyphen_values = true)]
        utc_offset: String,
        /// The station metadata's address (a ZIP holding DataExtract.csv).
        #[arg(long, value_name = "URL")]
        metadata_url: Option<String>,
    },
    /// What stations pushed to aqcast's edge worker (POST /v1/observations), at
    /// --base-url (the worker's origin). The key (the read scope) is read from
    /// AQCAST_WORKER_KEY. Every value is taken once, whenever it was pushed (--days and
    /// --since do not apply: the worker keeps pushed values 35 days).
    Worker {
        /// Stations, comma-separated, read whether or not the worker lists them
        /// (default: every station the worker lists as having pushed).
        #[arg(long, value_name = "ID,…")]
        stations: Option<String>,
    },
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn bbox(s: &str) -> Result<Bbox, CliError> {
    s.parse()
        .map_err(|e: String| CliError::Usage(format!("--bbox: {e}")))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A connector and the headers its requests carry (a key).
struct Connector {
    source: Box<dyn Source>,
    headers: Vec<(&'static str, String)>,
}

/// The connector the command line asks for.
fn connector(a: &SourceArgs, c: &Common) -> Result<Connector, CliError> {
    let first = match &c.since {
        Some(t) => aqcast_core::time::parse_datetime(t).ok_or_else(|| {
            CliError::Usage(format!(
                "--since {t:?}: expected a UTC date or time, e.g. 2025-03-01 or 2025-03-01T06:00:00Z"
            ))
        })?,
        None => now().div_euclid(3600) * 3600 - i64::from(c.days) * 86_400,
    };
    let base = |default: &str| c.base_url.clone().unwrap_or_else(|| default.to_string());
    let mut headers = Vec::new();
    let s: Box<dyn Source> = match a {
        SourceArgs::Openaq {
            bbox: b,
            locations,
            parameters,
        } => {
            let selection = match (b, locations) {
                (Some(b), _) => openaq::Selection::Bbox(bbox(b)?),
                (None, Some(ids)) => openaq::Selection::Ids(
                    list(ids)
                        .iter()
                        .map(|i| {
                            i.parse::<u64>().map_err(|_| {
                                CliError::Usage(format!("--locations: {i:?} is not a location id"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                (None, None) => {
                    return Err(CliError::Usage(
                        "give --bbox W,S,E,N or --locations ID,…".into(),
                    ))
                }
            };
            match std::env::var(openaq::KEY_VARIABLE) {
                Ok(k) if !k.trim().is_empty() => headers.push(("x-api-key", k.trim().to_string())),
                _ => tracing::warn!(
                    "{} is not set: OpenAQ answers 401 without a key (get one at https://explore.openaq.org/register)",
                    openaq::KEY_VARIABLE
                ),
            }
            Box::new(openaq::OpenAq::new(
                &base(openaq::DEFAULT_BASE),
                selection,
                list(parameters),
                first,
                1000,
            )?)
        }
        SourceArgs::Airnow {
            bbox: b,
            sites,
            parameters,
        } => {
            let selection = match (b, sites) {
                (Some(b), _) => airnow::Selection::Bbox(bbox(b)?),
                (None, Some(ids)) => airnow::Selection::Ids(list(ids)),
                (None, None) => airnow::Selection::All,
            };
            Box::new(airnow::AirNow::new(
                &base(airnow::DEFAULT_BASE),
                selection,
                list(parameters),
                first,
                now(),
            )?)
        }
        SourceArgs::Ukair { series } => Box::new(ukair::UkAir::new(
            &base(ukair::DEFAULT_BASE),
            list(series),
            first,
            now(),
        )?),
        SourceArgs::Eea {
            countries,
            cities,
            pollutants,
            utc_offset,
            metadata_url,
        } => Box::new(eea::Eea::new(
            &base(eea::DEFAULT_BASE),
            metadata_url.as_deref().unwrap_or(eea::DEFAULT_METADATA),
            eea::Selection {
                countries: list(countries)
                    .iter()
                    .map(|c| c.to_ascii_uppercase())
                    .collect(),
                cities: cities.as_deref().map(list).unwrap_or_default(),
                pollutants: list(pollutants),
                utc_offset: super::ingest::parse_offset(utc_offset)?,
            },
            first,
            now(),
        )?),
        SourceArgs::Worker { stations } => {
            let Some(base) = &c.base_url else {
                return Err(CliError::Usage(
                    "give the worker's address: --base-url https://…/".into(),
                ));
            };
            match std::env::var(aqcast_feeds::worker::KEY_VARIABLE) {
                Ok(k) if !k.trim().is_empty() => headers.push(("x-api-key", k.trim().to_string())),
                _ => tracing::warn!(
                    "{} is not set: the worker answers 401 without a key with the read scope",
                    aqcast_feeds::worker::KEY_VARIABLE
                ),
            }
            Box::new(aqcast_feeds::worker::Worker::new(
                base,
                stations.as_deref().map(list).unwrap_or_default(),
            )?)
        }
    };
    Ok(Connector { source: s, headers })
}

pub fn run(a: Args) -> Result<(), CliError> {
    let c = &a.common;
    let Connector {
        source: mut src,
        headers,
    } = connector(&a.source, c)?;
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let http = Http::new(Duration::from_secs(c.timeout.max(1)), &pairs)?;
    let store = Store::open(&c.store)?;
    let summary = aqcast_feeds::run(
        &store,
        src.as_mut(),
        &http,
        &aqcast_feeds::Options {
            lock_wait: Duration::from_secs(c.lock_wait),
            ingest: aqcast_store::ingest::Options {
                paths: Vec::new(),
                maps: Vec::new(),
                site: None,
                strict: c.strict,
                archive: None,
                clock: Default::default(),
            },
            progress: !c.json,
        },
    )?;
    // Published station data is refreshed, as after an ingest.
    let refreshed = if summary.pages > 0 && !c.no_refresh {
        super::ingest::refresh_published(&c.store)?
    } else {
        None
    };
    if c.json {
        let doc = serde_json::json!({
            "source": src.name(),
            "streams": summary.streams,
            "pages": summary.pages,
            "pages_again": summary.pages_again,
            "values": summary.values,
            "rejected": summary.rejected,
            "missing": summary.missing,
            "changed_sites": summary.changed_sites,
            "seconds": summary.seconds,
            "refreshed_stations": refreshed,
        });
        return super::emit(None, |w| writeln!(w, "{doc}"));
    }
    super::emit(None, |w| {
        writeln!(
            w,
            "{}: {} streams, {} pages taken{}, {} values ({} rejected, {} missing) at {} sites, in {:.1} s",
            src.name(),
            summary.streams,
            summary.pages,
            if summary.pages_again > 0 {
                format!(" ({} already in the store)", summary.pages_again)
            } else {
                String::new()
            },
            summary.values,
            summary.rejected,
            summary.missing,
            summary.changed_sites.len(),
            summary.seconds
        )?;
        if let Some(n) = refreshed {
            writeln!(w, "refreshed the published data of {n} stations")?;
        }
        Ok(())
    })
}
