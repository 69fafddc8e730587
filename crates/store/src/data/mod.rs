//! The data store: clean observations, the ingestion manifest and quarantine files, under
//! one root folder (`./aqcast-store` by default).
//!
//! ```text
//! <root>/manifest.json                                  every file taken (manifest.rs)
//! <root>/data/site=<site>/variable=<var>/<file>-<n>.parquet   observations (parts.rs)
//! <root>/quarantine/<file>.csv                          rejected rows of one source file
//! <root>/.lock                                          held (flock) while a writer runs
//! ```
//!
//! `<file>` is the first 16 hex digits of the source file's BLAKE3 hash, so every part
//! says which file it came from: a re-run after a crash first deletes the parts of a file
//! the manifest does not list, then writes them again. The folders are Hive-style
//! partitions: `pandas.read_parquet("<root>/data")` reads everything with `site` and
//! `variable` columns.

pub mod manifest;
pub mod parts;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

pub use manifest::{Manifest, SiteFacts, TakenFile};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file of the store is not what aqcast wrote.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another aqcast process is writing to the store.
    #[error("{}: another aqcast process is writing to this store; wait for it to finish", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A store location aqcast cannot use.
    #[error("{0}")]
    Location(String),
}

impl StoreError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { path, source }
    }
}

/// A store rooted in a local folder.
pub struct Store {
    root: PathBuf,
}

/// Held while a process writes to the store; released on drop or when the process dies.
pub struct StoreLock {
    _file: File,
}

/// Encodes a site or variable name for a folder name: ASCII letters, digits, `.`, `_`
/// and `-` stay, every other byte becomes `%XX` (as Hive partitions do). The published
/// layout encodes station ids the same way.
pub use aqcast_core::published::layout::decode_segment as decode_name;
pub use aqcast_core::published::layout::encode_segment as encode_name;

/// Longest encoded name a partition folder holds (`site=` + name within the 255 bytes
/// file systems allow for one name, with room to spare).
pub const MAX_NAME_BYTES: usize = 240;

/// Whether a site or variable name fits a partition folder name once encoded (about 240
/// ASCII characters, or 26 CJK ones, which encode as 9 bytes each).
pub fn name_fits(s: &str) -> bool {
    encode_name(s).len() <= MAX_NAME_BYTES
}

impl Store {
    /// Opens (creating if needed) the store at `location`: a folder path or a `file://`
    /// URL.
    pub fn open(location: &str) -> Result<Store, StoreError> {
        let root = Self::root_of(location)?;
        fs::create_dir_all(root.join("data")).map_err(StoreError::io(&root))?;
        Ok(Store { root })
    }

    /// Opens the store at `location` for reading: it must exist (nothing is created, so a
    /// mistyped path is an error, not a new empty store).
    pub fn open_existing(location: &str) -> Result<Store, StoreError> {
        let root = Self::root_of(location)?;
        if !root.join("data").is_dir() {
            return Err(StoreError::Location(format!(
                "no store at {} (ingest data into it first, or give --store)",
                root.display()
            )));
        }
        Ok(Store { root })
    }

    /// The observations of `inputs` (a pipeline's) at `site`, as the pipeline takes them.
    pub fn read_inputs(
        &self,
        site: &str,
        inputs: &[aqcast_core::pipeline::spec::Input],
    ) -> Result<Vec<aqcast_core::pipeline::Series>, StoreError> {
        let manifest = self.manifest()?;
        inputs
            .iter()
            .map(|input| {
                let (times, values) = self
                    .read_series(site, &input.variable, &manifest)?
                    .into_iter()
                    .unzip();
                Ok(aqcast_core::pipeline::Series {
                    variable: input.variable.clone(),
                    times,
                    values,
                })
            })
            .collect()
    }

