//! The file handling the data store, ingestion and the CLI share: gzip detected by its
//! magic bytes, a line-length cap for CSV readers, and the one atomic replace.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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

/// The one atomic replace of aqcast (CLI outputs, the store's parts and manifest):
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
        // A new file, never one found there: a link planted at the temporary name is
        // removed, not followed.
        let _ = fs::remove_file(&tmp);
        let f = write(
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?,
        )?;
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
