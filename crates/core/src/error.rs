//! [`Error`]: any error of the core's parts, for the front ends. Each part has its own
//! typed error, with one variant per cause and a stable `code()`; this enum says which
//! part failed and keeps the part's error whole, so a front end can map every cause to
//! its own answer (an HTTP status, a JS error code, a CLI message).

use core::fmt;

/// The error type of [`aqcast_engine`]: a malformed or unsupported ensemble, rows of the
/// wrong shape.
pub use aqcast_engine::Error as EngineError;

/// The error type of [`aqcast_forecast`]: artifacts, pipelines, the AQI and forecasts
/// (and the engine's errors, which it keeps variant for variant).
pub use aqcast_forecast::Error as ModelError;

/// Any error of the core.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A model, its pipeline or the AQI ([`aqcast_forecast::Error`], which also holds
    /// the engine's errors).
    Model(ModelError),
    /// A forecast that the data do not allow ([`aqcast_forecast::forecast::Error`], one
    /// variant per cause).
    Forecast(aqcast_forecast::forecast::Error),
    /// Importing another library's model file ([`aqcast_import::Error`]).
    Import(aqcast_import::Error),
    /// A published document or object ([`aqcast_published::Error`]).
    Published(aqcast_published::Error),
}

impl Error {
    /// The part's short, stable, machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Model(e) => e.code(),
            Error::Forecast(e) => e.code(),
            Error::Import(e) => e.code(),
            Error::Published(e) => e.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Model(e) => e.fmt(f),
            Error::Forecast(e) => e.fmt(f),
            Error::Import(e) => e.fmt(f),
            Error::Published(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// An error of the core: a stable machine-readable code and a message for a person.
/// Every part's error type has it, so a front end can answer any of them without first
/// converting it into [`Error`] (which would link every part's messages into a small
/// wasm module that uses one part).
pub trait Coded: fmt::Display {
    /// The short, stable, machine-readable code.
    fn code(&self) -> &'static str;
}

macro_rules! coded {
    ($($t:ty),*) => {$(
        impl Coded for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
        }
    )*};
}

coded!(
    Error,
    ModelError,
    aqcast_engine::Error,
    aqcast_forecast::forecast::Error,
    aqcast_import::Error,
    aqcast_published::Error
);

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Error {
        Error::Model(e)
    }
}

impl From<aqcast_engine::Error> for Error {
    fn from(e: aqcast_engine::Error) -> Error {
        Error::Model(e.into())
    }
}

impl From<aqcast_forecast::forecast::Error> for Error {
    fn from(e: aqcast_forecast::forecast::Error) -> Error {
        match e {
            // A model that failed while forecasting is the model's error.
            aqcast_forecast::forecast::Error::Model(m) => Error::Model(m),
            other => Error::Forecast(other),
        }
    }
}

impl From<aqcast_import::Error> for Error {
    fn from(e: aqcast_import::Error) -> Error {
        match e {
            // A model file that decoded as aqcast's own is the model's error.
            aqcast_import::Error::Model(m) => Error::Model(m),
            other => Error::Import(other),
        }
    }
}

impl From<aqcast_published::Error> for Error {
    fn from(e: aqcast_published::Error) -> Error {
        Error::Published(e)
    }
}
