//! # aqcast-published
//!
//! **An API boundary**: what the trainer publishes to object storage, defined once: where each object lives
//! ([`layout`]) and the documents (the registry of a model name, a version's record, the
//! station list, a station's snapshot). The trainer writes them; the edge worker, the
//! dashboard and the npm package only read them. Every document carries a `format`
//! version; a reader refuses a newer one with a message that says to upgrade.
//!
//! Models are content addressed: a version's objects live under its artifact's SHA-256
//! (`models/<name>/<sha256>/model.aqm`), so uploading is idempotent and two publishers
//! never write the same key with different bytes; the registry maps version numbers to
//! hashes, and every reader checks the hash of what it fetched ([`verify`]).
//!
//! These documents are read by code that was built at other times (a worker deployed
//! last month, a dashboard cached in a phone): a change of their shape is a new `format`,
//! never a silent one.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod error;
pub mod forecast;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

pub use error::Error;

/// The format version of every document this build writes and reads, but the snapshots.
pub const FORMAT: u32 = 1;

/// The format version of the station snapshots this build writes (it reads 1 and 2).
/// Format 2 keeps each variable's observations as two arrays, times as differences
/// (`series`), where format 1 had one object per observation (`observations`): a third
/// of the bytes gzipped, for the dashboard's first load.
pub const SNAPSHOT_FORMAT: u32 = 2;

/// Object keys of the published layout (relative to the store's root or prefix).
pub mod layout {
    use alloc::format;
    use alloc::string::String;

    /// The station list.
    pub const STATIONS: &str = "stations.json";
    /// The map under the stations: coasts and borders of their area.
    pub const BASEMAP: &str = "basemap.json";
    /// Folder of the registry documents.
    pub const REGISTRY_DIR: &str = "registry/";
    /// Folder of the run records.
    pub const RUNS_DIR: &str = "runs/";

    /// Whether `key` is an object readers fetch: the station list, the basemap, a
    /// station's snapshot, summary or published forecast, a registry document, or a
    /// version's artifact or report. The store's other contents
    /// (data files, manifests, run records) are not published to readers.
    pub fn is_published(key: &str) -> bool {
        let parts: alloc::vec::Vec<&str> = key.split('/').collect();
        let segment = |s: &str| !s.is_empty() && s != "." && s != "..";
        let sha = |s: &str| {
            s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        match parts.as_slice() {
            [STATIONS] | [BASEMAP] => true,
            ["stations", site, "recent.json" | "summary.json"] => segment(site),
            ["stations", site, "forecasts", doc] => {
                segment(site)
                    && doc
                        .strip_suffix(".json")
                        .is_some_and(|n| super::check_name(n).is_ok())
            }
            ["registry", doc] => doc
                .strip_suffix(".json")
                .is_some_and(|n| super::check_name(n).is_ok()),
            ["models", name, hash, file] => {
                super::check_name(name).is_ok()
                    && sha(hash)
                    && matches!(*file, "model.aqm" | "report.json" | "report.html")
            }
            _ => false,
        }
    }

    /// The registry document of a model name.
    pub fn registry(name: &str) -> String {
        format!("registry/{name}.json")
    }

    /// The folder of one model version: its artifact's SHA-256 names it.
    pub fn version_dir(name: &str, sha256: &str) -> String {
        format!("models/{name}/{sha256}")
    }

    /// The artifact of one model version.
    pub fn model(name: &str, sha256: &str) -> String {
        format!("{}/model.aqm", version_dir(name, sha256))
    }

    /// The training report (JSON) of one model version.
    pub fn report_json(name: &str, sha256: &str) -> String {
        format!("{}/report.json", version_dir(name, sha256))
    }

    /// The training report (HTML) of one model version.
    pub fn report_html(name: &str, sha256: &str) -> String {
        format!("{}/report.html", version_dir(name, sha256))
    }

    /// The snapshot of a station's latest observations.
    pub fn snapshot(site: &str) -> String {
        format!("stations/{}/recent.json", encode_segment(site))
    }

    /// A station's forecast by one model from its latest data, as the worker answers it
    /// ([`crate::forecast`]).
    pub fn forecast(site: &str, model: &str) -> String {
        format!("stations/{}/forecasts/{model}.json", encode_segment(site))
    }

    /// A station's last 12 months against the WHO guidelines.
    pub fn summary(site: &str) -> String {
        format!("stations/{}/summary.json", encode_segment(site))
    }

    /// The record of one training run.
    pub fn run(id: &str) -> String {
        format!("runs/{id}.json")
    }

    /// Encodes a site id (any UTF-8) for one segment of an object key or a folder name:
    /// ASCII letters, digits, `_`, `-` and (not first) `.` stay; every other byte becomes
    /// `%XX`. Reversible by [`decode_segment`].
    pub fn encode_segment(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for (i, b) in s.bytes().enumerate() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0) {
                out.push(b as char);
            } else {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
        out
    }

    /// Decodes [`encode_segment`]; `None` when `s` is not such an encoding.
    pub fn decode_segment(s: &str) -> Option<String> {
        let b = s.as_bytes();
        let mut out = alloc::vec::Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let hex = core::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    }
}

/// Checks that a model name can name objects: 1–64 ASCII letters, digits, `_`, `-` and
/// `.`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(Error::BadName { name: name.into() })
    }
}

/// A tag is 1 to 64 characters (ASCII letters, digits, `_`, `-`, `.`), starting with a
/// letter or digit, and must not read as a version selector (`3`, `v3`, a stage name,
/// `latest`): the same rule as model names, so a tag is safe in a path, a URL and a
/// terminal.
pub fn check_tag(tag: &str) -> Result<(), &'static str> {
    if check_name(tag).is_err() {
        return Err(
            "use 1 to 64 ASCII letters, digits, '_', '-' or '.', starting with a letter or digit",
        );
    }
    let number = tag
        .strip_prefix('v')
        .or_else(|| tag.strip_prefix('V'))
        .unwrap_or(tag);
    if tag.eq_ignore_ascii_case("latest")
        || Stage::parse(&tag.to_ascii_lowercase()).is_some()
        || number.parse::<u32>().is_ok()
    {
        return Err(
            "it would read as a version selector (a number, v3, a stage or latest); choose another",
        );
    }
    Ok(())
}

