//! What a `train` or `tune` run records about itself, in the store it read its data from
//! (`aqcast runs list|show` reads the records), and the provenance a model carries: the
//! task file's hash and the data files, by SHA-256, that fed it.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use aqcast_core::artifact::DataSource;
use aqcast_core::published::DataFile;
use aqcast_store::runs::{self, RunRecord};
use aqcast_store::Objects;

use crate::error::CliError;
use aqcast_store::data::Store;

/// The task file's SHA-256, lower-case hex.
pub fn task_sha256(path: &Path) -> Result<String, CliError> {
    Ok(aqcast_core::published::sha256_hex(&crate::files::read_all(
        path,
    )?))
}

/// The files of the store's manifest that hold data of `sites`, by SHA-256.
pub fn data_sources(store: &Store, sites: &[String]) -> Result<Vec<DataSource>, CliError> {
    let manifest = store.manifest()?;
    Ok(manifest
        .files
        .iter()
        .filter(|f| f.sites.iter().any(|s| sites.contains(s)))
        .map(|f| DataSource {
            name: f.name.clone(),
            sha256: f.sha256.clone(),
            rows: f.observations,
        })
        .collect())
}

/// A run being recorded.
pub struct Run {
    record: RunRecord,
    started: Instant,
    store: String,
}

impl Run {
    /// Starts recording a run of `command` on the task file `task`, to be written to the
    /// store at `store`.
    pub fn start(command: &str, task: &Path, store: &str) -> Run {
        let name = task
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut record = RunRecord::start(command, &name);
        record.task = Some(task.display().to_string());
        record.task_sha256 = task_sha256(task).ok();
        Run {
            record,
            started: Instant::now(),
            store: store.to_string(),
        }
    }

    /// The record, to fill in.
    pub fn record(&mut self) -> &mut RunRecord {
        &mut self.record
    }

    /// Takes a model's parameters, data and metrics (with their means over steps).
    pub fn take_model(&mut self, model: &aqcast_core::Model, path: &Path, bytes: &[u8]) {
        let md = &model.metadata;
        let r = &mut self.record;
        r.name = md.name.clone();
        r.params = md.params.clone();
        r.data = md.data.iter().map(DataFile::from).collect();
        r.metrics = md.metrics.clone();
        let m = aqcast_core::published::Metrics::of(&md.test_scores());
        for s in &m.per_step {
            let k = s.step;
            r.metrics.insert(format!("step{k}.rmse"), s.rmse);
            for (name, v) in [
                ("skill", s.skill),
                ("coverage", s.coverage),
                ("width", s.width),
            ] {
                if let Some(v) = v {
                    r.metrics.insert(format!("step{k}.{name}"), v);
                }
            }
        }
        for (k, v) in m.summary {
            r.metrics.insert(format!("mean.{k}"), v);
        }
        r.artifacts.insert(
            path.display().to_string(),
            aqcast_core::published::sha256_hex(bytes),
        );
    }

    /// Writes the record with the run's outcome; a failure to write it is a warning (the
    /// run's own result stands).
    pub fn finish<T>(mut self, result: &Result<T, CliError>) {
        let r = &mut self.record;
        r.finished = aqcast_store::registry::now();
        r.seconds = self.started.elapsed().as_secs_f64();
        match result {
            Ok(_) => r.status = "ok".into(),
            Err(e) => {
                r.status = "failed".into();
                r.error = Some(e.to_string());
            }
        }
        let written =
            Objects::open_existing(&self.store).and_then(|o| runs::write(&o, &self.record));
        match written {
            Ok(()) => tracing::info!("run {} recorded in {}", self.record.id, self.store),
            // No store: the run failed for that reason, and there is nowhere to record it.
            Err(aqcast_store::Error::Location(m)) => tracing::info!("run not recorded: {m}"),
            Err(e) => eprintln!("warning: the run was not recorded: {e}"),
        }
    }
}

/// Adds the task file's name and hash to a model's parameters (its provenance).
pub fn task_params(params: &mut BTreeMap<String, String>, task: &Path) -> Result<(), CliError> {
    params.insert("task".into(), task.display().to_string());
    params.insert("task_sha256".into(), task_sha256(task)?);
    Ok(())
}
