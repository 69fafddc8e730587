//! The ingestion manifest: every file taken into the store, by content.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;

/// Version of the manifest format.
pub const VERSION: u32 = 1;

/// `manifest.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// Files taken, in the order they were taken.
    pub files: Vec<TakenFile>,
}

/// One file taken into the store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TakenFile {
    /// File name as given.
    pub name: String,
    /// BLAKE3 hash of its bytes (as stored: compressed if it was), lower-case hex.
    pub blake3: String,
    /// SHA-256 of the same bytes (what a model's provenance cites); empty in manifests
    /// written before aqcast recorded it.
    #[serde(default)]
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Detected format.
    pub format: String,
    /// Data lines read (header excluded).
    pub lines: u64,
    /// Observations stored.
    pub observations: u64,
    /// Values rejected (in the quarantine file).
    pub rejected: u64,
    /// Empty or missing values skipped.
    pub missing: u64,
    /// Rows repeating a measurement already taken from the same file (EPA daily files
    /// give a day's value once per pollutant standard).
    #[serde(default)]
    pub repeated: u64,
    /// Rejected values by reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Variables (pollutant ids and others) stored.
    pub variables: Vec<String>,
    /// Sites stored.
    pub sites: Vec<String>,
    /// First observation (RFC 3339, UTC).
    pub start: Option<String>,
    /// Last observation.
    pub end: Option<String>,
    /// When it was taken (RFC 3339, UTC).
    pub taken_at: String,
    /// Seconds it took.
    pub seconds: f64,
    /// Quarantine file (relative to the store root), if any value was rejected.
    pub quarantine: Option<String>,
    /// What the file says about its sites (names, coordinates, network, licence, whom to
    /// credit), where it says it (EPA AirData, OpenAQ's archive, `aqcast fetch`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub site_facts: BTreeMap<String, SiteFacts>,
}

/// What a file says about a site.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SiteFacts {
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Latitude, degrees north.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude, degrees east.
    #[serde(default)]
    pub lon: Option<f64>,
    /// The network that runs it (`OpenAQ: AirNow`, `UK-AIR (AURN)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The data's licence (`CC BY 4.0`, `Open Government Licence v3.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Whom to credit where the data are shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

impl TakenFile {
    /// The id parts and quarantine files are named by: 16 hex digits of the hash.
    pub fn id(&self) -> &str {
        &self.blake3[..16.min(self.blake3.len())]
    }
}

impl Manifest {
    /// Reads `path`, or an empty manifest if it does not exist.
    pub fn read(path: &Path) -> Result<Manifest, StoreError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let m: Manifest =
                    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                        path: path.to_path_buf(),
                        message: format!("not a valid manifest: {e}"),
                    })?;
                if m.version > VERSION {
                    return Err(StoreError::Corrupt {
                        path: path.to_path_buf(),
                        message: format!(
                            "manifest version {} is newer than this aqcast reads ({VERSION})",
                            m.version
                        ),
                    });
                }
                Ok(m)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                version: VERSION,
                files: Vec::new(),
            }),
            Err(e) => Err(StoreError::Io {
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    /// The entry of a file with this hash, if it was taken.
    pub fn find(&self, blake3: &str) -> Option<&TakenFile> {
        self.files.iter().find(|f| f.blake3 == blake3)
    }

    /// Position (order taken) of the file whose id is `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.files.iter().position(|f| f.id() == id)
    }
}
