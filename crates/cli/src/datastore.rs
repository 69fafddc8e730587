//! Opening the data store a command reads: a local folder, or a shared store in a bucket
//! (`s3://…`), whose local mirror is brought up to date first.

use aqcast_store::data::Store;
use aqcast_store::shared::{is_remote, SharedData};

use crate::error::CliError;

/// Opens the data store at `location` for reading (it must exist).
pub fn open_read(location: &str) -> Result<Store, CliError> {
    if !is_remote(location) {
        return Ok(Store::open_existing(location)?);
    }
    let shared = SharedData::open(location)?;
    let moved = shared.pull()?;
    tracing::info!(
        "{location}: {} objects ({} bytes) pulled into {}",
        moved.objects,
        moved.bytes,
        shared.mirror().display()
    );
    Ok(Store::open_existing(
        &shared.mirror().display().to_string(),
    )?)
}

/// Checks that the store holds observations of `site`: a site it has never seen is named
/// as such, with the ids nearest to it, rather than reported as "too little data".
pub fn require_site(store: &Store, site: &str) -> Result<(), CliError> {
    let mut sites: Vec<String> = store.partitions()?.into_iter().map(|(s, _, _)| s).collect();
    sites.dedup();
    if sites.iter().any(|s| s == site) {
        return Ok(());
    }
    let want = site.to_lowercase();
    let mut near: Vec<(usize, &String)> = sites
        .iter()
        .map(|s| (strsim::levenshtein(&want, &s.to_lowercase()), s))
        .collect();
    near.sort();
    let near: Vec<&str> = near.iter().take(5).map(|(_, s)| s.as_str()).collect();
    Err(CliError::Usage(if near.is_empty() {
        format!(
            "site {site:?} is not in the store {} (it holds no site yet: aqcast ingest takes data in)",
            store.root().display()
        )
    } else {
        format!(
            "site {site:?} is not in the store {} ({} sites; the nearest ids: {})",
            store.root().display(),
            sites.len(),
            near.join(", ")
        )
    }))
}