/// The SHA-256 of `bytes`, lower-case hex: what names a model version.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Checks fetched bytes against the hash the registry lists for them.
pub fn verify(bytes: &[u8], sha256: &str) -> Result<(), Error> {
    let got = sha256_hex(bytes);
    if got == sha256 {
        Ok(())
    } else {
        Err(Error::Corrupt {
            got,
            listed: sha256.into(),
        })
    }
}

/// Where a model version stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Just published.
    Dev,
    /// Being checked before it serves.
    Staging,
    /// Serving (at most one version of a name).
    Production,
    /// Retired (kept, and can be promoted again).
    Archived,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::Dev,
        Stage::Staging,
        Stage::Production,
        Stage::Archived,
    ];

    /// The stage's name as documents and commands spell it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Dev => "dev",
            Stage::Staging => "staging",
            Stage::Production => "production",
            Stage::Archived => "archived",
        }
    }

    /// Reads a stage name.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.name() == s)
    }
}

/// The registry of one model name: `registry/<name>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registry {
    /// Document format ([`FORMAT`]).
    pub format: u32,
    /// The model name.
    pub name: String,
    /// Incremented by every update (what a reader caches against).
    pub revision: u64,
    /// When it was last updated (RFC 3339, UTC).
    pub updated: String,
    /// Every version, oldest first.
    pub versions: Vec<Version>,
}

/// One published model version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// 1, 2, … in order of publication.
    pub version: u32,
    /// SHA-256 of the artifact (lower-case hex): it names the version's folder.
    pub sha256: String,
    /// Size of the artifact in bytes.
    pub bytes: u64,
    /// Object key of the artifact.
    pub model: String,
    /// Object key of the training report (JSON), when one was published.
    #[serde(default)]
    pub report: Option<String>,
    /// Object key of the training report (HTML), when one was published.
    #[serde(default)]
    pub report_html: Option<String>,
    /// SHA-256 of the reports, by key (verified like the artifact).
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
    /// Current stage.
    pub stage: Stage,
    /// Free labels (`best-2003`, `candidate`, …).
    #[serde(default)]
    pub tags: Vec<String>,
    /// `forecast` (a forecasting model) or `predict` (heads over feature rows).
    pub kind: String,
    /// What it predicts (`no2`, `pm2.5`, …); versions registered before aqcast recorded
    /// it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The stations the model serves (a forecasting model's station list).
    #[serde(default)]
    pub stations: Vec<String>,
    /// Its measured quality.
    pub metrics: Metrics,
    /// Where it came from.
    pub provenance: Provenance,
    /// Every stage it has been in, oldest first.
    pub history: Vec<StageChange>,
}

/// A model version's metrics, from its training report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Summary figures (`rmse`, `mae`, `r2`, `skill`, `coverage`, …: means over steps).
    pub summary: BTreeMap<String, f64>,
    /// Per step ahead (a forecasting model's horizons, or a predicting model's heads).
    pub per_step: Vec<StepMetrics>,
}

/// The metrics of one step ahead: the artifact's own [`Score`], as the registry lists it.
pub use aqcast_forecast::artifact::Score as StepMetrics;

impl Metrics {
    /// A version's metrics from its test scores: per step, and their means as the summary.
    pub fn of(scores: &[StepMetrics]) -> Metrics {
        let mut summary = BTreeMap::new();
        let mut mean = |name: &str, f: &dyn Fn(&StepMetrics) -> Option<f64>| {
            let v: Vec<f64> = scores
                .iter()
                .filter_map(f)
                .filter(|x| x.is_finite())
                .collect();
            if !v.is_empty() {
                summary.insert(name.to_string(), v.iter().sum::<f64>() / v.len() as f64);
            }
        };
        mean("rmse", &|s| Some(s.rmse));
        mean("skill", &|s| s.skill);
        mean("coverage", &|s| s.coverage);
        mean("width", &|s| s.width);
        Metrics {
            summary,
            per_step: scores.to_vec(),
        }
    }
}

/// Where a model version came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// What trained it (`aqcast 0.1.0`, `LightGBM v4`, …).
    pub source: String,
    /// When it was trained (RFC 3339), as its metadata says.
    #[serde(default)]
    pub trained: Option<String>,
    /// The task file, and its SHA-256.
    #[serde(default)]
    pub task: Option<String>,
    /// SHA-256 of the task file.
    #[serde(default)]
    pub task_sha256: Option<String>,
    /// The data files it was trained on (name, hash) as the store's manifest lists them.
    #[serde(default)]
    pub data: Vec<DataFile>,
    /// Training parameters.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Who published it (`user@host`).
    pub published_by: String,
    /// When (RFC 3339, UTC).
    pub published: String,
}

/// A training data file, by content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// File name as taken.
    pub name: String,
    /// Its hash, `<algorithm>:<hex>`.
    pub hash: String,
}

impl From<&aqcast_forecast::artifact::DataSource> for DataFile {
    /// The provenance entry of a model's training data file.
    fn from(d: &aqcast_forecast::artifact::DataSource) -> DataFile {
        DataFile {
            name: d.name.clone(),
            hash: format!("sha256:{}", d.sha256),
        }
    }
}

/// One change of stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageChange {
    /// The stage entered.
    pub stage: Stage,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (`user@host`).
    pub by: String,
    /// Why, when said (`promoted: skill 0.18 > 0.16 + 0.01`).
    #[serde(default)]
    pub note: Option<String>,
}

/// Refuses a document of format 0, or newer than `newest` (what this build reads of it).
fn check_format(found: u32, newest: u32, what: &str) -> Result<(), Error> {
    if found > newest || found == 0 {
        Err(Error::Format {
            what: what.into(),
            found,
            newest,
        })
    } else {
        Ok(())
    }
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Invalid(format!("{what}: {e}")))
}

/// Parses a document whose `format` is read first, so that one of a newer format is
/// refused as such (not as a document that does not parse).
fn parse_format<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    newest: u32,
    what: &str,
) -> Result<T, Error> {
    #[derive(Deserialize)]
    struct Format {
        format: u32,
    }
    let f: Format = parse(bytes, what)?;
    check_format(f.format, newest, what)?;
    parse(bytes, what)
}

fn to_json<T: Serialize>(doc: &T) -> Vec<u8> {
    // Serialising these plain structs cannot fail (string keys, no custom serializers);
    // a NaN metric becomes null.
    let mut out = serde_json::to_vec_pretty(doc).unwrap_or_default();
    out.push(b'\n');
    out
}

