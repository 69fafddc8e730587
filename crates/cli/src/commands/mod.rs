//! One module per subcommand.

pub mod aqi;
pub mod evaluate;
pub mod explain;
pub mod export;
pub mod features;
pub mod fetch;
pub mod forecast;
pub mod import;
pub mod ingest;
pub mod inspect;
pub mod models;
pub mod pipeline;
pub mod predict;
pub mod publish;
pub mod runs;
pub mod stations;
pub mod train;
pub mod train_forecast;
pub mod trained;
pub mod tune;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;
use crate::files;

/// Writes `lines` to `output` atomically, or to stdout when no output is given.
pub(crate) fn emit(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    match output {
        Some(p) => files::write_atomic(p, write),
        None => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            write(&mut lock)
                .and_then(|_| lock.flush())
                .map_err(CliError::io(PathBuf::from("<stdout>")))
        }
    }
}
