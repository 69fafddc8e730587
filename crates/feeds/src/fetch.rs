//! A fetch run: the [`Source`] trait every connector implements, and [`run`], which takes
//! what is new of each of a source's streams into the data store.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aqcast_store::data::Store;
use aqcast_store::ingest::{self, Input, Outcome};

use crate::http::Http;
use crate::records::{page_csv, Record, SiteFacts};
use crate::watermark::Marks;
use crate::Error;

/// A series a source publishes and aqcast follows: its key (`sensor:3920`,
/// `hourly`), and the site it belongs to (none for a stream of many sites, as AirNow's
/// hourly files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    /// The key its watermark is kept under.
    pub key: String,
    /// Its site, when it has one.
    pub site: Option<String>,
}

/// What a source will be asked for in a run: its sites (with what it says of them) and
/// the streams to take.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Each site, by the id aqcast files it under.
    pub sites: BTreeMap<String, SiteFacts>,
    /// The streams, in the order they are taken.
    pub streams: Vec<Stream>,
}

/// A network that publishes measurements.
pub trait Source {
    /// Its name: the command's `SOURCE` and the watermarks' file (`openaq`).
    fn name(&self) -> &'static str;

    /// The sites and streams to take (one or a few requests to the source's catalogue).
    fn plan(&mut self, http: &Http) -> Result<Plan, Error>;

    /// Takes `stream`'s records after `since` (the start of the latest period already
    /// taken; none: as far back as the connector is set to reach), handing them to `page`
    /// one page at a time, oldest first, each with the time the stream is complete through
    /// once it is taken (none: its latest record's).
    fn fetch(
        &mut self,
        http: &Http,
        stream: &Stream,
        since: Option<i64>,
        page: &mut PageFn<'_>,
    ) -> Result<(), Error>;
}

/// What a connector calls with each page: its records, and the time the stream is
/// complete through once they are taken (none: the latest record's).
pub type PageFn<'a> = dyn FnMut(Vec<Record>, Option<i64>) -> Result<(), Error> + 'a;

/// How a run goes.
pub struct Options {
    /// Wait this long at most for another writer to release the data store.
    pub lock_wait: Duration,
    /// Ingestion's options for the pages (strictness).
    pub ingest: ingest::Options,
    /// Draw a progress line on a terminal.
    pub progress: bool,
}

/// What a run took.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Streams the plan listed.
    pub streams: usize,
    /// Pages taken now.
    pub pages: usize,
    /// Pages already in the store (fetched again after a run stopped between a page and
    /// its watermark).
    pub pages_again: usize,
    /// Values stored.
    pub values: u64,
    /// Values quarantined (with their reasons in the store's quarantine files).
    pub rejected: u64,
    /// Values the source said were missing.
    pub missing: u64,
    /// Sites whose data changed: what the snapshots must refresh.
    pub changed_sites: Vec<String>,
    /// Seconds the run took.
    pub seconds: f64,
}

/// Takes what is new of every stream of `source` into `store`, holding the store's lock
/// (waiting up to `opts.lock_wait` for another writer).
pub fn run(
    store: &Store,
    source: &mut dyn Source,
    http: &Http,
    opts: &Options,
) -> Result<Summary, Error> {
    let started = Instant::now();
    let _lock = store.lock_waiting(opts.lock_wait)?;
    let plan = source.plan(http)?;
    let mut marks = Marks::open(store.root(), source.name())?;
    let mut manifest = store.manifest()?;
    let bar = if opts.progress {
        indicatif::ProgressBar::new(plan.streams.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {}: {{pos}}/{{len}} streams, {{msg}} [{{elapsed}}]",
            source.name()
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = Summary {
        streams: plan.streams.len(),
        ..Summary::default()
    };
    let mut changed = std::collections::BTreeSet::new();
    let hidden = indicatif::ProgressBar::hidden();
    let name = source.name();
    for stream in &plan.streams {
        let since = marks.get(&stream.key);
        source.fetch(http, stream, since, &mut |records, through| {
            let latest = records.iter().map(|r| r.time).max();
            let Some(mark) = through.or(latest) else {
                return Ok(());
            };
            let Some(last) = latest else {
                // Nothing in this page (an hour none of the sites measured): the mark
                // moves past it all the same.
                marks.advance(&stream.key, mark)?;
                return Ok(());
            };
            let first = records.iter().map(|r| r.time).min().unwrap_or(last);
            let csv = page_csv(&records, &plan.sites);
            let name = format!(
                "{name}:{}:{}..{}",
                stream.key,
                crate::records::iso(first),
                crate::records::iso(last)
            );
            let input = Input::Bytes {
                name: &name,
                bytes: csv.as_bytes(),
            };
            match ingest::take(store, &mut manifest, input, &opts.ingest, &hidden)? {
                Outcome::Taken(t) => {
                    summary.pages += 1;
                    summary.values += t.observations;
                    summary.rejected += t.rejected;
                    summary.missing += t.missing;
                    changed.extend(t.sites.iter().cloned());
                }
                Outcome::AlreadyTaken(_) => summary.pages_again += 1,
                // A page with nothing to take (every value missing or refused) moves the
                // mark all the same: fetching it again would give the same.
                Outcome::Refused(e) => tracing::warn!("{name}: {e}"),
            }
            // Only now that the page is in the store does the mark pass it.
            marks.advance(&stream.key, mark)?;
            bar.set_message(format!("{} values", summary.values));
            Ok(())
        })?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    summary.changed_sites = changed.into_iter().collect();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
