//! Where parsed values go: checked, converted to the canonical unit, de-duplicated, and
//! buffered per (site, variable) partition until a bounded number of rows is reached,
//! then written as part files. Rejected values go to the quarantine.

use std::collections::{BTreeMap, HashMap};

use super::reject::{Quarantine, Reason};
use super::vocab::{self, UnitText, Variable};
use crate::data::{Store, StoreError};

/// Rows buffered in memory (over all partitions) before they are written: 16 bytes each,
/// so about 32 MB whatever the size of the file.
pub const FLUSH_ROWS: usize = 2_000_000;

/// Why taking a value stopped the file.
#[derive(Debug)]
pub enum SinkError {
    /// `--strict` and a value was rejected.
    Strict {
        /// Line.
        line: u64,
        /// Column.
        column: String,
        /// Why.
        reason: Reason,
        /// The value as written.
        value: String,
    },
    /// The store or the quarantine could not be written.
    Store(StoreError),
}

impl From<StoreError> for SinkError {
    fn from(e: StoreError) -> Self {
        SinkError::Store(e)
    }
}

/// Timestamps already taken in one partition, at the resolution they come in: whole
/// hours, whole minutes, seconds. Each resolution is a set of chunks of 4,096 slots: a
/// chunk holds its first 256 timestamps as a sorted list (2 bytes each) and then becomes a
/// bitmap (512 bytes). So memory grows with the time span of a site's data, never by more
/// than about 2 bytes a row, and hourly, one-minute or one-second data alike stay small
/// (3 million one-minute rows: well under a megabyte, where a set of timestamps took
/// 60–90 MB).
#[derive(Default)]
struct Seen {
    hours: Slots,
    minutes: Slots,
    seconds: Slots,
}

impl Seen {
    /// True if `t` was not seen before.
    fn insert(&mut self, t: i64) -> bool {
        if t.rem_euclid(3600) == 0 {
            self.hours.insert(t.div_euclid(3600))
        } else if t.rem_euclid(60) == 0 {
            self.minutes.insert(t.div_euclid(60))
        } else {
            self.seconds.insert(t)
        }
    }

    /// Bytes held (an estimate of the heap used).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.hours.bytes() + self.minutes.bytes() + self.seconds.bytes()
    }
}

/// A set of integers in chunks of 4,096: sparse chunks as sorted offsets, dense ones as
/// bitmaps.
#[derive(Default)]
struct Slots {
    chunks: HashMap<i64, Chunk>,
}

enum Chunk {
    Sparse(Vec<u16>),
    Dense(Box<[u64; 64]>),
}

/// Offsets a sparse chunk holds before it becomes a bitmap (its size then: 512 bytes).
const SPARSE_MAX: usize = 256;

impl Slots {
    fn insert(&mut self, v: i64) -> bool {
        let (key, off) = (v.div_euclid(4096), v.rem_euclid(4096) as u16);
        let chunk = self
            .chunks
            .entry(key)
            .or_insert_with(|| Chunk::Sparse(Vec::new()));
        match chunk {
            Chunk::Sparse(list) => match list.binary_search(&off) {
                Ok(_) => false,
                Err(i) if list.len() < SPARSE_MAX => {
                    list.insert(i, off);
                    true
                }
                Err(_) => {
                    let mut bits = Box::new([0u64; 64]);
                    for &o in list.iter().chain(std::iter::once(&off)) {
                        bits[usize::from(o) / 64] |= 1 << (o % 64);
                    }
                    *chunk = Chunk::Dense(bits);
                    true
                }
            },
            Chunk::Dense(bits) => {
                let (w, mask) = (usize::from(off) / 64, 1u64 << (off % 64));
                let fresh = bits[w] & mask == 0;
                bits[w] |= mask;
                fresh
            }
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.chunks
            .values()
            .map(|c| {
                48 + match c {
                    Chunk::Sparse(l) => l.capacity() * 2,
                    Chunk::Dense(_) => 512,
                }
            })
            .sum()
    }
}

struct Partition {
    site: u32,
    variable: u32,
    rows: Vec<(i64, f64)>,
    seen: Seen,
    seq: u32,
}

/// A row's cells that describe its site, as bytes (empty where the format has no such
/// column).
#[derive(Clone, Copy, Debug, Default)]
pub struct SiteText<'a> {
    /// The site's name.
    pub name: &'a [u8],
    /// Latitude, degrees north.
    pub lat: &'a [u8],
    /// Longitude, degrees east.
    pub lon: &'a [u8],
    /// The network that runs it.
    pub network: &'a [u8],
    /// The data's licence.
    pub licence: &'a [u8],
    /// Whom to credit.
    pub attribution: &'a [u8],
}

