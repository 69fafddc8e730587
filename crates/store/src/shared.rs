//! A data store in object storage (`--store s3://bucket/prefix` for `aqcast ingest`,
//! `train`, `features`, …), so that several machines share one store.
//!
//! The data store's code works on a folder; a shared store is mirrored into a local
//! folder (under `$AQCAST_CACHE`, else `$XDG_CACHE_HOME/aqcast`, else `~/.cache/aqcast`)
//! and kept in step with the bucket, in the store's own layout (`manifest.json`,
//! `data/site=…/variable=…/<file>-<n>.parquet`, `quarantine/<file>.csv`):
//!
//! - [`SharedData::pull`] before reading: the bucket's manifest merged into the mirror's,
//!   then every part of every file it lists that the mirror lacks;
//! - [`SharedData::push`] after ingesting: the parts and quarantine files of the files the
//!   bucket's manifest does not list yet (`PutMode::Create`: parts are named by their
//!   source file's hash, so writers never collide), then the manifest, merged by
//!   compare-and-swap so that two machines ingesting at once both land.
//!
//! The invariant of the folder store holds across machines: a reader takes only parts of
//! files the manifest lists, and the manifest lists a file only after all its parts are
//! in the bucket, so a push cut short leaves nothing half-visible.

use std::fs;
use std::path::{Path, PathBuf};

use aqcast_core::published::layout::encode_segment;

use crate::data::{Manifest, StoreError};
use crate::error::Error;
use crate::objects::Objects;

/// Whether a data store location is in object storage rather than a local folder.
pub fn is_remote(location: &str) -> bool {
    location.starts_with("s3://")
}

/// The mirror folder of a shared store.
pub fn mirror_dir(location: &str) -> PathBuf {
    let base = std::env::var_os("AQCAST_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("aqcast")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/aqcast")))
        .unwrap_or_else(|| std::env::temp_dir().join("aqcast-cache"));
    base.join("stores").join(encode_segment(location))
}

/// A shared data store and its local mirror.
pub struct SharedData {
    objects: Objects,
    mirror: PathBuf,
}

/// What a pull or push moved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// Objects transferred.
    pub objects: usize,
    /// Bytes transferred.
    pub bytes: u64,
}

const MANIFEST: &str = "manifest.json";

impl SharedData {
    /// Opens the shared store at `location` and its mirror (created if missing).
    pub fn open(location: &str) -> Result<SharedData, Error> {
        let objects = Objects::open(location)?;
        let mirror = mirror_dir(location);
        fs::create_dir_all(mirror.join("data")).map_err(|e| Error::Storage {
            location: mirror.display().to_string(),
            key: String::new(),
            message: format!("cannot create the local mirror: {e}"),
        })?;
        Ok(SharedData { objects, mirror })
    }

    /// The local mirror folder (a data store the folder code opens).
    pub fn mirror(&self) -> &Path {
        &self.mirror
    }

    fn local_manifest(&self) -> Result<Manifest, Error> {
        Manifest::read(&self.mirror.join(MANIFEST)).map_err(|e| self.local_error(e))
    }

    fn local_error(&self, e: StoreError) -> Error {
        Error::Storage {
            location: self.mirror.display().to_string(),
            key: String::new(),
            message: e.to_string(),
        }
    }

    fn remote_manifest(&self) -> Result<Option<Manifest>, Error> {
        self.objects
            .get(MANIFEST)?
            .map(|f| self.parse_remote(&f.bytes))
            .transpose()
    }

    fn parse_remote(&self, bytes: &[u8]) -> Result<Manifest, Error> {
        serde_json::from_slice(bytes).map_err(|e| Error::Corrupt {
            location: self.objects.location().to_string(),
            key: MANIFEST.into(),
            message: format!("not a valid manifest: {e}"),
        })
    }

