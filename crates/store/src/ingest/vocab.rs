//! What a column or parameter means: the core's vocabulary of variables and units
//! ([`aqcast_core::variable`]), with the refusals mapped to quarantine reasons.

pub use aqcast_core::variable::*;

use super::reject::Reason;

impl From<Refusal> for Reason {
    fn from(r: Refusal) -> Reason {
        match r {
            Refusal::Negative => Reason::Negative,
            Refusal::Implausible => Reason::Implausible,
            Refusal::UnknownUnit => Reason::UnknownUnit,
        }
    }
}
