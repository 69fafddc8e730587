//! The error type of the forecasting crate: artifacts, pipelines, AQI and forecasts. Every
//! message says what was wrong and, where it can, where (byte offset, line, tree, node) and
//! what to do about it; every variant has a stable `code()` that the HTTP and JS APIs
//! answer with.

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
}

/// The engine's errors keep their variant (and so their code and message).
impl From<aqcast_engine::Error> for Error {
    fn from(e: aqcast_engine::Error) -> Error {
        match e {
            aqcast_engine::Error::Malformed(m) => Error::Malformed(m),
            aqcast_engine::Error::Unsupported(m) => Error::Unsupported(m),
            aqcast_engine::Error::InputShape { expected, got } => {
                Error::InputShape { expected, got }
            }
        }
    }
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
            Error::Unsupported(_) => "unsupported_model",
            Error::InputShape { .. } => "bad_input_shape",
            Error::NoSuchHead { .. } => "no_such_head",
            Error::Aqi(_) => "aqi_undefined",
            Error::Pipeline(_) => "bad_pipeline",
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
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// A number in a message, written as the shortest text that reads back as the same `f64`
/// (`NaN`, `inf`, `-inf` for the others). It is what every message of the core uses for
/// floats: `core`'s float formatting is several times larger, which matters in the npm
/// package's wasm.
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ryu::Buffer::new().format(self.0))
    }
}

/// Text in a message, in double quotes, with quotes, backslashes and control characters
/// escaped (so that a station id taken from a URL can neither break a message nor drive
/// a terminal), without the Unicode tables that `{:?}` would link into a small wasm
/// module.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use core::fmt::Write;
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn quoted_text_escapes_what_could_break_a_message() {
        assert_eq!(format!("{}", Quoted("no2")), "\"no2\"");
        assert_eq!(format!("{}", Quoted("a\"b\\c")), "\"a\\\"b\\\\c\"");
        assert_eq!(
            format!("{}", Quoted("x\u{1b}[31my\n")),
            "\"x\\u{1b}[31my\\u{a}\""
        );
        // Other text as it is.
        assert_eq!(format!("{}", Quoted("Zürich ₂")), "\"Zürich ₂\"");
    }
}
