//! The model registry over object storage: `registry/<name>.json` (the core's
//! [`published::Registry`]) and the content-addressed versions under `models/<name>/`.
//!
//! Every change is a compare-and-swap: read the document and its ETag, apply the change,
//! write it back only if the ETag is unchanged (or, for a new name, only if there is still
//! no document); on a conflict, read again and re-apply. So concurrent publishers and
//! promoters never lose each other's updates, and a reader always sees a whole, valid
//! document.

use std::time::Duration;

use aqcast_core::published::{self, layout, Stage, Version};

use crate::error::Error;
use crate::objects::Objects;
use crate::retry::jitter;

/// Attempts of one compare-and-swap before giving up ([`Error::Contended`]).
const CAS_ATTEMPTS: u32 = 200;

/// The current time, RFC 3339 UTC (to the second).
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// Who is acting: `$AQCAST_USER`, else `user@host` from the environment.
pub fn actor() -> String {
    if let Ok(u) = std::env::var("AQCAST_USER") {
        return u;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// Reads the registry of `name` with its ETag; `None` when the name has none.
pub fn load(
    objects: &Objects,
    name: &str,
) -> Result<Option<(published::Registry, Option<String>)>, Error> {
    published::check_name(name).map_err(|e| Error::Registry(e.to_string()))?;
    let key = layout::registry(name);
    let Some(f) = objects.get(&key)? else {
        return Ok(None);
    };
    let doc = published::Registry::from_json(&f.bytes).map_err(|e| Error::Corrupt {
        location: objects.location().to_string(),
        key: key.clone(),
        message: e.to_string(),
    })?;
    if doc.name != name {
        return Err(Error::Corrupt {
            location: objects.location().to_string(),
            key,
            message: format!("it is the registry of {:?}", doc.name),
        });
    }
    Ok(Some((doc, f.etag)))
}

/// Reads the registry of `name`, which must exist.
pub fn get(objects: &Objects, name: &str) -> Result<published::Registry, Error> {
    load(objects, name)?.map(|(r, _)| r).ok_or_else(|| {
        Error::Registry(format!(
            "{}: no model named {name:?} (aqcast models list shows what there is)",
            objects.location()
        ))
    })
}

/// The model names with a registry, sorted.
pub fn names(objects: &Objects) -> Result<Vec<String>, Error> {
    Ok(objects
        .list(layout::REGISTRY_DIR)?
        .into_iter()
        .filter_map(|k| {
            k.strip_prefix(layout::REGISTRY_DIR)?
                .strip_suffix(".json")
                .map(str::to_string)
        })
        .filter(|n| published::check_name(n).is_ok())
        .collect())
}

/// Applies `change` to the registry of `name` (an empty one when there is none) and
/// writes it back with a compare-and-swap, retrying on conflicts; returns what `change`
/// returned. A change that leaves the document as it was writes nothing.
pub fn update<T>(
    objects: &Objects,
    name: &str,
    mut change: impl FnMut(&mut published::Registry) -> Result<T, Error>,
) -> Result<T, Error> {
    let key = layout::registry(name);
    for attempt in 0..CAS_ATTEMPTS {
        let current = load(objects, name)?;
        let (mut doc, etag) = match current {
            Some((doc, etag)) => (doc, etag),
            None => (published::Registry::new(name, &now()), None),
        };
        let before = doc.clone();
        let out = change(&mut doc)?;
        if doc == before {
            return Ok(out);
        }
        doc.validate()
            .map_err(|e| Error::Registry(format!("refusing to write {key}: {e}")))?;
        let bytes = doc.to_json();
        let written = match &etag {
            Some(etag) => objects.replace(&key, bytes, etag)?,
            None if before.versions.is_empty() && before.revision == 0 => {
                objects.create(&key, bytes)?
            }
            None => {
                return Err(Error::Corrupt {
                    location: objects.location().to_string(),
                    key,
                    message: "the store gives no ETag, so it cannot be updated safely".into(),
                })
            }
        };
        if written {
            return Ok(out);
        }
        // Someone else wrote in between: wait a little (longer as collisions repeat) and
        // apply the change to what they wrote.
        let ms = 2.0 * f64::from(attempt.min(20) + 1) * (0.5 + jitter());
        std::thread::sleep(Duration::from_secs_f64(ms / 1000.0));
    }
    Err(Error::Contended {
        location: objects.location().to_string(),
        key,
        attempts: CAS_ATTEMPTS,
    })
}

/// Moves a version (a selector: number, stage, tag or `latest`) to `stage`; entering
/// production retires the version that served. Returns the version's number.
pub fn promote(
    objects: &Objects,
    name: &str,
    selector: &str,
    stage: Stage,
    note: Option<&str>,
) -> Result<u32, Error> {
    let by = actor();
    let mut found = false;
    let n = update(objects, name, |doc| {
        if doc.versions.is_empty() {
            return Ok(0);
        }
        found = true;
        let v = doc
            .resolve(selector)
            .map_err(|e| Error::Registry(e.to_string()))?
            .version;
        doc.promote(v, stage, &now(), &by, note)
            .map_err(|e| Error::Registry(e.to_string()))?;
        Ok(v)
    })?;
    if !found {
        return Err(Error::Registry(format!(
            "{}: no model named {name:?}",
            objects.location()
        )));
    }
    Ok(n)
}

/// Adds or removes a tag on a version. Returns the version's number.
pub fn tag(
    objects: &Objects,
    name: &str,
    selector: &str,
    tag: &str,
    remove: bool,
) -> Result<u32, Error> {
    get(objects, name)?;
    update(objects, name, |doc| {
        let v = doc
            .resolve(selector)
            .map_err(|e| Error::Registry(e.to_string()))?
            .version;
        doc.tag(v, tag, remove, &now())
            .map_err(|e| Error::Registry(e.to_string()))?;
        Ok(v)
    })
}

/// Fetches a version's artifact and checks its hash.
pub fn fetch_model(objects: &Objects, version: &Version) -> Result<Vec<u8>, Error> {
    fetch_verified(objects, &version.model, &version.sha256)
}

/// Fetches an object and checks it against the SHA-256 the registry lists.
pub fn fetch_verified(objects: &Objects, key: &str, sha256: &str) -> Result<Vec<u8>, Error> {
    let bytes = objects.get_required(key)?;
    published::verify(&bytes, sha256).map_err(|e| Error::Corrupt {
        location: objects.location().to_string(),
        key: key.to_string(),
        message: e.to_string(),
    })?;
    Ok(bytes)
}