    fn root_of(location: &str) -> Result<PathBuf, StoreError> {
        Ok(if let Some(p) = location.strip_prefix("file://") {
            PathBuf::from(p)
        } else if let Some((scheme, _)) = location.split_once("://") {
            return Err(StoreError::Location(format!(
                "store {location:?}: {scheme}:// stores are not supported by `aqcast ingest`; \
                 give a local folder (or file:// URL)"
            )));
        } else {
            PathBuf::from(location)
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the store's write lock, failing at once if another process holds it.
    pub fn lock(&self) -> Result<StoreLock, StoreError> {
        let path = self.root.join(".lock");
        let file = File::create(&path).map_err(StoreError::io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(StoreLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked { path }),
            Err(fs::TryLockError::Error(e)) => Err(StoreError::Io { path, source: e }),
        }
    }

    /// Takes the store's write lock, waiting up to `wait` for another process to release
    /// it (checked every 100 ms).
    pub fn lock_waiting(&self, wait: std::time::Duration) -> Result<StoreLock, StoreError> {
        let until = std::time::Instant::now() + wait;
        loop {
            match self.lock() {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < until => {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    /// Reads the manifest (empty if there is none yet).
    pub fn manifest(&self) -> Result<Manifest, StoreError> {
        Manifest::read(&self.manifest_path())
    }

    /// Replaces the manifest atomically.
    pub fn save_manifest(&self, m: &Manifest) -> Result<(), StoreError> {
        let path = self.manifest_path();
        let json = serde_json::to_vec_pretty(m).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        crate::files::replace(&path, |mut f| {
            io::Write::write_all(&mut f, &json).map(|()| f)
        })
        .map_err(StoreError::io(&path))
    }

    fn partition_dir(&self, site: &str, variable: &str) -> PathBuf {
        self.root
            .join("data")
            .join(format!("site={}", encode_name(site)))
            .join(format!("variable={}", encode_name(variable)))
    }

    /// Writes one part file atomically.
    pub fn write_part(
        &self,
        site: &str,
        variable: &str,
        file_id: &str,
        seq: u32,
        rows: &[(i64, f64)],
    ) -> Result<(), StoreError> {
        let dir = self.partition_dir(site, variable);
        fs::create_dir_all(&dir).map_err(StoreError::io(&dir))?;
        let path = dir.join(format!("{file_id}-{seq:05}.parquet"));
        crate::files::replace(&path, |f| {
            parts::write(f, rows).map_err(|e| io::Error::other(e.to_string()))
        })
        .map_err(StoreError::io(&path))
    }

    /// Every partition: (site, variable, folder).
    pub fn partitions(&self) -> Result<Vec<(String, String, PathBuf)>, StoreError> {
        let mut out = Vec::new();
        let data = self.root.join("data");
        for site in read_dir_sorted(&data)? {
            let Some(s) = name_after(&site, "site=") else {
                continue;
            };
            for var in read_dir_sorted(&site)? {
                if let Some(v) = name_after(&var, "variable=") {
                    out.push((s.clone(), v, var));
                }
            }
        }
        Ok(out)
    }

    /// Deletes the parts (and temporary parts) of files the manifest does not list that
    /// were last written more than `age` ago: what a killed run left of a file nobody took
    /// again. Readers already ignore them; this gives their space back. The caller holds
    /// the store's lock; the age keeps a part a writer without it (a mirror being pulled)
    /// is still adding. Returns how many were removed.
    pub fn remove_orphans(
        &self,
        manifest: &Manifest,
        age: std::time::Duration,
    ) -> Result<usize, StoreError> {
        let known: std::collections::HashSet<&str> =
            manifest.files.iter().map(|f| f.id()).collect();
        let now = std::time::SystemTime::now();
        let mut n = 0;
        for (_, _, dir) in self.partitions()? {
            for p in read_dir_sorted(&dir)? {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let id = name.trim_start_matches('.').split('-').next().unwrap_or("");
                let is_part = id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit());
                if !is_part || known.contains(id) {
                    continue;
                }
                let old = fs::symlink_metadata(&p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d >= age));
                if old {
                    fs::remove_file(&p).map_err(StoreError::io(&p))?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Deletes every part written from the file `file_id`, and its unfinished quarantine
    /// file: what an interrupted run left.
    pub fn remove_parts_of(&self, file_id: &str) -> Result<usize, StoreError> {
        let mut n = 0;
        let prefix = format!("{file_id}-");
        for (_, _, dir) in self.partitions()? {
            for p in read_dir_sorted(&dir)? {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                // Parts, and temporary files of parts being written.
                if name.starts_with(&prefix) || name.starts_with(&format!(".{prefix}")) {
                    fs::remove_file(&p).map_err(StoreError::io(&p))?;
                    n += 1;
                }
            }
        }
        // A quarantine file an interrupted run was still writing.
        let tmp = format!(".{file_id}.csv.tmp-");
        for p in read_dir_sorted(&self.root.join("quarantine"))? {
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&tmp))
            {
                fs::remove_file(&p).map_err(StoreError::io(&p))?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// All observations of one site and variable, sorted by time. Where files overlap,
    /// the file taken first wins (its position in the manifest); parts of files the
    /// manifest does not list (an interrupted run) are ignored.
    pub fn read_series(
        &self,
        site: &str,
        variable: &str,
        manifest: &Manifest,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let dir = self.partition_dir(site, variable);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut parts: Vec<(usize, PathBuf)> = Vec::new();
        for p in read_dir_sorted(&dir)? {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".parquet") || name.starts_with('.') {
                continue;
            }
            let id = name.split('-').next().unwrap_or("");
            if let Some(order) = manifest.position(id) {
                parts.push((order, p));
            }
        }
        parts.sort();
        let mut rows = Vec::new();
        for (_, p) in &parts {
            parts::read(p, &mut rows)?;
        }
        // Stable: among equal times the earlier file (then the earlier row) comes first.
        rows.sort_by_key(|r| r.0);
        rows.dedup_by_key(|r| r.0);
        Ok(rows)
    }

    /// Where the quarantine file of source file `file_id` goes.
    pub fn quarantine_path(&self, file_id: &str) -> PathBuf {
        self.root.join("quarantine").join(format!("{file_id}.csv"))
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut v = Vec::new();
    match fs::read_dir(dir) {
        Ok(rd) => {
            for e in rd {
                v.push(e.map_err(StoreError::io(dir))?.path());
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(StoreError::Io {
                path: dir.into(),
                source: e,
            })
        }
    }
    v.sort();
    Ok(v)
}

fn name_after(p: &Path, prefix: &str) -> Option<String> {
    decode_name(p.file_name()?.to_str()?.strip_prefix(prefix)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in [
            "06-037-1103",
            "bg.no2",
            "pm2.5",
            "St. John's/1",
            "ü",
            ".hidden",
        ] {
            let e = encode_name(s);
            assert!(!e.contains('/') && !e.starts_with('.'), "{e}");
            assert_eq!(decode_name(&e).as_deref(), Some(s));
        }
    }
}