/// What one file gave.
#[derive(Default, Debug)]
pub struct Stats {
    /// Observations stored.
    pub observations: u64,
    /// Empty or missing values.
    pub missing: u64,
    /// Rows repeating a measurement already taken (EPA daily files: one row per
    /// pollutant standard).
    pub repeated: u64,
    /// Rejected values by reason.
    pub rejected: BTreeMap<Reason, u64>,
    /// First and last observation time.
    pub span: Option<(i64, i64)>,
}

/// What a file gave, once all of it is durable.
pub struct Finished {
    /// Counts.
    pub stats: Stats,
    /// Variables that hold observations.
    pub variables: Vec<String>,
    /// Sites that hold observations.
    pub sites: Vec<String>,
    /// The quarantine file, if a value was rejected.
    pub quarantine: Option<std::path::PathBuf>,
    /// Names and coordinates of sites, where the file gives them.
    pub site_facts: BTreeMap<String, crate::data::SiteFacts>,
}

/// The destination of one source file's values.
pub struct Sink<'s> {
    store: &'s Store,
    file_id: String,
    strict: bool,
    variables: Vec<Variable>,
    site_ids: HashMap<Vec<u8>, u32>,
    sites: Vec<String>,
    index: HashMap<(u32, u32), usize>,
    partitions: Vec<Partition>,
    buffered: usize,
    flush_rows: usize,
    quarantine: Quarantine,
    site_facts: BTreeMap<String, crate::data::SiteFacts>,
    /// Counts so far.
    pub stats: Stats,
}

fn is_missing(raw: &[u8]) -> bool {
    matches!(
        raw,
        b"" | b"NA" | b"NaN" | b"nan" | b"N/A" | b"na" | b"null" | b"NULL" | b"None"
    )
}

impl<'s> Sink<'s> {
    /// A sink for the file `file_id` (its quarantine rows name it `source`).
    pub fn new(store: &'s Store, file_id: &str, source: String, strict: bool) -> Sink<'s> {
        Sink {
            store,
            file_id: file_id.to_string(),
            strict,
            variables: Vec::new(),
            site_ids: HashMap::new(),
            sites: Vec::new(),
            index: HashMap::new(),
            partitions: Vec::new(),
            site_facts: BTreeMap::new(),
            buffered: 0,
            // A smaller buffer (more, smaller part files) for tests and tight machines.
            flush_rows: std::env::var("AQCAST_INGEST_BUFFER_ROWS")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|&n: &usize| n > 0)
                .unwrap_or(FLUSH_ROWS),
            quarantine: Quarantine::new(source, store.quarantine_path(file_id)),
            stats: Stats::default(),
        }
    }

    /// The id of a variable (registering it).
    pub fn variable(&mut self, v: &Variable) -> u32 {
        match self.variables.iter().position(|x| x == v) {
            Some(i) => i as u32,
            None => {
                self.variables.push(v.clone());
                (self.variables.len() - 1) as u32
            }
        }
    }

    /// Rejects a value: to the quarantine, or (with `--strict`) as an error.
    pub fn reject(
        &mut self,
        line: u64,
        column: &str,
        reason: Reason,
        raw: &[u8],
    ) -> Result<(), SinkError> {
        if self.strict {
            return Err(SinkError::Strict {
                line,
                column: column.to_string(),
                reason,
                value: String::from_utf8_lossy(raw).into_owned(),
            });
        }
        *self.stats.rejected.entry(reason).or_default() += 1;
        let path = self.quarantine.path().to_path_buf();
        self.quarantine
            .add(line, column, reason, raw)
            .map_err(StoreError::io(path))?;
        Ok(())
    }

