//! The engine's errors: a tree ensemble that breaks its invariants, one the engine cannot
//! run, or rows of the wrong shape.

use alloc::string::String;
use core::fmt;

/// Everything that can go wrong in the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A structurally invalid ensemble.
    Malformed(String),
    /// A valid ensemble that uses something the engine does not implement.
    Unsupported(String),
    /// Input of the wrong shape for the ensemble.
    InputShape {
        /// Values the ensemble expects (per row, or in all).
        expected: usize,
        /// Values received.
        got: usize,
    },
}

impl Error {
    /// A short, stable, machine-readable code for the error (used by the HTTP and JS APIs).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Malformed(_) => "malformed_model",
            Error::Unsupported(_) => "unsupported_model",
            Error::InputShape { .. } => "bad_input_shape",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(m) => write!(f, "malformed model: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported model: {m}"),
            Error::InputShape { expected, got } => write!(
                f,
                "input has {got} values where the model expects {expected}"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
