//! # aqcast-feeds
//!
//! Live data in: connectors for the networks that publish air-quality measurements every
//! hour, each behind one trait ([`Source`]), fetched incrementally into the data store
//! ([`fetch`]).
//!
//! - [`openaq`]: OpenAQ API v3 (locations by bounding box or id, each sensor's hourly
//!   values);
//! - [`airnow`]: AirNow's hourly data files and its site list;
//! - [`ukair`]: UK-AIR's timeseries API (the AURN);
//! - [`eea`]: the EEA's up-to-date data (E2a): its Parquet files and station metadata;
//! - [`eionet`]: the pollutant codes and units the European sources write;
//! - [`worker`]: what stations pushed to aqcast's own edge worker;
//! - [`http`]: timeouts, retries with jittered backoff, the rate limit honoured;
//! - [`watermark`]: how far each stream has been taken, in the store, changed by
//!   compare-and-swap;
//! - [`records`]: what a connector hands over ([`Record`], [`SiteFacts`]), written in the
//!   one CSV form ingestion reads, so that fetched values go through the same validation,
//!   quarantine, manifest and de-duplication as files.
//!
//! A run ([`fetch::run`]) holds the data store's lock, plans (the sites and their
//! streams: an OpenAQ sensor, a UK-AIR timeseries, an EEA sampling point, AirNow's hourly
//! files), then takes each stream page by page: every page is ingested (atomically, by
//! its content: a page taken twice is taken once) before the stream's watermark moves
//! past it. Killed at any point, a run started again takes what is missing and nothing
//! twice (the store reads one value per site, variable and time).

pub mod airnow;
pub mod bbox;
pub mod eea;
pub mod eionet;
pub mod fetch;
pub mod http;
pub mod openaq;
pub mod records;
pub mod ukair;
pub mod watermark;
pub mod worker;

pub use bbox::Bbox;
pub use fetch::{run, Options, Summary};
pub use records::{Record, SiteFacts};

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// The source refused the credentials (401, 403).
    #[error("{url}: the source refused the request ({status}): check the API key (set it in the environment, as the source's section of README.md says)")]
    Denied {
        /// The request.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// The source has no such thing (404).
    #[error("{0}: not found (404): check the source's base URL and the ids asked for")]
    NotFound(String),
    /// The source answered with another error that will not pass by retrying.
    #[error("{url}: the source answered {status}: {body}")]
    Refused {
        /// The request.
        url: String,
        /// The status.
        status: u16,
        /// The start of its body.
        body: String,
    },
    /// The source could not be reached, or kept failing.
    #[error("{url}: {why} ({attempts} attempts); the source may be down: try again later")]
    Unavailable {
        /// The request.
        url: String,
        /// The last failure.
        why: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The source kept answering 429 for longer than the run may wait.
    #[error("{url}: still rate limited after waiting {waited} s; ask the source for a higher limit or fetch less at a time")]
    RateLimited {
        /// The request.
        url: String,
        /// Seconds waited.
        waited: u64,
    },
    /// An answer that is not what the source's documentation describes.
    #[error("{url}: {message}")]
    Format {
        /// The request.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// A setting of the run that cannot work (a bounding box, an id, a base URL).
    #[error("{0}")]
    Setting(String),
    /// The data store or the watermarks failed.
    #[error(transparent)]
    Store(#[from] aqcast_store::data::StoreError),
    /// Ingestion refused a page outright (`--strict`).
    #[error(transparent)]
    Ingest(#[from] aqcast_store::ingest::IngestError),
    /// The watermarks' document could not be read or changed.
    #[error(transparent)]
    Objects(#[from] aqcast_store::Error),
}
