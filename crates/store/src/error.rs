//! Errors of object storage and the registry: each says where (the store and the key) and
//! what to do.

/// Errors of [`crate::Objects`] and everything built on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A location aqcast cannot open.
    #[error("{0}")]
    Location(String),
    /// An object that should be there is not.
    #[error("{location}: no object {key}")]
    NotFound {
        /// The store.
        location: String,
        /// The key.
        key: String,
    },
    /// The store refused the credentials.
    #[error("{location}: access denied: {message}")]
    Denied {
        /// The store.
        location: String,
        /// What the store said.
        message: String,
    },
    /// The store could not be reached, or failed in a way that may pass (retried).
    #[error("{location}: the store is unavailable: {message}")]
    Unavailable {
        /// The store.
        location: String,
        /// What failed.
        message: String,
    },
    /// A read or write failed (a full or read-only disk, an invalid key, …).
    #[error("{location}: {key}: {message}")]
    Storage {
        /// The store.
        location: String,
        /// The key.
        key: String,
        /// What failed.
        message: String,
    },
    /// An object is not what aqcast wrote (a broken document, a hash that does not match).
    #[error("{location}: {key}: {message}")]
    Corrupt {
        /// The store.
        location: String,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A request the registry cannot do (an unknown version, a bad name or tag).
    #[error("{0}")]
    Registry(String),
    /// Too many writers changed a document at once for this update to get in.
    #[error("{location}: {key}: changed by other writers {attempts} times in a row; try again")]
    Contended {
        /// The store.
        location: String,
        /// The key.
        key: String,
        /// Attempts made.
        attempts: u32,
    },
}

impl Error {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable { .. } | Error::Contended { .. })
    }
}
