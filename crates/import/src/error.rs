//! The importers' errors: a file of another library that cannot be parsed (with its line,
//! where the format has lines), one that uses something aqcast does not implement, or a
//! model that breaks aqcast's invariants.

use alloc::string::String;
use core::fmt;

/// Everything that can go wrong importing or loading a model file.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A LightGBM or XGBoost model file could not be parsed.
    Parse {
        /// `"LightGBM"` or `"XGBoost"`.
        format: &'static str,
        /// 1-based line of the model file, when the format is line based.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A valid model file that uses something aqcast does not implement, or a file that
    /// is not one this importer takes.
    Unsupported(String),
    /// The model, once read, is not a valid aqcast model (or an `.aqm` artifact that does
    /// not decode).
    Model(aqcast_forecast::Error),
}

impl Error {
    /// A short, stable, machine-readable code for the error (used by the HTTP and JS APIs).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Parse { .. } => "import_failed",
            Error::Unsupported(_) => "unsupported_model",
            Error::Model(e) => e.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse {
                format,
                line: Some(line),
                message,
            } => write!(f, "{format} model, line {line}: {message}"),
            Error::Parse {
                format,
                line: None,
                message,
            } => write!(f, "{format} model: {message}"),
            Error::Unsupported(m) => write!(f, "unsupported model: {m}"),
            Error::Model(e) => e.fmt(f),
        }
    }
}

impl From<aqcast_forecast::Error> for Error {
    fn from(e: aqcast_forecast::Error) -> Error {
        Error::Model(e)
    }
}

impl From<aqcast_engine::Error> for Error {
    fn from(e: aqcast_engine::Error) -> Error {
        Error::Model(e.into())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
