//! What can be wrong with a published document or object, one variant per cause, so a
//! reader can tell a missing version (a client's mistake) from a damaged store (an
//! operator's problem).

use alloc::string::String;
use core::fmt;

/// Everything that can go wrong reading or changing a published document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A model name that cannot name objects.
    BadName {
        /// The name given.
        name: String,
    },
    /// A tag that cannot be one.
    BadTag {
        /// The tag given.
        tag: String,
        /// Why not.
        why: &'static str,
    },
    /// A version selector that selects no version of the model.
    NoSuchVersion {
        /// The model name.
        model: String,
        /// The selector given.
        selector: String,
        /// How many versions the model has.
        versions: usize,
    },
    /// An object whose SHA-256 is not the one listed for it.
    Corrupt {
        /// The hash of the bytes read.
        got: String,
        /// The hash the registry lists.
        listed: String,
    },
    /// A document in a format this build does not read.
    Format {
        /// What the document is.
        what: String,
        /// Its format.
        found: u32,
        /// The newest this build reads.
        newest: u32,
    },
    /// A document that does not parse, or breaks the documents' rules.
    Invalid(String),
}

impl Error {
    /// A short, stable, machine-readable code for the error (used by the HTTP API).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadName { .. } => "bad_name",
            Error::BadTag { .. } => "bad_tag",
            Error::NoSuchVersion { .. } => "no_such_version",
            Error::Corrupt { .. } => "checksum_mismatch",
            Error::Format { .. } => "unsupported_version",
            Error::Invalid(_) => "bad_document",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadName { name } => write!(
                f,
                "model name {name:?} cannot name objects: use 1 to 64 ASCII letters, digits, \
                 '_', '-' or '.', starting with a letter or digit"
            ),
            Error::BadTag { tag, why } => write!(f, "tag {tag:?}: {why}"),
            Error::NoSuchVersion {
                model,
                selector,
                versions,
            } => write!(
                f,
                "model {model:?} has no version {selector:?} (it has {versions}; a selector is a number, a stage, a tag or 'latest')"
            ),
            Error::Corrupt { got, listed } => write!(
                f,
                "object corrupt: its SHA-256 is {got}, the registry lists {listed}"
            ),
            Error::Format {
                what,
                found: 0,
                newest: _,
            } => write!(f, "{what}: format 0 does not exist"),
            Error::Format {
                what,
                found,
                newest,
            } => write!(
                f,
                "{what} is in format {found}, newer than this aqcast reads ({newest}); upgrade aqcast"
            ),
            Error::Invalid(m) => f.write_str(m),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
