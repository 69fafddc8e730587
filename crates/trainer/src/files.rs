//! Reading inputs (plain or gzip) and writing outputs atomically.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::CliError;

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

/// Reads `r` as it is, or through a gzip decoder when it starts with gzip's magic bytes
/// (so `.gz` files, and gzip files with any name, read the same way everywhere).
pub fn decompressing(r: impl Read + 'static) -> io::Result<Box<dyn Read>> {
    let mut r = BufReader::with_capacity(1 << 16, r);
    if r.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(r)))
    } else {
        Ok(Box::new(r))
    }
}

/// Longest line a CSV input may have (header, record or field): 1 MiB. Beyond it a
/// reader fails instead of buffering the line (a gzip bomb of zeros is one endless
/// line).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A reader that fails once a line grows past [`MAX_LINE_BYTES`], so that what reads
/// through it (the CSV parser) never holds more than one such line.
pub struct LineLimit<R> {
    inner: R,
    since_newline: usize,
}

impl<R: Read> LineLimit<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        LineLimit {
            inner,
            since_newline: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match buf[..n].iter().rposition(|&b| b == b'\n') {
            Some(i) => self.since_newline = n - i - 1,
            None => self.since_newline += n,
        }
        if self.since_newline > MAX_LINE_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {MAX_LINE_BYTES} bytes (1 MiB); is this a CSV file?"),
            ));
        }
        Ok(n)
    }
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

/// The one atomic replace of the trainer (CLI outputs, the store's parts and manifest):
/// `write` fills a temporary file in `path`'s folder (which must exist) and hands it back;
/// it is fsynced, renamed over `path`, and the folder fsynced. On failure the temporary
/// file is removed.
pub fn replace(path: &Path, write: impl FnOnce(File) -> io::Result<File>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let f = write(File::create(&tmp)?)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
