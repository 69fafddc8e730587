//! Reading inputs (plain or gzip) and writing outputs atomically.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::CliError;

pub use aqcast_store::files::{decompressing, replace, LineLimit, MAX_LINE_BYTES};

/// Opens a file for reading, decompressing it when it is gzip.
pub fn open(path: &Path) -> Result<Box<dyn Read>, CliError> {
    let f = File::open(path).map_err(CliError::io(path))?;
    decompressing(f).map_err(CliError::io(path))
}

/// Opens a CSV input for reading: decompressed, with lines capped at
/// [`MAX_LINE_BYTES`].
pub fn open_lines(path: &Path) -> Result<LineLimit<Box<dyn Read>>, CliError> {
    Ok(LineLimit::new(open(path)?))
}

/// Reads a whole file (decompressing `.gz`).
pub fn read_all(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    open(path)?
        .read_to_end(&mut out)
        .map_err(CliError::io(path))?;
    Ok(out)
}

/// Writes `path` atomically: the bytes go to a temporary file in the same folder, which is
/// flushed to disk and then renamed over `path`. A crash leaves the old file or the new
/// one, never half of one.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    replace(path, |f| {
        let mut w = io::BufWriter::new(f);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())
    })
    .map_err(CliError::io(path))
}

/// Makes sure an output can be written before long work: its folder is created if
/// missing (a mistyped or read-only one fails now, not after an hour of training).
pub fn prepare_output(path: &Path) -> Result<(), CliError> {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => {
            fs::create_dir_all(d).map_err(CliError::io(d.to_path_buf()))
        }
        _ => Ok(()),
    }
}
