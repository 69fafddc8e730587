//! The CLI's error type: every variant says what went wrong and where (file, line, column).

use std::path::PathBuf;

/// Everything the `aqcast` commands can fail with. All of them exit with code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A model file is invalid or unsupported.
    #[error("{}: {source}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// What the core said.
        source: aqcast_core::Error,
    },
    /// A value in an input table is wrong.
    #[error("{}, line {line}, column {column}: {message}", path.display())]
    Table {
        /// The input file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// Column name (or number).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// An input table has the wrong columns.
    #[error("{}: {message}", path.display())]
    Columns {
        /// The input file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A task or pipeline file that cannot work, or something it needs that is missing
    /// (a section, a setting, data in the store).
    #[error("{}: {message}", path.display())]
    Task {
        /// The task, pipeline or model file.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Training, tuning or measuring failed.
    #[error("{}: {source}", path.display())]
    Train {
        /// The task file (or the model measured).
        path: PathBuf,
        /// What the trainer said.
        source: Box<aqcast_train::Error>,
    },
    /// A fetch from a network stopped.
    #[error(transparent)]
    Fetch(#[from] aqcast_feeds::Error),
    /// Ingestion stopped.
    #[error(transparent)]
    Ingest(#[from] aqcast_store::ingest::IngestError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] aqcast_store::data::StoreError),
    /// A task file's pipeline cannot work, or cannot be fitted on the data.
    #[error("{}: {source}", path.display())]
    Config {
        /// The task file.
        path: PathBuf,
        /// What the core said.
        source: aqcast_core::Error,
    },
    /// Object storage or the registry failed.
    #[error(transparent)]
    Objects(#[from] aqcast_store::Error),
    /// A forecast could not be made (no recent data, a station the model does not know…).
    #[error("{}: site {site:?}: {source}", model.display())]
    Forecast {
        /// The model file.
        model: PathBuf,
        /// The station.
        site: String,
        /// Why, as the core says.
        source: aqcast_core::Error,
    },
    /// A command-line argument is wrong.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }

    /// Wraps a core pipeline error with the task file's path.
    pub fn config<E: Into<aqcast_core::Error>>(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(E) -> CliError {
        let path = path.into();
        move |source| CliError::Config {
            path,
            source: source.into(),
        }
    }

    /// Wraps a trainer's error with the task file's path.
    pub fn train(path: impl Into<PathBuf>) -> impl FnOnce(aqcast_train::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Train {
            path,
            source: Box::new(source),
        }
    }

    /// Wraps a core error with the model's path.
    pub fn model<E: Into<aqcast_core::Error>>(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(E) -> CliError {
        let path = path.into();
        move |source| CliError::Model {
            path,
            source: source.into(),
        }
    }
}
