//! Why a value is refused, and the quarantine file that keeps every refused value.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Why a value was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The line has fewer fields than the header.
    MissingFields,
    /// The timestamp is not a date (and time) of the format.
    BadTime,
    /// The value is not a number.
    NotANumber,
    /// A concentration below zero.
    Negative,
    /// A value outside what the variable can physically be (`vocab::bounds`), or one
    /// that overflows when converted to the canonical unit.
    Implausible,
    /// A unit aqcast cannot convert from.
    UnknownUnit,
    /// A parameter aqcast does not store.
    UnknownParameter,
    /// The site id is empty.
    NoSite,
    /// The site id is too long for a partition folder name (`store::name_fits`).
    SiteIdTooLong,
    /// A second value for the same site, variable and time in one file.
    Duplicate,
}

impl Reason {
    /// The stable name used in the quarantine file, the summary and the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Reason::MissingFields => "missing fields",
            Reason::BadTime => "bad timestamp",
            Reason::NotANumber => "not a number",
            Reason::Negative => "negative concentration",
            Reason::Implausible => "beyond physical bounds",
            Reason::UnknownUnit => "unknown unit",
            Reason::UnknownParameter => "unknown parameter",
            Reason::NoSite => "no site id",
            Reason::SiteIdTooLong => "site id too long",
            Reason::Duplicate => "duplicate timestamp",
        }
    }
}

/// Longest value text a quarantine file keeps (longer ones are cut, with their length).
pub const MAX_QUARANTINED: usize = 256;

/// Rejected values of one source file, written as CSV (`file,line,column,reason,value`)
/// to a temporary file that becomes the quarantine file only when the source file is
/// committed.
pub struct Quarantine {
    source: String,
    path: PathBuf,
    tmp: PathBuf,
    out: Option<csv::Writer<File>>,
}

impl Quarantine {
    /// A quarantine for `source` (the name written in each row) that will end at `path`.
    pub fn new(source: String, path: PathBuf) -> Quarantine {
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        Quarantine {
            source,
            path,
            tmp,
            out: None,
        }
    }

    /// Records one rejected value.
    pub fn add(&mut self, line: u64, column: &str, reason: Reason, value: &[u8]) -> io::Result<()> {
        if self.out.is_none() {
            if let Some(d) = self.tmp.parent() {
                fs::create_dir_all(d)?;
            }
            let mut w = csv::Writer::from_writer(File::create(&self.tmp)?);
            w.write_record(["file", "line", "column", "reason", "value"])
                .map_err(io::Error::other)?;
            self.out = Some(w);
        }
        let w = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("quarantine closed"))?;
        // A long value is kept as an excerpt: the quarantine file says where to look,
        // it does not copy a damaged file.
        let excerpt;
        let value = if value.len() > MAX_QUARANTINED {
            let mut v = value[..MAX_QUARANTINED].to_vec();
            v.extend_from_slice(format!("… ({} bytes)", value.len()).as_bytes());
            excerpt = v;
            &excerpt[..]
        } else {
            value
        };
        w.write_record([
            self.source.as_bytes(),
            line.to_string().as_bytes(),
            column.as_bytes(),
            reason.name().as_bytes(),
            value,
        ])
        .map_err(io::Error::other)
    }

    /// Makes the quarantine file durable under its final name; returns it if any value
    /// was rejected.
    pub fn commit(mut self) -> io::Result<Option<PathBuf>> {
        let Some(w) = self.out.take() else {
            return Ok(None);
        };
        let f = w
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        f.sync_all()?;
        fs::rename(&self.tmp, &self.path)?;
        if let Some(d) = self.path.parent().and_then(|d| File::open(d).ok()) {
            let _ = d.sync_all();
        }
        Ok(Some(self.path.clone()))
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Quarantine {
    fn drop(&mut self) {
        // Not committed: leave nothing behind.
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