impl Registry {
    /// An empty registry for `name`.
    pub fn new(name: &str, now: &str) -> Registry {
        Registry {
            format: FORMAT,
            name: name.to_string(),
            revision: 0,
            updated: now.to_string(),
            versions: Vec::new(),
        }
    }

    /// Reads and checks a registry document.
    pub fn from_json(bytes: &[u8]) -> Result<Registry, Error> {
        let r: Registry = parse_format(bytes, FORMAT, "registry document")?;
        r.validate()?;
        Ok(r)
    }

    /// The document's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }

    /// Checks the invariants: a valid name, versions numbered 1, 2, … in order, distinct
    /// hashes of 64 hex digits, at most one version in production, keys in the layout.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Invalid(format!("registry {:?}: {m}", self.name)));
        check_name(&self.name)?;
        let mut production = 0;
        for (i, v) in self.versions.iter().enumerate() {
            if v.version as usize != i + 1 {
                return bad(format!("version {} is at position {}", v.version, i + 1));
            }
            if v.sha256.len() != 64 || !v.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return bad(format!(
                    "version {}: {:?} is not a SHA-256",
                    v.version, v.sha256
                ));
            }
            if v.model != layout::model(&self.name, &v.sha256) {
                return bad(format!(
                    "version {}: key {:?} is not its layout's",
                    v.version, v.model
                ));
            }
            if self.versions[..i].iter().any(|w| w.sha256 == v.sha256) {
                return bad(format!("version {} repeats an earlier artifact", v.version));
            }
            if v.stage == Stage::Production {
                production += 1;
            }
        }
        if production > 1 {
            return bad(format!("{production} versions in production"));
        }
        Ok(())
    }

    /// A version by number.
    pub fn version(&self, version: u32) -> Option<&Version> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// The version with this artifact hash.
    pub fn by_sha(&self, sha256: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.sha256 == sha256)
    }

    /// The latest version, or the latest in `stage`.
    pub fn latest(&self, stage: Option<Stage>) -> Option<&Version> {
        self.versions
            .iter()
            .rev()
            .find(|v| stage.is_none_or(|s| v.stage == s))
    }

    /// Resolves a selector: a version number (`3`, `v3`), a stage name (its latest
    /// version), a tag (its latest version) or `latest`.
    pub fn resolve(&self, selector: &str) -> Result<&Version, Error> {
        let s = selector.trim();
        let number = s.strip_prefix('v').unwrap_or(s);
        let found = if let Ok(n) = number.parse::<u32>() {
            self.version(n)
        } else if s == "latest" {
            self.latest(None)
        } else if let Some(stage) = Stage::parse(s) {
            self.latest(Some(stage))
        } else {
            self.versions
                .iter()
                .rev()
                .find(|v| v.tags.iter().any(|t| t == s))
        };
        found.ok_or_else(|| Error::NoSuchVersion {
            model: self.name.clone(),
            selector: s.into(),
            versions: self.versions.len(),
        })
    }

    fn no_version(&self, version: u32) -> Error {
        Error::NoSuchVersion {
            model: self.name.clone(),
            selector: version.to_string(),
            versions: self.versions.len(),
        }
    }

    /// Adds a version in `stage` (numbered after the last) and returns its number; a
    /// version with the same artifact keeps its number and is returned unchanged.
    pub fn add(&mut self, mut version: Version, now: &str) -> u32 {
        if let Some(v) = self.by_sha(&version.sha256) {
            return v.version;
        }
        let n = self.versions.last().map_or(1, |v| v.version + 1);
        version.version = n;
        let stage = version.stage;
        if stage == Stage::Production {
            self.retire_production(now, &version.provenance.published_by, n);
        }
        self.versions.push(version);
        self.touch(now);
        n
    }

    /// Moves a version to `stage`. Entering production retires the version that served
    /// (it goes to `archived`, from where it can be promoted again: a rollback).
    pub fn promote(
        &mut self,
        version: u32,
        stage: Stage,
        now: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<(), Error> {
        let i = self
            .versions
            .iter()
            .position(|v| v.version == version)
            .ok_or_else(|| self.no_version(version))?;
        if self.versions[i].stage == stage {
            return Ok(());
        }
        if stage == Stage::Production {
            self.retire_production(now, by, version);
        }
        let v = &mut self.versions[i];
        v.stage = stage;
        v.history.push(StageChange {
            stage,
            at: now.to_string(),
            by: by.to_string(),
            note: note.map(ToString::to_string),
        });
        self.touch(now);
        Ok(())
    }

    /// The one promotion rule, as the CLI and the worker apply it: resolves `selector`
    /// *before* the change (so `{"version": "production", "stage": "staging"}` moves the
    /// version that served), moves it to `stage` ([`Registry::promote`]) and checks the
    /// result. Returns the version's number.
    pub fn promote_selected(
        &mut self,
        selector: &str,
        stage: Stage,
        now: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<u32, Error> {
        let version = self.resolve(selector)?.version;
        self.promote(version, stage, now, by, note)?;
        self.validate()?;
        Ok(version)
    }

    /// Adds (or with `remove`, removes) a tag on a version.
    pub fn tag(&mut self, version: u32, tag: &str, remove: bool, now: &str) -> Result<bool, Error> {
        let bad = |why| {
            Err(Error::BadTag {
                tag: tag.into(),
                why,
            })
        };
        // Removing a tag an older aqcast let in is always allowed.
        if !remove {
            check_tag(tag).map_err(|why| Error::BadTag {
                tag: tag.into(),
                why,
            })?;
        } else if tag.is_empty() {
            return bad("give the tag to remove");
        }
        let missing = self.no_version(version);
        let v = self
            .versions
            .iter_mut()
            .find(|v| v.version == version)
            .ok_or(missing)?;
        let had = v.tags.iter().any(|t| t == tag);
        if remove && had {
            v.tags.retain(|t| t != tag);
        } else if !remove && !had {
            v.tags.push(tag.to_string());
        } else {
            return Ok(false);
        }
        self.touch(now);
        Ok(true)
    }

    fn retire_production(&mut self, now: &str, by: &str, successor: u32) {
        for v in self
            .versions
            .iter_mut()
            .filter(|v| v.stage == Stage::Production)
        {
            v.stage = Stage::Archived;
            v.history.push(StageChange {
                stage: Stage::Archived,
                at: now.to_string(),
                by: by.to_string(),
                note: Some(format!("replaced in production by version {successor}")),
            });
        }
    }

    fn touch(&mut self, now: &str) {
        self.revision += 1;
        self.updated = now.to_string();
    }
}

/// How old a station's latest measurement may be for it to say what the air is like now:
/// 3 hours for hourly (or finer) data, 2 days for daily data.
pub fn recent_within(step_seconds: i64) -> i64 {
    if step_seconds >= 86_400 {
        2 * 86_400
    } else {
        3 * 3_600
    }
}

/// Whether a measurement at `data_time` of data every `step_seconds` is recent at `now`
/// (all Unix seconds): what "now" may say ([`recent_within`]).
pub fn is_recent(data_time: i64, step_seconds: i64, now: i64) -> bool {
    now - data_time <= recent_within(step_seconds)
}

impl Station {
    /// Whether its latest measurement is recent at `now` ([`is_recent`]; a station that
    /// does not say how often it measures is taken as hourly, one without data is not).
    pub fn is_recent(&self, now: i64) -> bool {
        self.data_time
            .is_some_and(|t| is_recent(t, self.step.unwrap_or(3_600), now))
    }
}

/// The station list: `stations.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stations {
    /// Document format ([`FORMAT`]).
    pub format: u32,
    /// When it was written (RFC 3339, UTC).
    pub generated: String,
    /// Every station with published data, by id.
    pub stations: Vec<Station>,
    /// The sizeable places near the stations, so that a reader can find stations by the
    /// name of a place ([`geo::NEAR_KM`]); empty in lists written before they were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<Place>,
}

