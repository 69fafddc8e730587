//! `aqcast ingest`: measurement files → the store, streaming, with a manifest that makes
//! re-runs safe.
//!
//! For each file: hash it (BLAKE3); skip it if the manifest lists that hash; delete parts an
//! interrupted run left for it; stream its records through the format's [`Parser`] into a
//! [`Sink`] (bounded buffers, part files written atomically); then make its quarantine
//! file durable and append it to the manifest (atomic replace). Only then is the file
//! "taken", so killing the process at any moment and running again neither loses nor
//! doubles a row.

pub mod formats;
pub mod reject;
pub mod sink;
pub mod vocab;

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{Store, StoreError, TakenFile};
use formats::Parser;
pub use formats::{Format, Mapping};
use sink::{Sink, SinkError};

/// Why a file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file cannot be read as any supported format, or a read failed midway.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line, where it applies.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// `--strict`: a value was rejected.
    #[error("{}, line {line}, column {column}: {} ({value:?}); without --strict such values go to the quarantine file", path.display(), reason.name())]
    Strict {
        /// The file.
        path: PathBuf,
        /// Line.
        line: u64,
        /// Column.
        column: String,
        /// Why.
        reason: reject::Reason,
        /// The value.
        value: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to ingest and how.
pub struct Options {
    /// Files and folders.
    pub paths: Vec<PathBuf>,
    /// Column mappings (`--map`).
    pub maps: Vec<Mapping>,
    /// Site id for files that have no site column (default: the file's name).
    pub site: Option<String>,
    /// Fail on the first rejected value.
    pub strict: bool,
    /// Move each taken file here.
    pub archive: Option<PathBuf>,
    /// How wide and mapped files' timestamps read (`--time-format`, `--utc-offset`).
    pub clock: formats::Clock,
}

/// Most columns an input may have: a wide file has a column per pollutant (and per site in
/// some exports); tens of thousands are not measurements, and each would become a
/// partition.
pub const MAX_COLUMNS: usize = 2_000;

/// How old a part of a file the manifest does not list must be before an ingest removes
/// it (see [`Store::remove_orphans`]).
pub const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// The outcome for one file.
pub enum Outcome {
    /// Taken now.
    Taken(TakenFile),
    /// Taken by an earlier run (same content).
    AlreadyTaken(TakenFile),
    /// Not taken.
    Refused(IngestError),
}

/// Files under `paths`: files given by name, and in folders (recursively) every `.csv`,
/// `.csv.gz`, `.dat` and `.dat.gz`, in name order; a folder reached twice (a link back up
/// the tree) is walked once. What is not a regular file is refused when it is read.
pub fn collect(paths: &[PathBuf], skip: &Path) -> Result<Vec<PathBuf>, IngestError> {
    // The store's own folder is never read as input (its quarantine files are CSV).
    let skip = skip.canonicalize().ok();
    fn walk(
        dir: &Path,
        out: &mut Vec<PathBuf>,
        skip: Option<&Path>,
        seen: &mut std::collections::HashSet<PathBuf>,
    ) -> Result<(), IngestError> {
        let Ok(real) = dir.canonicalize() else {
            tracing::warn!("{}: a link to nothing; skipped", dir.display());
            return Ok(());
        };
        if Some(real.as_path()) == skip || !seen.insert(real) {
            return Ok(());
        }
        let rd = fs::read_dir(dir).map_err(StoreError::io(dir))?;
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out, skip, seen)?;
            } else {
                let n = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if [".csv", ".csv.gz", ".dat", ".dat.gz"]
                    .iter()
                    .any(|e| n.ends_with(e))
                    && !n.starts_with('.')
                {
                    out.push(p);
                }
            }
        }
        Ok(())
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out, skip.as_deref(), &mut seen)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(IngestError::File {
                path: p.clone(),
                line: None,
                message: "no such file or folder".into(),
            });
        }
    }
    Ok(out)
}

