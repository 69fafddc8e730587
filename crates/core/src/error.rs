//! The one error type of the core. Every message says what was wrong and, where it can,
//! where (byte offset, line, tree, node) and what to do about it.

use alloc::string::String;
use core::fmt;

/// Everything that can go wrong in the core.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The bytes are not an aqcast model artifact (wrong magic number).
    NotAnArtifact,
    /// The artifact was written in a format version this build does not read.
    UnsupportedVersion {
        /// Version found in the file.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The artifact's payload does not match its SHA-256 checksum.
    ChecksumMismatch,
    /// The bytes end before a value that should be there.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte offset at which it was read.
        offset: usize,
    },
    /// A structurally invalid artifact or model.
    Malformed(String),
    /// A LightGBM or XGBoost model file could not be parsed.
    Import {
        /// `"LightGBM"` or `"XGBoost"`.
        format: &'static str,
        /// 1-based line of the model file, when the format is line based.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A valid model that uses something aqcast does not implement.
    Unsupported(String),
    /// Input of the wrong shape for the model.
    InputShape {
        /// Values the model expects (per row, or in all).
        expected: usize,
        /// Values received.
        got: usize,
    },
    /// A head index out of range.
    NoSuchHead {
        /// Index asked for.
        index: usize,
        /// Heads in the model.
        heads: usize,
    },
    /// An AQI request that the chosen table does not define.
    Aqi(String),
    /// A pipeline spec that cannot work, or data it cannot be fitted on.
    Pipeline(String),
    /// A published document (registry, station list, snapshot) that is invalid, or an
    /// object whose hash is not the one listed for it.
    Published(String),
}

impl Error {
    /// A short, stable, machine-readable code for the error (used by the HTTP and JS APIs).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotAnArtifact => "not_an_artifact",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::ChecksumMismatch => "checksum_mismatch",
            Error::Truncated { .. } => "truncated",
            Error::Malformed(_) => "malformed_model",
            Error::Import { .. } => "import_failed",
            Error::Unsupported(_) => "unsupported_model",
            Error::InputShape { .. } => "bad_input_shape",
            Error::NoSuchHead { .. } => "no_such_head",
            Error::Aqi(_) => "aqi_undefined",
            Error::Pipeline(_) => "bad_pipeline",
            Error::Published(_) => "bad_document",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotAnArtifact => f.write_str(
                "not an aqcast model: the file does not start with the .aqm magic number \
                 (LightGBM text and XGBoost JSON models must be imported first)",
            ),
            Error::UnsupportedVersion { found, supported } if found > supported => write!(
                f,
                "model format version {found} is newer than this aqcast reads \
                 ({supported}); upgrade aqcast"
            ),
            Error::UnsupportedVersion { found, supported } => write!(
                f,
                "model format version {found} is older than the oldest this aqcast reads \
                 ({supported}); re-import or retrain the model with this aqcast"
            ),
            Error::ChecksumMismatch => f.write_str(
                "model checksum mismatch: the file is corrupt or was modified after it was written",
            ),
            Error::Truncated { what, offset } => {
                write!(f, "model is truncated: {what} expected at byte {offset}")
            }
            Error::Malformed(m) => write!(f, "malformed model: {m}"),
            Error::Import {
                format,
                line: Some(line),
                message,
            } => write!(f, "{format} model, line {line}: {message}"),
            Error::Import {
                format,
                line: None,
                message,
            } => write!(f, "{format} model: {message}"),
            Error::Unsupported(m) => write!(f, "unsupported model: {m}"),
            Error::InputShape { expected, got } => {
                write!(
                    f,
                    "input has {got} values where the model expects {expected}"
                )
            }
            Error::NoSuchHead { index, heads } => {
                write!(f, "model has {heads} heads; head {index} does not exist")
            }
            Error::Aqi(m) => f.write_str(m),
            Error::Pipeline(m) => write!(f, "pipeline: {m}"),
            Error::Published(m) => f.write_str(m),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// A number in a message, written as the shortest text that reads back as the same `f64`
/// (`NaN`, `inf`, `-inf` for the others). It is what every message of the core uses for
/// floats: `core`'s float formatting is several times larger, which matters in the npm
/// package's wasm.
pub(crate) struct Num(pub(crate) f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ryu::Buffer::new().format(self.0))
    }
}