/// A place people live in (a town or city), from a gazetteer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Its name, as the gazetteer spells it.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Latitude (degrees north).
    pub lat: f64,
    /// Longitude (degrees east).
    pub lon: f64,
}

/// Where a station is, in words: the nearest sizeable place, how far and which way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Near {
    /// The place's name.
    pub place: String,
    /// Its ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The distance from the place to the station (km, great circle, one decimal).
    pub km: f64,
    /// Which way the station lies from the place: one of the 8 compass points (`N`, `NE`, …).
    pub bearing: String,
}

impl Near {
    /// "Kiel" within 5 km, else "23 km SW of Kiel".
    pub fn words(&self) -> String {
        if self.km < 5.0 {
            self.place.clone()
        } else {
            format!(
                "{} km {} of {}",
                libm::round(self.km) as i64,
                self.bearing,
                self.place
            )
        }
    }
}

/// Distances and directions on the Earth (a sphere of radius 6,371 km).
pub mod geo {
    /// How far from a station a place is still "near" it: the station list carries the
    /// places within this distance of a station, and a station is named after the
    /// nearest place within it.
    pub const NEAR_KM: f64 = 50.0;

    /// What the station list's place names owe to their source (the gazetteer
    /// `aqcast stations publish` takes them from).
    pub const PLACES_CREDIT: &str = "Place names: GeoNames (geonames.org), CC BY 4.0.";

    /// The great-circle distance between two points (degrees), in km (haversine).
    pub fn km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
        let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
        let dp = p2 - p1;
        let dl = (lon2 - lon1).to_radians();
        let h = libm::pow(libm::sin(dp / 2.0), 2.0)
            + libm::cos(p1) * libm::cos(p2) * libm::pow(libm::sin(dl / 2.0), 2.0);
        6_371.0 * 2.0 * libm::asin(libm::sqrt(h).min(1.0))
    }

    /// Which way the second point lies from the first: one of the 8 compass points.
    pub fn compass(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> &'static str {
        let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
        let dl = (lon2 - lon1).to_radians();
        let y = libm::sin(dl) * libm::cos(p2);
        let x = libm::cos(p1) * libm::sin(p2) - libm::sin(p1) * libm::cos(p2) * libm::cos(dl);
        let deg = libm::atan2(y, x).to_degrees();
        let deg = if deg < 0.0 { deg + 360.0 } else { deg };
        const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
        POINTS[((deg + 22.5) / 45.0) as usize % 8]
    }
}

/// One station of the station list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Station {
    /// Site id, as the data names it.
    pub id: String,
    /// A human name, when the data or a station file gives one.
    #[serde(default)]
    pub name: Option<String>,
    /// Latitude (degrees north), when known.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude (degrees east), when known.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Variables measured there (pollutant ids and weather).
    pub pollutants: Vec<String>,
    /// The model names that forecast it.
    pub models: Vec<String>,
    /// Object key of its snapshot.
    pub snapshot: String,
    /// Its latest observation (Unix seconds, UTC).
    #[serde(default)]
    pub data_time: Option<i64>,
    /// How often it measures (seconds: 3,600 hourly, 86,400 daily), which says how old
    /// its latest measurement may be and still be "now" ([`recent_within`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i64>,
    /// The AQI now of what its first model forecasts, on that model's scale (so a map can
    /// colour every station without loading its data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Latest>,
    /// Where its data come from and whom to credit, where the source says (fetched
    /// data: OpenAQ, AirNow, EEA, UK-AIR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Credit>,
    /// The nearest sizeable place, when the station has coordinates and one is within
    /// [`geo::NEAR_KM`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Near>,
}

/// Where a station's data come from: shown wherever they are (the licences of OpenAQ,
/// EEA and UK-AIR ask for attribution).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Credit {
    /// The network and the body that runs it (`OpenAQ: AirNow`, `UK-AIR (AURN)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The data's licence (`CC BY 4.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Whom to credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

impl Credit {
    /// The credit, if the source said anything.
    pub fn of(
        network: Option<String>,
        licence: Option<String>,
        attribution: Option<String>,
    ) -> Option<Credit> {
        let c = Credit {
            network,
            licence,
            attribution,
        };
        (c != Credit::default()).then_some(c)
    }
}