/// What observations are read from: a file, or bytes a feed answered with (named for the
/// manifest and for errors: `openaq:sensors/3920/hours…`).
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// A file on disk (plain or gzip).
    File(&'a Path),
    /// Bytes in one of the formats files come in (plain or gzip).
    Bytes {
        /// What they are, for the manifest and for errors.
        name: &'a str,
        /// The content.
        bytes: &'a [u8],
    },
}

impl Input<'_> {
    /// The path errors and the manifest name the input by.
    fn path(&self) -> PathBuf {
        match self {
            Input::File(p) => p.to_path_buf(),
            Input::Bytes { name, .. } => PathBuf::from(name),
        }
    }

    /// The input's name, the basis of the format's detection by name.
    fn file_name(&self) -> String {
        match self {
            Input::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Input::Bytes { name, .. } => (*name).to_string(),
        }
    }

    /// A reader over the content, as it is stored (compressed or not).
    fn open(&self) -> Result<Box<dyn Read + 'static>, StoreError> {
        match self {
            Input::File(p) => {
                // A pipe or a device would be read without end (or wait for a writer for
                // ever): only regular files, checked before opening.
                if fs::metadata(p).is_ok_and(|m| !m.is_file()) {
                    return Err(StoreError::io(*p)(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "not a regular file (a pipe or a device): aqcast takes files it can \
                         hash, re-read and archive; write the data to a file first",
                    )));
                }
                Ok(Box::new(File::open(p).map_err(StoreError::io(*p))?))
            }
            Input::Bytes { bytes, .. } => Ok(Box::new(io::Cursor::new(bytes.to_vec()))),
        }
    }

    fn size(&self) -> u64 {
        match self {
            Input::File(p) => p.metadata().map(|m| m.len()).unwrap_or(0),
            Input::Bytes { bytes, .. } => bytes.len() as u64,
        }
    }
}

