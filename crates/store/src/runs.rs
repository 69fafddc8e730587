//! Run records (what MLflow's tracking gave the original platform): every `train` and
//! `tune` run writes `runs/<id>.json` — parameters, the data it read (by hash), its
//! metrics, what it wrote, how long it took — and `aqcast runs list|show` reads them.

use std::collections::BTreeMap;

use aqcast_core::published::{layout, DataFile, FORMAT};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::objects::Objects;

/// One run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Document format.
    pub format: u32,
    /// `<UTC time>-<random>`: sorts by start time, unique across machines.
    pub id: String,
    /// `train` or `tune`.
    pub command: String,
    /// The model name or task.
    pub name: String,
    /// When it started and finished (RFC 3339, UTC).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// Seconds it took.
    pub seconds: f64,
    /// `ok` or `failed`.
    pub status: String,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// The task file.
    #[serde(default)]
    pub task: Option<String>,
    /// Its SHA-256.
    #[serde(default)]
    pub task_sha256: Option<String>,
    /// Parameters.
    pub params: BTreeMap<String, String>,
    /// The data files read, by hash.
    pub data: Vec<DataFile>,
    /// Metrics (name → value).
    pub metrics: BTreeMap<String, f64>,
    /// What it wrote: paths or keys, with their SHA-256.
    pub artifacts: BTreeMap<String, String>,
    /// Who ran it (`user@host`).
    pub by: String,
    /// The aqcast that ran it.
    pub code_version: String,
}

/// A new run id for a run starting now.
pub fn new_id() -> String {
    let t = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let compact: String = t.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!(
        "{compact}-{:08x}",
        (crate::retry::jitter() * f64::from(u32::MAX)) as u32
    )
}

impl RunRecord {
    /// An empty record of a run of `command` on `name`, starting now.
    pub fn start(command: &str, name: &str) -> RunRecord {
        RunRecord {
            format: FORMAT,
            id: new_id(),
            command: command.into(),
            name: name.into(),
            started: crate::registry::now(),
            finished: String::new(),
            seconds: 0.0,
            status: "running".into(),
            error: None,
            task: None,
            task_sha256: None,
            params: BTreeMap::new(),
            data: Vec::new(),
            metrics: BTreeMap::new(),
            artifacts: BTreeMap::new(),
            by: crate::registry::actor(),
            code_version: format!("aqcast {}", aqcast_core::VERSION),
        }
    }
}

/// Writes a run's record (once: ids are unique, an existing record is never replaced).
pub fn write(objects: &Objects, run: &RunRecord) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(run).map_err(|e| Error::Registry(e.to_string()))?;
    bytes.push(b'\n');
    let key = layout::run(&run.id);
    if objects.create(&key, bytes)? {
        Ok(())
    } else {
        Err(Error::Registry(format!(
            "{}: a run {} is already recorded",
            objects.location(),
            run.id
        )))
    }
}

/// Reads one run's record.
pub fn get(objects: &Objects, id: &str) -> Result<RunRecord, Error> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::Registry(format!("{id:?} is not a run id")));
    }
    let key = layout::run(id);
    let bytes = objects.get(&key)?.ok_or_else(|| {
        Error::Registry(format!(
            "{}: no run {id} (aqcast runs list shows the runs)",
            objects.location()
        ))
    })?;
    parse(objects, &key, &bytes.bytes)
}

fn parse(objects: &Objects, key: &str, bytes: &[u8]) -> Result<RunRecord, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
        location: objects.location().to_string(),
        key: key.to_string(),
        message: e.to_string(),
    })
}

/// Every run, oldest first.
pub fn list(objects: &Objects) -> Result<Vec<RunRecord>, Error> {
    let mut out = Vec::new();
    for key in objects.list(layout::RUNS_DIR)? {
        if !key.ends_with(".json") {
            continue;
        }
        if let Some(f) = objects.get(&key)? {
            out.push(parse(objects, &key, &f.bytes)?);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