/// The AQI of a station's latest measurements ([`aqcast_forecast::aqi::current`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latest {
    /// The pollutant.
    pub pollutant: aqcast_forecast::pollutant::Pollutant,
    /// When it was measured (Unix seconds, UTC): the latest measurement included.
    pub time: i64,
    /// The value, in `unit`.
    pub value: f64,
    /// How the value was averaged (the latest measurement, a NowCast, a mean).
    #[serde(default)]
    pub basis: aqcast_forecast::aqi::current::Basis,
    /// Its unit.
    pub unit: aqcast_forecast::pollutant::Unit,
    /// The AQI scale.
    pub scale: aqcast_forecast::aqi::Scale,
    /// The AQI: the EPA index, or the EEA level number (1–6).
    pub aqi: u32,
    /// The category, best first (index into the scale's categories).
    pub category: u8,
}

impl Stations {
    /// Reads and checks a station list.
    pub fn from_json(bytes: &[u8]) -> Result<Stations, Error> {
        let s: Stations = parse(bytes, "station list")?;
        check_format(s.format, FORMAT, "station list")?;
        Ok(s)
    }

    /// The document's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }

    /// A station by id.
    pub fn get(&self, id: &str) -> Option<&Station> {
        self.stations.iter().find(|s| s.id == id)
    }
}

/// The map under the stations: `basemap.json`, the coasts and land borders of the
/// stations' area, cut from a world map by the trainer, so that a reader draws a map
/// with no map service (and offline).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Basemap {
    /// Document format ([`FORMAT`]).
    pub format: u32,
    /// The area it covers: west, south, east, north (degrees).
    pub bbox: [f64; 4],
    /// Coastlines: each a line of (longitude, latitude) points.
    pub coasts: Vec<Vec<[f64; 2]>>,
    /// Land borders between countries, likewise.
    pub borders: Vec<Vec<[f64; 2]>>,
    /// Whom the map owes (its source and licence).
    pub credit: String,
}

impl Basemap {
    /// Reads and checks a basemap.
    pub fn from_json(bytes: &[u8]) -> Result<Basemap, Error> {
        let b: Basemap = parse(bytes, "basemap")?;
        check_format(b.format, FORMAT, "basemap")?;
        Ok(b)
    }

    /// The document's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }
}

/// A station's record against the WHO 2021 guidelines: `stations/<site>/summary.json`,
/// the last 12 calendar months of each pollutant the WHO gives levels for (computed by
/// [`aqcast_forecast::who::months`] from the whole record), so that a reader answers
/// "how often was it over?" without the raw series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Document format ([`FORMAT`]).
    pub format: u32,
    /// Site id.
    pub site: String,
    /// When it was written (RFC 3339, UTC).
    pub generated: String,
    /// One entry per pollutant measured there that has a WHO guideline.
    pub pollutants: Vec<PollutantMonths>,
}

/// One pollutant's months in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PollutantMonths {
    /// The variable (`pm10`, `no2`…).
    pub variable: String,
    /// Its WHO 2021 guideline levels; the months' values are in their unit.
    pub guideline: aqcast_forecast::who::Guideline,
    /// The last 12 months up to its latest value, oldest first.
    pub months: Vec<aqcast_forecast::who::Month>,
}

impl Summary {
    /// Reads and checks a summary.
    pub fn from_json(bytes: &[u8]) -> Result<Summary, Error> {
        let s: Summary = parse(bytes, "station summary")?;
        check_format(s.format, FORMAT, "station summary")?;
        Ok(s)
    }

    /// The document's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        to_json(self)
    }
}

/// The latest observations of a station, as many as its models' pipelines read before a
/// forecast's origin: `stations/<site>/recent.json`. Its observations go as they are to
/// the core's forecast (and to the npm package's `model.forecast`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SnapshotDoc", into = "SnapshotDoc")]
pub struct Snapshot {
    /// Document format ([`FORMAT`]).
    pub format: u32,
    /// Site id.
    pub site: String,
    /// When it was written (RFC 3339, UTC).
    pub generated: String,
    /// The latest observation (Unix seconds, UTC).
    pub data_time: i64,
    /// The first time it covers (Unix seconds, UTC).
    pub start: i64,
    /// The unit of each variable's values (the store's canonical units).
    pub units: BTreeMap<String, String>,
    /// The observations, by variable then time.
    pub observations: Vec<Observation>,
    /// Per model serving the station, its bands as they have tracked the station's
    /// misses up to the latest origin ([`aqcast_forecast::tracking`]): replaying every origin since
    /// training takes the full record, which a snapshot does not hold.
    pub tracked: Vec<TrackedBands>,
}

/// A model version's tracked bands at one station.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackedBands {
    /// The model's registry name.
    pub model: String,
    /// The SHA-256 of the version's artifact: the bands hold for that version only.
    pub sha256: String,
    /// The shifts, the origin they hold at and the outcomes they rest on.
    pub bands: aqcast_forecast::tracking::Tracked,
}

impl Snapshot {
    /// The tracked bands of a model version, if the snapshot holds them.
    pub fn tracked_for(
        &self,
        model: &str,
        sha256: &str,
    ) -> Option<&aqcast_forecast::tracking::Tracked> {
        self.tracked
            .iter()
            .find(|t| t.model == model && t.sha256 == sha256)
            .map(|t| &t.bands)
    }
}

/// A snapshot as its document holds it: format 1's `observations` or format 2's `series`.
#[derive(Serialize, Deserialize)]
struct SnapshotDoc {
    format: u32,
    site: String,
    generated: String,
    data_time: i64,
    start: i64,
    units: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    observations: Vec<Observation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    series: Vec<SeriesDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tracked: Vec<TrackedBands>,
}

/// A run of one variable's observations: `times[0]` in Unix seconds, then each time as
/// its difference from the one before; `values` in the variable's unit.
#[derive(Serialize, Deserialize)]
struct SeriesDoc {
    variable: String,
    times: Vec<i64>,
    values: Vec<f64>,
}

impl From<Snapshot> for SnapshotDoc {
    fn from(s: Snapshot) -> SnapshotDoc {
        let mut series: Vec<SeriesDoc> = Vec::new();
        let mut last = 0i64;
        for o in s.observations {
            // A difference too large for an i64 starts a new run from the time itself.
            match (series.last_mut(), o.time.checked_sub(last)) {
                (Some(run), Some(d)) if run.variable == o.variable => {
                    run.times.push(d);
                    run.values.push(o.value);
                }
                _ => series.push(SeriesDoc {
                    variable: o.variable,
                    times: alloc::vec![o.time],
                    values: alloc::vec![o.value],
                }),
            }
            last = o.time;
        }
        SnapshotDoc {
            format: s.format,
            site: s.site,
            generated: s.generated,
            data_time: s.data_time,
            start: s.start,
            units: s.units,
            observations: Vec::new(),
            series,
            tracked: s.tracked,
        }
    }
}