    /// Takes one value of `variable` at `site` and time `t`, written as `raw` in `unit`
    /// (`unit_ok` false: the file named a unit aqcast cannot read).
    #[allow(clippy::too_many_arguments)]
    pub fn value(
        &mut self,
        line: u64,
        site: &[u8],
        variable: u32,
        t: i64,
        column: &str,
        raw: &[u8],
        unit: Option<UnitText>,
        unit_ok: bool,
    ) -> Result<(), SinkError> {
        let text = raw.trim_ascii();
        if is_missing(text) {
            self.stats.missing += 1;
            return Ok(());
        }
        if !unit_ok {
            return self.reject(line, column, Reason::UnknownUnit, raw);
        }
        let parsed = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite());
        let Some(v) = parsed else {
            return self.reject(line, column, Reason::NotANumber, raw);
        };
        let v = match vocab::to_canonical(&self.variables[variable as usize], v, unit) {
            Ok(v) => v,
            Err(reason) => return self.reject(line, column, reason.into(), raw),
        };
        if site.is_empty() {
            return self.reject(line, column, Reason::NoSite, raw);
        }
        // A site id whose partition folder name the file system cannot hold: this site's
        // values are quarantined, the file's other sites are taken.
        if !self.site_ids.contains_key(site)
            && !crate::data::name_fits(&String::from_utf8_lossy(site))
        {
            return self.reject(line, column, Reason::SiteIdTooLong, raw);
        }
        let site_id = match self.site_ids.get(site) {
            Some(&id) => id,
            None => {
                let id = self.sites.len() as u32;
                self.sites.push(String::from_utf8_lossy(site).into_owned());
                self.site_ids.insert(site.to_vec(), id);
                id
            }
        };
        let next = self.partitions.len();
        let p = *self.index.entry((site_id, variable)).or_insert(next);
        if p == next {
            self.partitions.push(Partition {
                site: site_id,
                variable,
                rows: Vec::new(),
                seen: Seen::default(),
                seq: 0,
            });
        }
        if !self.partitions[p].seen.insert(t) {
            return self.reject(line, column, Reason::Duplicate, raw);
        }
        self.partitions[p].rows.push((t, v));
        self.stats.observations += 1;
        self.stats.span = Some(match self.stats.span {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        });
        self.buffered += 1;
        if self.buffered >= self.flush_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        for p in &mut self.partitions {
            if p.rows.is_empty() {
                continue;
            }
            let mut rows = std::mem::take(&mut p.rows);
            rows.sort_by_key(|r| r.0);
            self.store.write_part(
                &self.sites[p.site as usize],
                self.variables[p.variable as usize].name(),
                &self.file_id,
                p.seq,
                &rows,
            )?;
            p.seq += 1;
        }
        self.buffered = 0;
        Ok(())
    }

    /// Records what a row says about a site (the first row that names a site is kept;
    /// missing or impossible coordinates are left out).
    pub fn site_facts(&mut self, site: &[u8], text: &SiteText<'_>) {
        let site = String::from_utf8_lossy(site);
        let site = site.trim();
        if site.is_empty() || self.site_facts.contains_key(site) {
            return;
        }
        let num = |b: &[u8]| {
            std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        let (lat, lon) = match (num(text.lat), num(text.lon)) {
            (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => {
                (Some(a), Some(o))
            }
            _ => (None, None),
        };
        let words = |b: &[u8]| {
            let s: String = String::from_utf8_lossy(b)
                .trim()
                .chars()
                .take(200)
                .collect();
            (!s.is_empty()).then_some(s)
        };
        self.site_facts.insert(
            site.to_string(),
            crate::data::SiteFacts {
                name: words(text.name),
                lat,
                lon,
                network: words(text.network),
                licence: words(text.licence),
                attribution: words(text.attribution),
            },
        );
    }

    /// Writes what is buffered and makes the quarantine durable.
    pub fn finish(mut self) -> Result<Finished, SinkError> {
        self.flush()?;
        let path = self.quarantine.path().to_path_buf();
        let q = std::mem::replace(
            &mut self.quarantine,
            Quarantine::new(String::new(), path.clone()),
        );
        let quarantine = q.commit().map_err(StoreError::io(path))?;
        let mut vars: Vec<String> = self
            .partitions
            .iter()
            .map(|p| self.variables[p.variable as usize].name().to_string())
            .collect();
        vars.sort();
        vars.dedup();
        let mut sites: Vec<String> = self
            .partitions
            .iter()
            .map(|p| self.sites[p.site as usize].clone())
            .collect();
        sites.sort();
        sites.dedup();
        // Facts only of sites that hold observations.
        let site_facts = std::mem::take(&mut self.site_facts)
            .into_iter()
            .filter(|(s, _)| sites.binary_search(s).is_ok())
            .collect();
        Ok(Finished {
            stats: std::mem::take(&mut self.stats),
            variables: vars,
            sites,
            quarantine,
            site_facts,
        })
    }
}

#[cfg(test)]
mod seen_tests {
    use super::Seen;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn seen_is_a_set_of_timestamps(ts in proptest::collection::vec(
            prop_oneof![
                (-100_000i64..100_000).prop_map(|h| h * 3600),
                (-1_000_000i64..1_000_000).prop_map(|m| m * 60),
                -100_000_000i64..100_000_000,
                (0i64..5000).prop_map(|s| 1_700_000_000 + s),
            ],
            0..2000,
        )) {
            let mut seen = Seen::default();
            let mut set = std::collections::HashSet::new();
            for t in ts {
                prop_assert_eq!(seen.insert(t), set.insert(t), "{}", t);
            }
        }
    }

    #[test]
    fn memory_follows_the_time_span_not_the_rows() {
        // 3 million one-minute rows (5.7 years), each seen once, then all again.
        let mut seen = Seen::default();
        let start = 1_000_000_020i64 * 60;
        for i in 0..3_000_000i64 {
            assert!(seen.insert(start + i * 60));
        }
        for i in (0..3_000_000i64).step_by(7) {
            assert!(!seen.insert(start + i * 60));
        }
        assert!(seen.bytes() < 1 << 20, "{} bytes", seen.bytes());
        // One-second data: 4 days of it.
        let mut seen = Seen::default();
        for i in 0..345_600i64 {
            assert!(seen.insert(1_700_000_001 + i));
        }
        assert!(seen.bytes() < 64 * 1024, "{} bytes", seen.bytes());
    }
}
