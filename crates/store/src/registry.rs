//! The model registry over object storage: `registry/<name>.json` (the core's
//! [`published::Registry`]) and the content-addressed versions under `models/<name>/`.
//!
//! Every change is a compare-and-swap: read the document and its ETag, apply the change,
//! write it back only if the ETag is unchanged (or, for a new name, only if there is still
//! no document); on a conflict, read again and re-apply. So concurrent publishers and
//! promoters never lose each other's updates, and a reader always sees a whole, valid
//! document.

use aqcast_core::published::{self, layout, Stage, Version};

use crate::error::Error;
use crate::objects::Objects;

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
    let Some(f) = objects.get(&layout::registry(name))? else {
        return Ok(None);
    };
    Ok(Some((parse(objects, name, &f.bytes)?, f.etag)))
}

/// Reads and checks the registry document of `name`.
fn parse(objects: &Objects, name: &str, bytes: &[u8]) -> Result<published::Registry, Error> {
    let corrupt = |message: String| Error::Corrupt {
        location: objects.location().to_string(),
        key: layout::registry(name),
        message,
    };
    let doc = published::Registry::from_json(bytes).map_err(|e| corrupt(e.to_string()))?;
    if doc.name != name {
        return Err(corrupt(format!("it is the registry of {:?}", doc.name)));
    }
    Ok(doc)
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
/// writes it back by compare-and-swap ([`Objects::update`]), so concurrent writers never
/// lose each other's updates; returns what `change` returned. A change that leaves the
/// document as it was writes nothing; a broken document is an error, never overwritten.
pub fn update<T>(
    objects: &Objects,
    name: &str,
    mut change: impl FnMut(&mut published::Registry) -> Result<T, Error>,
) -> Result<T, Error> {
    published::check_name(name).map_err(|e| Error::Registry(e.to_string()))?;
    let key = layout::registry(name);
    objects.update(&key, |current| {
        let mut doc = match current {
            Some(bytes) => parse(objects, name, bytes)?,
            None => published::Registry::new(name, &now()),
        };
        let before = doc.clone();
        let out = change(&mut doc)?;
        if doc == before {
            return Ok((None, out));
        }
        doc.validate()
            .map_err(|e| Error::Registry(format!("refusing to write {key}: {e}")))?;
        Ok((Some(doc.to_json()), out))
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
    get(objects, name)?;
    update(objects, name, |doc| {
        doc.promote_selected(selector, stage, &now(), &by, note)
            .map_err(|e| Error::Registry(e.to_string()))
    })
}

/// Adds or removes a tag on a version. Returns the version's number and whether the
/// registry changed (false: the tag was already there, or there was none to remove).
pub fn tag(
    objects: &Objects,
    name: &str,
    selector: &str,
    tag: &str,
    remove: bool,
) -> Result<(u32, bool), Error> {
    get(objects, name)?;
    update(objects, name, |doc| {
        let v = doc
            .resolve(selector)
            .map_err(|e| Error::Registry(e.to_string()))?
            .version;
        let changed = doc
            .tag(v, tag, remove, &now())
            .map_err(|e| Error::Registry(e.to_string()))?;
        Ok((v, changed))
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