impl TryFrom<SnapshotDoc> for Snapshot {
    type Error = String;

    fn try_from(d: SnapshotDoc) -> Result<Snapshot, String> {
        let mut observations = d.observations;
        for s in d.series {
            if s.times.len() != s.values.len() {
                return Err(format!(
                    "series of {:?} has {} times but {} values",
                    s.variable,
                    s.times.len(),
                    s.values.len()
                ));
            }
            let mut t = 0i64;
            for (i, (&dt, &value)) in s.times.iter().zip(&s.values).enumerate() {
                t = if i == 0 { Some(dt) } else { t.checked_add(dt) }.ok_or_else(|| {
                    format!("series of {:?}: time {i} is out of range", s.variable)
                })?;
                observations.push(Observation {
                    variable: s.variable.clone(),
                    time: t,
                    value,
                });
            }
        }
        Ok(Snapshot {
            format: d.format,
            site: d.site,
            generated: d.generated,
            data_time: d.data_time,
            start: d.start,
            units: d.units,
            observations,
            tracked: d.tracked,
        })
    }
}

/// One observation of a snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Variable id.
    pub variable: String,
    /// Unix seconds, UTC.
    pub time: i64,
    /// Value in the variable's unit.
    pub value: f64,
}

impl Snapshot {
    /// Reads and checks a snapshot.
    pub fn from_json(bytes: &[u8]) -> Result<Snapshot, Error> {
        let s: Snapshot = parse(bytes, "station snapshot")?;
        check_format(s.format, SNAPSHOT_FORMAT, "station snapshot")?;
        Ok(s)
    }

    /// The document's bytes: compact JSON, unlike the other documents, as it is mostly
    /// long arrays of numbers that a person does not read line by line.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The observations of `pollutant`, oldest first, converted from the snapshot's unit
    /// to `unit` (none when the snapshot names no unit it can convert from).
    pub fn measured(
        &self,
        pollutant: aqcast_forecast::pollutant::Pollutant,
        unit: aqcast_forecast::pollutant::Unit,
    ) -> Vec<(i64, f64)> {
        let Some(from) = self
            .units
            .get(pollutant.id())
            .and_then(|u| u.parse::<aqcast_forecast::pollutant::Unit>().ok())
        else {
            return Vec::new();
        };
        let mut out: Vec<(i64, f64)> = self
            .observations
            .iter()
            .filter(|o| o.variable == pollutant.id())
            .filter_map(|o| Some((o.time, pollutant.convert(o.value, from, unit).ok()?)))
            .collect();
        out.sort_by_key(|&(t, _)| t);
        out
    }

    /// How often the station measures (seconds): per variable, the median time between
    /// its consecutive observations (so that one early reading does not make a daily
    /// series hourly), and the shortest of those; none with fewer than two of a variable.
    pub fn step(&self) -> Option<i64> {
        let mut times: Vec<(&str, i64)> = self
            .observations
            .iter()
            .map(|o| (o.variable.as_str(), o.time))
            .collect();
        times.sort_unstable();
        times
            .chunk_by(|a, b| a.0 == b.0)
            .filter_map(|run| {
                let mut gaps: Vec<i64> = run
                    .windows(2)
                    .filter(|w| w[1].1 > w[0].1)
                    .filter_map(|w| w[1].1.checked_sub(w[0].1))
                    .collect();
                gaps.sort_unstable();
                gaps.get(gaps.len() / 2).copied()
            })
            .min()
    }

    /// Adds observations that arrived after the snapshot was published (pushed to the
    /// edge worker), in the canonical unit of their variable: one where the snapshot has
    /// no value for its variable and time (a published value stays), none before the
    /// snapshot's start. The latest observation moves with them. Returns how many were
    /// added.
    pub fn merge(&mut self, pushed: &[Observation]) -> usize {
        let have: alloc::collections::BTreeSet<(&str, i64)> = self
            .observations
            .iter()
            .map(|o| (o.variable.as_str(), o.time))
            .collect();
        let mut new: Vec<Observation> = Vec::new();
        let mut seen = alloc::collections::BTreeSet::new();
        for o in pushed {
            if o.time < self.start
                || !o.value.is_finite()
                || have.contains(&(o.variable.as_str(), o.time))
                || !seen.insert((o.variable.clone(), o.time))
            {
                continue;
            }
            new.push(o.clone());
        }
        if new.is_empty() {
            return 0;
        }
        for o in &new {
            self.data_time = self.data_time.max(o.time);
            if !self.units.contains_key(&o.variable) {
                if let Some(u) = aqcast_forecast::variable::named(&o.variable)
                    .as_ref()
                    .and_then(aqcast_forecast::variable::Variable::unit)
                {
                    self.units.insert(o.variable.clone(), u.into());
                }
            }
        }
        let added = new.len();
        self.observations.extend(new);
        // By variable then time, as published.
        self.observations
            .sort_by(|a, b| a.variable.cmp(&b.variable).then(a.time.cmp(&b.time)));
        added
    }

    /// The observations as the pipeline takes them, one series per variable.
    pub fn series(&self) -> Vec<aqcast_forecast::pipeline::Series> {
        let mut by: BTreeMap<&str, aqcast_forecast::pipeline::Series> = BTreeMap::new();
        for o in &self.observations {
            let s = by.entry(o.variable.as_str()).or_insert_with(|| {
                aqcast_forecast::pipeline::Series {
                    variable: o.variable.clone(),
                    ..Default::default()
                }
            });
            s.times.push(o.time);
            s.values.push(o.value);
        }
        by.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let obs = |variable: &str, time: i64, value: f64| Observation {
            variable: variable.into(),
            time,
            value,
        };
        Snapshot {
            format: SNAPSHOT_FORMAT,
            site: "DEBY047".into(),
            generated: "2026-11-30T17:00:00Z".into(),
            data_time: 7200,
            start: -3600,
            units: [("no2".to_string(), "ppb".to_string())].into(),
            observations: alloc::vec![
                obs("ws", 0, 2.5),
                obs("ws", 3600, 1e-300),
                obs("no2", 3600, 33.2),
                obs("no2", 7200, -0.0),
                obs("no2", 10800, 41.0),
                // Out of order and back again: still read back as written.
                obs("ws", 1800, 3.0),
                obs("no2", -5, 1.0),
                obs("no2", i64::MAX, 2.0),
                obs("no2", i64::MIN, 2.0),
            ],
            tracked: alloc::vec![TrackedBands {
                model: "no2-72h".into(),
                sha256: "ab".repeat(32),
                bands: aqcast_forecast::tracking::Tracked {
                    shifts: alloc::vec![
                        aqcast_forecast::tracking::Shift {
                            lower: 1.5,
                            upper: -0.25
                        };
                        3
                    ],
                    origin: 7200,
                    outcomes: 12,
                },
            }],
        }
    }

