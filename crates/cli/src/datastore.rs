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
