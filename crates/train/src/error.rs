//! The trainer's errors: one variant per kind of cause, each saying what to change.

/// Everything training, tuning and measuring can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter or a task setting outside its range (names the setting).
    #[error("{0}")]
    Setting(String),
    /// Labels the objective cannot take (a missing target, a negative one for Poisson).
    #[error("{0}")]
    Labels(String),
    /// No rows to learn from, or too few for what was asked.
    #[error("{0}")]
    TooFewRows(String),
    /// Feature columns that do not have one value per row.
    #[error("every feature column must have one value per row")]
    Ragged,
    /// The worker threads could not start.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    /// The forecast's AQI scale cannot rate the target.
    #[error("the {scale} scale cannot rate {pollutant} ({source}); choose the other scale")]
    Scale {
        /// The scale asked for.
        scale: String,
        /// The target's pollutant.
        pollutant: String,
        /// What the core said.
        source: aqcast_core::Error,
    },
    /// A model of several stations with station features, without every station's
    /// coordinates.
    #[error("station features need every site's coordinates ([data] stations)")]
    StationFacts,
    /// Which part of a run failed (a head, a trial), and why.
    #[error("{what}: {source}")]
    In {
        /// The head or trial.
        what: String,
        /// Why.
        source: Box<Error>,
    },
    /// The core refused what the trainer made or read.
    #[error(transparent)]
    Core(#[from] aqcast_core::Error),
}

impl Error {
    /// This error, said to be about `what` (`quantile 0.9`, `trial 3`, `horizon 24`).
    pub fn about(self, what: impl Into<String>) -> Error {
        Error::In {
            what: what.into(),
            source: Box::new(self),
        }
    }
}

impl From<aqcast_core::ModelError> for Error {
    fn from(e: aqcast_core::ModelError) -> Error {
        Error::Core(e.into())
    }
}

impl From<aqcast_core::EngineError> for Error {
    fn from(e: aqcast_core::EngineError) -> Error {
        Error::Core(e.into())
    }
}