    #[test]
    fn snapshots_round_trip_and_format_1_still_reads() {
        let s = snapshot();
        let bytes = s.to_json();
        let text = core::str::from_utf8(&bytes).unwrap();
        assert!(
            text.contains("\"series\"") && !text.contains("\"observations\""),
            "{text}"
        );
        let back = Snapshot::from_json(&bytes).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.observations[3].value.to_bits(), (-0.0f64).to_bits());
        // The tracked bands of a version, and of no other.
        assert_eq!(
            back.tracked_for("no2-72h", &"ab".repeat(32))
                .map(|t| t.outcomes),
            Some(12)
        );
        assert!(back.tracked_for("no2-72h", &"cd".repeat(32)).is_none());
        // A format 1 document (one object per observation) reads the same.
        let v1 = alloc::format!(
            r#"{{"format":1,"site":"DEBY047","generated":"2026-11-30T17:00:00Z","data_time":7200,"start":-3600,"units":{{"no2":"ppb"}},"observations":{}}}"#,
            serde_json::to_string(&s.observations).unwrap()
        );
        let old = Snapshot::from_json(v1.as_bytes()).unwrap();
        assert_eq!(old.observations, s.observations);
        assert_eq!(old.format, 1);
    }

    #[test]
    fn damaged_or_newer_snapshots_are_refused_clearly() {
        let text = String::from_utf8(snapshot().to_json()).unwrap();
        let cut = text.replacen("2.5,", "", 1);
        let e = Snapshot::from_json(cut.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("2 times but 1 values"), "{e}");
        let newer = text.replacen("\"format\":2", "\"format\":3", 1);
        let e = Snapshot::from_json(newer.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains("format 3, newer"), "{e}");
        let far = r#"{"format":2,"site":"x","generated":"","data_time":0,"start":0,"units":{},
            "series":[{"variable":"ws","times":[9223372036854775807,1],"values":[1,2]}]}"#;
        let e = Snapshot::from_json(far.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("out of range"), "{e}");
    }

    #[test]
    fn only_what_readers_fetch_is_published() {
        let sha = "a".repeat(64);
        for key in [
            "stations.json".to_string(),
            "basemap.json".into(),
            "stations/DEBY047/recent.json".into(),
            "stations/DEBY047/summary.json".into(),
            "stations/DEBY047/forecasts/no2-72h.json".into(),
            "registry/no2-72h.json".into(),
            format!("models/no2-72h/{sha}/model.aqm"),
            format!("models/no2-72h/{sha}/report.html"),
        ] {
            assert!(layout::is_published(&key), "{key}");
        }
        for key in [
            "manifest.json".to_string(),
            "data/aurn/no2/part-0.parquet".into(),
            "runs/2026.json".into(),
            "stations/../manifest.json".into(),
            "stations//recent.json".into(),
            "stations/DEBY047/other.json".into(),
            "stations/../summary.json".into(),
            "stations/DEBY047/forecasts/../x.json".into(),
            "stations/DEBY047/forecasts/no2.txt".into(),
            "stations/../forecasts/no2.json".into(),
            "registry/../x.json".into(),
            format!("models/no2-72h/{}/model.aqm", "A".repeat(64)),
            format!("models/no2-72h/{sha}/other.bin"),
            "".into(),
        ] {
            assert!(!layout::is_published(&key), "{key}");
        }
    }

    fn version(sha: &str, stage: Stage) -> Version {
        Version {
            target: None,
            version: 0,
            sha256: sha.into(),
            bytes: 1,
            model: layout::model("no2", sha),
            report: None,
            report_html: None,
            hashes: BTreeMap::new(),
            stage,
            tags: Vec::new(),
            kind: "forecast".into(),
            stations: Vec::new(),
            metrics: Metrics::default(),
            provenance: Provenance::default(),
            history: Vec::new(),
        }
    }

    #[test]
    fn promotion_keeps_one_version_in_production() {
        let mut r = Registry::new("no2", "t0");
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        assert_eq!(r.add(version(&a, Stage::Dev), "t1"), 1);
        assert_eq!(r.add(version(&b, Stage::Dev), "t2"), 2);
        assert_eq!(
            r.add(version(&a, Stage::Dev), "t3"),
            1,
            "same artifact, same version"
        );
        r.promote(1, Stage::Production, "t4", "me", None).unwrap();
        r.promote(2, Stage::Production, "t5", "me", None).unwrap();
        assert_eq!(r.resolve("production").unwrap().version, 2);
        assert_eq!(r.version(1).unwrap().stage, Stage::Archived);
        r.validate().unwrap();
        let back = Registry::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.revision, 4);
    }

    #[test]
    fn selectors_and_tags() {
        let mut r = Registry::new("no2", "t0");
        r.add(version(&"1".repeat(64), Stage::Dev), "t");
        r.add(version(&"2".repeat(64), Stage::Staging), "t");
        r.tag(1, "best-2003", false, "t").unwrap();
        assert_eq!(r.resolve("v2").unwrap().version, 2);
        assert_eq!(r.resolve("latest").unwrap().version, 2);
        assert_eq!(r.resolve("staging").unwrap().version, 2);
        assert_eq!(r.resolve("best-2003").unwrap().version, 1);
        assert!(r.resolve("production").is_err());
        assert!(r.tag(1, "production", false, "t").is_err());
        assert!(r.tag(9, "x", false, "t").is_err());
        for bad in [
            "v2",
            "V2",
            "2",
            "Latest",
            "../x",
            "/abs",
            "a\u{200b}b",
            "a\u{1b}[31m",
            "",
            "-x",
        ] {
            assert!(
                r.tag(1, bad, false, "t").is_err(),
                "{bad:?} was taken as a tag"
            );
        }
        assert_eq!(
            r.tag(1, "best-2003", false, "t"),
            Ok(false),
            "already there"
        );
        assert_eq!(r.tag(1, "nope", true, "t"), Ok(false), "nothing to remove");
        assert_eq!(r.tag(1, "best-2003", true, "t"), Ok(true));
    }

    #[test]
    fn newer_formats_and_broken_documents_are_refused() {
        let mut r = Registry::new("no2", "t0");
        r.format = FORMAT + 1;
        let e = Registry::from_json(&r.to_json()).unwrap_err().to_string();
        assert!(e.contains("upgrade aqcast"), "{e}");
        assert!(Registry::from_json(b"{\"format\":1}").is_err());
        let mut r = Registry::new("no2", "t0");
        r.add(version(&"1".repeat(64), Stage::Dev), "t");
        r.versions[0].model = "models/other/x".into();
        assert!(Registry::from_json(&r.to_json()).is_err());
        assert!(check_name("../x").is_err());
        assert!(check_name("no2-72h").is_ok());
    }

    #[test]
    fn distances_and_directions_on_the_sphere() {
        // Berlin to Munich: 504 km, to the south-south-west.
        let d = geo::km(52.52, 13.405, 48.137, 11.575);
        assert!((500.0..510.0).contains(&d), "{d}");
        assert_eq!(geo::compass(52.52, 13.405, 48.137, 11.575), "S");
        assert_eq!(geo::compass(0.0, 0.0, 1.0, 1.0), "NE");
        assert_eq!(geo::compass(0.0, 0.0, 0.0, -1.0), "W");
        assert_eq!(geo::compass(0.0, 0.0, -1.0, -1.0), "SW");
        assert_eq!(geo::km(10.0, 20.0, 10.0, 20.0), 0.0);
        let near = |km: f64| Near {
            place: "Kiel".into(),
            country: "DE".into(),
            km,
            bearing: "SW".into(),
        };
        assert_eq!(near(4.9).words(), "Kiel");
        assert_eq!(near(23.4).words(), "23 km SW of Kiel");
    }

    #[test]
    fn segments_round_trip() {
        for s in ["DEBY047", "a b/c", "站点", ".hidden", "x%y"] {
            let e = layout::encode_segment(s);
            assert!(!e.contains('/') && !e.starts_with('.'), "{e}");
            assert_eq!(layout::decode_segment(&e).as_deref(), Some(s));
        }
    }

    #[test]
    fn verify_catches_a_changed_byte() {
        let h = sha256_hex(b"model");
        verify(b"model", &h).unwrap();
        assert!(verify(b"modem", &h).is_err());
    }

    #[test]
    fn pushed_observations_join_a_snapshot_without_replacing_what_was_published() {
        let mut s = snapshot();
        let obs = |variable: &str, time: i64, value: f64| Observation {
            variable: variable.into(),
            time,
            value,
        };
        let before = s.observations.len();
        let added = s.merge(&[
            obs("no2", 3600, 99.0),  // published already: kept as published
            obs("no2", 14400, 44.0), // new
            obs("no2", 14400, 45.0), // the same time twice: the first
            obs("o3", 14400, 30.0),  // a new variable, with its canonical unit
            obs("no2", -7200, 1.0),  // before the snapshot's start
        ]);
        assert_eq!(added, 2);
        assert_eq!(s.observations.len(), before + 2);
        assert_eq!(s.data_time, 14400);
        assert_eq!(s.units.get("o3").map(String::as_str), Some("ppb"));
        let no2 = s
            .series()
            .into_iter()
            .find(|x| x.variable == "no2")
            .unwrap();
        let at = |t| {
            no2.times
                .iter()
                .position(|&x| x == t)
                .map(|i| no2.values[i])
        };
        assert_eq!((at(3600), at(14400)), (Some(33.2), Some(44.0)));
        assert_eq!(s.merge(&[obs("no2", 14400, 44.0)]), 0);
    }

    #[test]
    fn now_is_three_hours_for_hourly_data_and_two_days_for_daily() {
        let t = 1_765_000_000;
        assert!(is_recent(t, 3_600, t + 3 * 3_600));
        assert!(!is_recent(t, 3_600, t + 3 * 3_600 + 1));
        assert!(is_recent(t, 900, t + 3 * 3_600));
        assert!(is_recent(t, 86_400, t + 2 * 86_400));
        assert!(!is_recent(t, 86_400, t + 2 * 86_400 + 1));
        let mut st = Station {
            id: "A".into(),
            name: None,
            lat: None,
            lon: None,
            pollutants: vec![],
            models: vec![],
            snapshot: layout::snapshot("A"),
            data_time: None,
            step: None,
            latest: None,
            source: None,
            near: None,
        };
        assert!(!st.is_recent(t), "no data is not recent");
        st.data_time = Some(t - 86_400);
        assert!(!st.is_recent(t), "taken as hourly");
        st.step = Some(86_400);
        assert!(st.is_recent(t));
    }

    #[test]
    fn a_snapshot_knows_how_often_its_station_measures() {
        let at = |variable: &str, times: &[i64]| -> Vec<Observation> {
            times
                .iter()
                .map(|&time| Observation {
                    variable: variable.into(),
                    time,
                    value: 1.0,
                })
                .collect()
        };
        let mut s = snapshot();
        s.observations = at("pm10", &[0, 86_400, 2 * 86_400, 4 * 86_400]);
        s.observations.extend(at("no2", &[0, 2 * 86_400]));
        assert_eq!(s.step(), Some(86_400));
        s.observations
            .extend(at("o3", &[5 * 3_600, 6 * 3_600, 8 * 3_600, 9 * 3_600]));
        assert_eq!(s.step(), Some(3_600));
        // One reading an hour after another does not make a daily series hourly.
        s.observations = at("pm10", &[0, 86_400, 90_000, 2 * 86_400, 3 * 86_400]);
        assert_eq!(s.step(), Some(86_400));
        s.observations = at("no2", &[i64::MIN, i64::MAX]);
        assert_eq!(s.step(), None, "no spacing fits in a second count");
        s.observations = at("no2", &[10]);
        assert_eq!(s.step(), None);
    }
}