    fn write_local(&self, rel: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.mirror.join(rel);
        let err = |e: std::io::Error| Error::Storage {
            location: self.mirror.display().to_string(),
            key: rel.to_string(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(err)?;
        }
        crate::files::replace(&path, |mut f| {
            std::io::Write::write_all(&mut f, bytes).map(|()| f)
        })
        .map_err(err)
    }

    /// Brings the mirror up to date with the bucket (see the module's documentation).
    pub fn pull(&self) -> Result<Moved, Error> {
        let mut moved = Moved::default();
        let local = self.local_manifest()?;
        let merged = match self.remote_manifest()? {
            Some(remote) => merge(remote, &local),
            None => local,
        };
        let ids: Vec<String> = merged.files.iter().map(|f| f.id().to_string()).collect();
        for key in self.objects.list("data/")? {
            let Some(name) = key.rsplit('/').next() else {
                continue;
            };
            if !key.ends_with(".parquet")
                || !ids.iter().any(|id| name.starts_with(&format!("{id}-")))
            {
                continue;
            }
            if self.mirror.join(&key).is_file() {
                // Parts never change once written (a file's parts are rewritten only by a
                // run that has not listed it yet, and then before the manifest does).
                continue;
            }
            let bytes = self.objects.get_required(&key)?;
            moved.objects += 1;
            moved.bytes += bytes.len() as u64;
            self.write_local(&key, &bytes)?;
        }
        let json =
            serde_json::to_vec_pretty(&merged).map_err(|e| Error::Registry(e.to_string()))?;
        self.write_local(MANIFEST, &json)?;
        Ok(moved)
    }

    /// Publishes what the mirror took that the bucket lacks (see the module's
    /// documentation), then pulls what others published meanwhile.
    pub fn push(&self) -> Result<Moved, Error> {
        let mut moved = Moved::default();
        let local = self.local_manifest()?;
        let remote = self.remote_manifest()?.unwrap_or_default();
        let new: Vec<_> = local
            .files
            .iter()
            .filter(|f| remote.find(&f.blake3).is_none())
            .collect();
        if new.is_empty() {
            return self.pull().map(|m| Moved {
                objects: moved.objects + m.objects,
                bytes: moved.bytes + m.bytes,
            });
        }
        let ids: Vec<&str> = new.iter().map(|f| f.id()).collect();
        let mut files = Vec::new();
        walk(&self.mirror.join("data"), &mut files);
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".parquet")
                || !ids.iter().any(|id| name.starts_with(&format!("{id}-")))
            {
                continue;
            }
            let key = relative_key(&self.mirror, &path);
            let bytes = fs::read(&path).map_err(|e| Error::Storage {
                location: self.mirror.display().to_string(),
                key: key.clone(),
                message: e.to_string(),
            })?;
            moved.objects += 1;
            moved.bytes += bytes.len() as u64;
            if !self.objects.create(&key, bytes.clone())? {
                // The same file taken elsewhere too: the object there is as good.
                tracing::info!("{key}: already in the store");
            }
        }
        for f in &new {
            if let Some(q) = &f.quarantine {
                if let Ok(bytes) = fs::read(self.mirror.join(q)) {
                    moved.objects += 1;
                    moved.bytes += bytes.len() as u64;
                    self.objects.create(q, bytes)?;
                }
            }
        }
        // The manifest last, by compare-and-swap: merged with what others listed.
        self.objects.update(MANIFEST, |current| {
            let base = match current {
                Some(bytes) => self.parse_remote(bytes)?,
                None => Manifest::default(),
            };
            let json = serde_json::to_vec_pretty(&merge(base, &local))
                .map_err(|e| Error::Registry(e.to_string()))?;
            Ok((Some(json), ()))
        })?;
        let m = self.pull()?;
        Ok(Moved {
            objects: moved.objects + m.objects,
            bytes: moved.bytes + m.bytes,
        })
    }
}

/// `base`'s files, then `extra`'s files `base` does not list, in their order.
fn merge(mut base: Manifest, extra: &Manifest) -> Manifest {
    base.version = base
        .version
        .max(extra.version)
        .max(crate::data::manifest::VERSION);
    for f in &extra.files {
        if base.find(&f.blake3).is_none() {
            base.files.push(f.clone());
        }
    }
    base
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn relative_key(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
