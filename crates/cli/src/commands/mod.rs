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

/// Writes `lines` to `output` atomically, or to stdout when no output is given. On a
/// terminal, what would act on it or hide (escape sequences, zero-width characters from
/// a registry field, a site id) is shown escaped; a pipe or a file gets the bytes as they
/// are.
pub(crate) fn emit(
    output: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    match output {
        Some(p) => files::write_atomic(p, write),
        None if io::IsTerminal::is_terminal(&io::stdout()) => {
            let mut text = Vec::new();
            write(&mut text).map_err(CliError::io(PathBuf::from("<stdout>")))?;
            let text = String::from_utf8_lossy(&text);
            let mut out = io::stdout().lock();
            out.write_all(crate::terminal::safe(&text).as_bytes())
                .and_then(|_| out.flush())
                .map_err(CliError::io(PathBuf::from("<stdout>")))
        }
        None => {
            let stdout = io::stdout();
            let mut lock = io::BufWriter::new(stdout.lock());
            write(&mut lock)
                .and_then(|_| lock.flush())
                .map_err(CliError::io(PathBuf::from("<stdout>")))
        }
    }
}
