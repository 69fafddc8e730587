//! Why a forecast could not be made from what it was given: one variant per cause, each
//! with its own stable code, so that a client can tell "no data yet" from "no such
//! station" from "a broken model" (which is a [`crate::Error`] of another kind).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::time;
use crate::Quoted;

/// A forecast that cannot be made.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// The observations hold no value of the target variable at all.
    NoData {
        /// The target's input variable.
        variable: String,
    },
    /// The target was not measured within the history the model reads before the origin.
    NoRecentData {
        /// The target's input variable.
        variable: String,
        /// Grid steps the model reads before the origin.
        history: u32,
        /// The origin (Unix seconds, UTC).
        origin: i64,
    },
    /// A multi-station model was asked without naming a station.
    StationRequired {
        /// Some of the stations it knows.
        known: Known,
    },
    /// The station is not one the model was trained on.
    UnknownStation {
        /// The station asked for.
        id: String,
        /// Some of the stations it knows.
        known: Known,
    },
    /// The model was calibrated so long before the origin that replaying its tracked bands
    /// would take too long.
    ReplayTooLong {
        /// The origin (Unix seconds, UTC).
        origin: i64,
        /// The most grid steps a replay spans.
        max_steps: i64,
    },
    /// A step ahead the model does not forecast.
    BadStep {
        /// The step asked for.
        step: u32,
        /// The steps the model forecasts (1 to this).
        steps: u32,
    },
    /// The model reads inputs ahead (a weather forecast) and was given no value of one of
    /// them for the steps after the origin, or none as far as its last step.
    AheadMissing {
        /// The variable without a value.
        variable: String,
        /// The origin (Unix seconds, UTC).
        origin: i64,
        /// The last grid step the forecast given holds a value of it for, if any.
        until: Option<i64>,
        /// The model's last step (its start, Unix seconds, UTC).
        last_step: i64,
    },
    /// The forecast time is outside the times aqcast handles.
    TimeOutOfRange,
    /// The model, its pipeline or the AQI failed on what it was given (a pipeline that
    /// cannot take the observations, a damaged model).
    Model(crate::Error),
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Error {
        Error::Model(e)
    }
}

impl From<aqcast_engine::Error> for Error {
    fn from(e: aqcast_engine::Error) -> Error {
        Error::Model(e.into())
    }
}

/// Some of the stations a model knows, for a message: the first few ids and how many more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    /// Up to five ids, in the model's order.
    pub first: Vec<String>,
    /// How many more there are.
    pub more: usize,
}

impl Known {
    /// The first five of `ids` and the count of the rest.
    pub fn of<'a>(ids: impl Iterator<Item = &'a str>) -> Known {
        let all: Vec<&str> = ids.collect();
        Known {
            first: all.iter().take(5).map(|s| String::from(*s)).collect(),
            more: all.len().saturating_sub(5),
        }
    }
}

impl fmt::Display for Known {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.first.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(id)?;
        }
        if self.more > 0 {
            write!(f, " and {} more", self.more)?;
        }
        Ok(())
    }
}

impl Error {
    /// A short, stable, machine-readable code for the cause.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoData { .. } => "no_data",
            Error::NoRecentData { .. } => "no_recent_data",
            Error::StationRequired { .. } => "station_required",
            Error::UnknownStation { .. } => "unknown_station",
            Error::ReplayTooLong { .. } => "replay_too_long",
            Error::BadStep { .. } => "bad_step",
            Error::AheadMissing { .. } => "ahead_missing",
            Error::TimeOutOfRange => "bad_time",
            Error::Model(e) => e.code(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoData { variable } => {
                write!(
                f,
                "no observation of {}: nothing to forecast from",
                Quoted(variable)
            )
            }
            Error::NoRecentData {
                variable,
                history,
                origin,
            } => write!(
                f,
                "no observation of {} in the {history} grid steps up to {}: too little recent data to forecast",
                Quoted(variable),
                time::format_datetime(*origin)
            ),
            Error::StationRequired { known } => {
                write!(f, "this model serves several stations: name one ({known})")
            }
            Error::UnknownStation { id, known } => write!(
                f,
                "station {} is not one this model was trained on ({known})",
                Quoted(id)
            ),
            Error::ReplayTooLong { origin, max_steps } => write!(
                f,
                "the model was calibrated more than {max_steps} grid steps before {}: too long to replay its bands; retrain it, or serve its bands as trained",
                time::format_datetime(*origin)
            ),
            Error::BadStep { step, steps } => write!(
                f,
                "step {step} is not one this model forecasts (1 to {steps})"
            ),
            Error::AheadMissing {
                variable,
                origin,
                until,
                last_step,
            } => {
                write!(
                    f,
                    "this model reads the forecast of {} for the steps after {} to {} (a weather forecast issued then), and was given ",
                    Quoted(variable),
                    time::format_datetime(*origin),
                    time::format_datetime(*last_step),
                )?;
                match until {
                    None => f.write_str("none"),
                    Some(t) => write!(f, "one only until {}", time::format_datetime(*t)),
                }
            }
            Error::TimeOutOfRange => f.write_str("the forecast time is out of range"),
            Error::Model(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
