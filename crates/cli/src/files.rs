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

/// Most bytes a file read whole (a model, a report, a task) may hold once decompressed:
/// 256 MiB, ten times the largest model aqcast trains. Beyond it the read stops with an
/// error instead of filling memory (a 7 MB gzip bomb is 3 GB of zeros).
pub const MAX_READ_BYTES: u64 = 256 << 20;

/// Reads a whole file (decompressing `.gz`), at most [`MAX_READ_BYTES`].
pub fn read_all(path: &Path) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    open(path)?
        .take(MAX_READ_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(CliError::io(path))?;
    if out.len() as u64 > MAX_READ_BYTES {
        return Err(CliError::io(path)(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "more than {} MiB once decompressed: not a file aqcast reads whole (a gzip bomb?)",
                MAX_READ_BYTES >> 20
            ),
        )));
    }
    Ok(out)
}

/// Writes `path` atomically: the bytes go to a temporary file in the same folder, which is
/// flushed to disk and then renamed over `path`. A crash leaves the old file or the new
/// one, never half of one.
///
/// The rename is for regular files only. A symbolic link is kept and the file it points
/// to is replaced, when the link and that file have one owner (a link someone else
/// planted towards your file is refused); a character device or a FIFO (`/dev/null`, a
/// named pipe) and anything under `/dev/` or `/proc/` (`/dev/stdout`, whatever it is
/// redirected to) are written through, never replaced; a folder, a socket or a block
/// device is refused.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), CliError> {
    match output_kind(path).map_err(CliError::io(path))? {
        Output::Replace(target) => replace(&target, |f| {
            let mut w = io::BufWriter::new(f);
            write(&mut w)?;
            w.into_inner().map_err(|e| e.into_error())
        }),
        // Appending: through `/dev/stdout` redirected to a file, what is already there
        // (a `>>` log, lines printed before) stays; a device or a pipe has no end to keep.
        Output::Through => fs::OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|f| {
                let mut w = io::BufWriter::new(f);
                write(&mut w)?;
                w.flush()
            }),
    }
    .map_err(CliError::io(path))
}

/// How an output path is written.
enum Output {
    /// Atomically, by renaming a new file over this path.
    Replace(std::path::PathBuf),
    /// In place: a device, a pipe, a process's descriptor.
    Through,
}

/// Whether a file type is a character device or a pipe (written through), and whether it
/// is a block device (refused); neither exists outside Unix.
#[cfg(unix)]
fn special(t: &fs::FileType) -> (bool, bool) {
    use std::os::unix::fs::FileTypeExt;
    (t.is_char_device() || t.is_fifo(), t.is_block_device())
}

#[cfg(not(unix))]
fn special(_: &fs::FileType) -> (bool, bool) {
    (false, false)
}

/// Whether a link and the file it leads to have one owner (outside Unix: yes).
#[cfg(unix)]
fn same_owner(link: &fs::Metadata, target: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    link.uid() == target.uid()
}

#[cfg(not(unix))]
fn same_owner(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    true
}

fn output_kind(path: &Path) -> io::Result<Output> {
    let refuse = |what: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what}: give the path of a file to write"),
        ))
    };
    // A process's own descriptors and devices (`/dev/stdout` is a link to the file the
    // output is redirected to: renaming over it would replace that file).
    if path.starts_with("/dev") || path.starts_with("/proc") {
        return Ok(Output::Through);
    }
    let link = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Output::Replace(path.to_path_buf()))
        }
        Err(e) => return Err(e),
    };
    let meta = if link.file_type().is_symlink() {
        match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return refuse("a symbolic link to nothing")
            }
            Err(e) => return Err(e),
        }
    } else {
        link.clone()
    };
    let t = meta.file_type();
    let (through, block) = special(&t);
    if t.is_file() {
        if link.file_type().is_symlink() && !same_owner(&link, &meta) {
            return refuse(
                "a symbolic link owned by someone other than the file it points to (not \
                 followed)",
            );
        }
        let target = fs::canonicalize(path)?;
        if target.starts_with("/proc") || target.starts_with("/dev") {
            return Ok(Output::Through);
        }
        // The file a link points to is replaced; the link stays.
        Ok(Output::Replace(target))
    } else if through {
        Ok(Output::Through)
    } else if t.is_dir() {
        refuse("a folder")
    } else if block {
        refuse("a block device (aqcast does not overwrite disks)")
    } else {
        refuse("not a regular file, a character device or a pipe")
    }
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