/// The input's BLAKE3 (what names its parts) and SHA-256 (what provenance records cite)
/// hashes, and its size: one read.
fn hash_input(input: Input, bar: &ProgressBar) -> Result<(String, String, u64), IngestError> {
    use sha2::Digest;
    let path = input.path();
    let mut f = input.open()?;
    let mut h = blake3::Hasher::new();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(StoreError::io(&path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        sha.update(&buf[..k]);
        n += k as u64;
        bar.inc(k as u64 / 2);
    }
    let sha: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((h.finalize().to_hex().to_string(), sha, n))
}

/// The file's name without `.gz` and the format extension: the default site id.
fn stem(path: &Path) -> String {
    let mut n = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for ext in [".gz", ".csv", ".dat", ".txt"] {
        if n.to_ascii_lowercase().ends_with(ext) {
            n.truncate(n.len() - ext.len());
        }
    }
    n
}

/// Ingests every file; returns one outcome per file. Stops at the first refused file
/// with `--strict`.
pub fn run(store: &Store, opts: &Options) -> Result<Vec<(PathBuf, Outcome)>, IngestError> {
    let _lock = store.lock()?;
    let files = collect(&opts.paths, store.root())?;
    let total: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut manifest = store.manifest()?;
    let removed = store.remove_orphans(&manifest, ORPHAN_AGE)?;
    if removed > 0 {
        tracing::warn!("removed {removed} part files an interrupted run left");
    }
    let mut out = Vec::new();
    for path in files {
        bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        let outcome = match take(store, &mut manifest, Input::File(&path), opts, &bar) {
            Ok(o) => o,
            Err(e) => {
                bar.finish_and_clear();
                return Err(e);
            }
        };
        if let (Some(dir), Outcome::Taken(t) | Outcome::AlreadyTaken(t)) = (&opts.archive, &outcome)
        {
            // Archived too when taken by an earlier run: one killed between its manifest
            // write and the move left it.
            archive(&path, dir, t.id())?;
        }
        out.push((path, outcome));
    }
    bar.finish_and_clear();
    Ok(out)
}

/// Takes one input into the store (the caller holds the store's lock): skipped when the
/// manifest lists its content, else its values are streamed into part files and, once
/// they and its quarantine file are durable, it is appended to `manifest` (saved
/// atomically). A refused input leaves nothing in the store. `Err` only with
/// `opts.strict` or when the store itself fails.
pub fn take(
    store: &Store,
    manifest: &mut crate::data::Manifest,
    input: Input,
    opts: &Options,
    bar: &ProgressBar,
) -> Result<Outcome, IngestError> {
    let path = input.path();
    let size = input.size();
    let (hash, sha256, bytes) = match hash_input(input, bar) {
        Ok(h) => h,
        // An unreadable input is refused like a malformed one; the others go on.
        Err(e) if !opts.strict => {
            tracing::info!("refused: {e}");
            return Ok(Outcome::Refused(e));
        }
        Err(e) => return Err(e),
    };
    if let Some(t) = manifest.find(&hash) {
        tracing::info!(file = %path.display(), "already taken (same content) on {}", t.taken_at);
        bar.inc(size - size / 2);
        return Ok(Outcome::AlreadyTaken(t.clone()));
    }
    let id = hash[..16].to_string();
    let removed = store.remove_parts_of(&id)?;
    if removed > 0 {
        tracing::warn!(file = %path.display(), "removed {removed} part files of an interrupted run");
    }
    let started = Instant::now();
    let result = ingest_input(store, input, &id, opts, bar).and_then(|(format, lines, done)| {
        // An input that gives no value at all is refused, not recorded as taken: its
        // mapping or format is wrong, and a corrected run must be able to take it.
        if done.stats.observations > 0 {
            return Ok((format, lines, done));
        }
        let reasons: Vec<String> = done
            .stats
            .rejected
            .iter()
            .map(|(r, n)| format!("{n} {}", r.name()))
            .collect();
        // Its quarantine file goes too: the store keeps nothing of a refused input.
        let q = store.quarantine_path(&id);
        if q.exists() {
            fs::remove_file(&q).map_err(StoreError::io(&q))?;
        }
        let why = if reasons.is_empty() {
            format!("all {} values are missing", done.stats.missing)
        } else {
            format!("every value was rejected: {}", reasons.join(", "))
        };
        Err(IngestError::File {
            path: path.clone(),
            line: None,
            message: format!(
                "no value could be taken ({why}): check the file's format, --map and --site, then run again"
            ),
        })
    });
    match result {
        Ok((format, lines, done)) => {
            let sink::Finished {
                stats,
                variables,
                sites,
                quarantine,
                site_facts,
            } = done;
            // RFC 3339 from the core's civil time: data before 1970 keep their dates.
            let fmt_t = |t: i64| {
                format!(
                    "{}Z",
                    aqcast_core::time::format_datetime(t).replacen(' ', "T", 1)
                )
            };
            let taken = TakenFile {
                name: path.display().to_string(),
                blake3: hash,
                sha256,
                bytes,
                format: format.name().into(),
                lines,
                observations: stats.observations,
                rejected: stats.rejected.values().sum(),
                missing: stats.missing,
                repeated: stats.repeated,
                rejected_by_reason: stats
                    .rejected
                    .iter()
                    .map(|(r, n)| (r.name().to_string(), *n))
                    .collect(),
                variables,
                sites,
                start: stats.span.map(|s| fmt_t(s.0)),
                end: stats.span.map(|s| fmt_t(s.1)),
                taken_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                seconds: started.elapsed().as_secs_f64(),
                quarantine: quarantine.map(|q| {
                    q.strip_prefix(store.root())
                        .unwrap_or(&q)
                        .display()
                        .to_string()
                }),
                site_facts,
            };
            manifest.files.push(taken.clone());
            store.save_manifest(manifest)?;
            tracing::info!(file = %path.display(), observations = taken.observations, rejected = taken.rejected, "taken");
            Ok(Outcome::Taken(taken))
        }
        Err(e) => {
            // Nothing of a refused input stays in the store.
            store.remove_parts_of(&id)?;
            if opts.strict {
                return Err(e);
            }
            tracing::info!("refused: {e}");
            Ok(Outcome::Refused(e))
        }
    }
}

fn ingest_input(
    store: &Store,
    input: Input,
    id: &str,
    opts: &Options,
    bar: &ProgressBar,
) -> Result<(Format, u64, sink::Finished), IngestError> {
    let path = &input.path();
    let file_err = |line: Option<u64>, message: String| IngestError::File {
        path: path.to_path_buf(),
        line,
        message,
    };
    let f = input.open()?;
    // Half the bar is the hash pass, half this one.
    let inner = crate::files::decompressing(bar.wrap_read(f)).map_err(StoreError::io(path))?;
    let inner = crate::files::LineLimit::new(inner);
    let mut r = BufReader::with_capacity(1 << 16, inner);
    let head = r
        .fill_buf()
        .map_err(|e| file_err(Some(1), format!("cannot read: {e}")))?;
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(file_err(None, "empty file: no header and no data".into()));
    }
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let delimiter = if first_line.contains(&b'|') && !first_line.contains(&b',') {
        b'|'
    } else {
        b','
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(r);
    // `at`: the line the reader stood on, for errors (a truncated gzip) that carry none.
    let read_err = |e: csv::Error, at: u64| {
        let line = e.position().map(|p| p.line()).or(Some(at.max(1)));
        let msg = match e.kind() {
            csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof => {
                "the file ends in the middle (a truncated or damaged gzip file?)".to_string()
            }
            _ => format!("cannot read: {e}"),
        };
        file_err(line, msg)
    };
    let mut rec = csv::ByteRecord::new();
    if !csv.read_byte_record(&mut rec).map_err(|e| read_err(e, 1))? {
        return Err(file_err(None, "empty file: no header and no data".into()));
    }
    if rec.len() > MAX_COLUMNS {
        return Err(file_err(
            Some(1),
            format!(
                "{} columns; aqcast reads files of at most {MAX_COLUMNS} (every measurement \
                 column becomes a partition of the store): split the file, or is it not a \
                 measurement file?",
                rec.len()
            ),
        ));
    }
    let name = input.file_name();
    let default_site = opts.site.clone().unwrap_or_else(|| stem(path));
    let mut sink = Sink::new(store, id, path.display().to_string(), opts.strict);
    let mut parser = Parser::detect(
        &rec,
        &name,
        &opts.clock,
        &opts.maps,
        &default_site,
        &mut sink,
    )
    .map_err(|m| file_err(Some(1), m))?;
    let strict = |e: SinkError| match e {
        SinkError::Strict {
            line,
            column,
            reason,
            value,
        } => IngestError::Strict {
            path: path.to_path_buf(),
            line,
            column,
            reason,
            value,
        },
        SinkError::Store(s) => IngestError::Store(s),
    };
    let mut lines = 0u64;
    if parser.first_record_is_data() {
        lines += 1;
        parser.record(&rec, 1, &mut sink).map_err(strict)?;
    }
    while csv
        .read_byte_record(&mut rec)
        .map_err(|e| read_err(e, csv.position().line()))?
    {
        lines += 1;
        let line = rec.position().map_or(lines + 1, |p| p.line());
        parser.record(&rec, line, &mut sink).map_err(strict)?;
    }
    let out = sink.finish().map_err(strict)?;
    Ok((parser.format, lines, out))
}

/// Moves a taken file into the archive folder (copying across file systems).
fn archive(path: &Path, dir: &Path, id: &str) -> Result<(), StoreError> {
    fs::create_dir_all(dir).map_err(StoreError::io(dir))?;
    // A file already in the archive stays where it is.
    let here = path.parent().and_then(|p| p.canonicalize().ok());
    if here.is_some() && here == dir.canonicalize().ok() {
        return Ok(());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut dest = dir.join(&name);
    if dest.exists() {
        dest = dir.join(format!("{id}-{name}"));
    }
    if fs::rename(path, &dest).is_err() {
        fs::copy(path, &dest).map_err(StoreError::io(&dest))?;
        File::open(&dest)
            .and_then(|f| f.sync_all())
            .map_err(StoreError::io(&dest))?;
        fs::remove_file(path).map_err(StoreError::io(path))?;
    }
    Ok(())
}
