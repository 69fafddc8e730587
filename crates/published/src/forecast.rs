//! A station's forecast as `GET /v1/forecast/{station}` answers it, written in one place:
//! by the edge worker for what it computes on request, and by `aqcast stations publish`
//! for every station's forecast from its latest data
//! ([`layout::forecast`](crate::layout::forecast)), which the worker and the dashboard
//! then serve and read as they are. So a published forecast and a computed one are the
//! same bytes but for `generated`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use aqcast_forecast::forecast::Forecast;
use serde::Deserialize;

use crate::{parse_format, Error, FORMAT};

/// Who made a forecast from what: the fields the answer adds to the core's forecast.
#[derive(Clone, Copy, Debug)]
pub struct Made<'a> {
    /// The station's id.
    pub station: &'a str,
    /// The model's registry name.
    pub model: &'a str,
    /// Its version number.
    pub version: u32,
    /// The version's artifact SHA-256.
    pub sha256: &'a str,
    /// The first time of the station snapshot the forecast was made from (values pushed
    /// after it change the forecast).
    pub snapshot_start: i64,
    /// The snapshot's latest observation, of any variable (the forecast's own
    /// `data_time` is its target's).
    pub snapshot_data_time: i64,
    /// When the answer was made (RFC 3339, UTC).
    pub generated: &'a str,
}

/// The answer's JSON: the core's forecast with `format`, `station`, `model`, `version`,
/// `sha256`, `snapshot_start`, `snapshot_data_time` and `generated` added, compact, keys
/// sorted.
pub fn answer(f: &Forecast, made: &Made<'_>) -> Result<Vec<u8>, Error> {
    let mut out = serde_json::to_value(f)
        .map_err(|e| Error::Invalid(alloc::format!("the forecast cannot be written: {e}")))?;
    let serde_json::Value::Object(o) = &mut out else {
        return Err(Error::Invalid("the forecast is not a JSON object".into()));
    };
    o.insert("format".into(), FORMAT.into());
    o.insert("station".into(), made.station.into());
    o.insert("model".into(), made.model.into());
    o.insert("version".into(), made.version.into());
    o.insert("sha256".into(), made.sha256.into());
    o.insert("snapshot_start".into(), made.snapshot_start.into());
    o.insert("snapshot_data_time".into(), made.snapshot_data_time.into());
    o.insert("generated".into(), made.generated.into());
    Ok(out.to_string().into_bytes())
}

/// What a reader of a published forecast checks before serving it: whose it is, from
/// which data, and until when it holds. The rest of the document is served unread.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Head {
    /// Document format ([`FORMAT`]).
    pub format: u32,
    /// The station's id.
    pub station: String,
    /// The model's registry name.
    pub model: String,
    /// Its version number.
    pub version: u32,
    /// The version's artifact SHA-256: the forecast holds for that version only.
    pub sha256: String,
    /// The first time of the snapshot it was made from.
    pub snapshot_start: i64,
    /// The snapshot's latest observation, of any variable.
    pub snapshot_data_time: i64,
    /// The latest observation it starts from (Unix seconds, UTC).
    pub data_time: i64,
    /// Seconds between two steps.
    pub step_seconds: i64,
}

impl Head {
    /// Reads the head of a published forecast, refusing a newer format.
    pub fn from_json(bytes: &[u8]) -> Result<Head, Error> {
        parse_format(bytes, FORMAT, "published forecast")
    }

    /// Whether this is the forecast of `station` by the version `sha256` of `model`.
    pub fn is_of(&self, station: &str, model: &str, sha256: &str) -> bool {
        self.station == station && self.model == model && self.sha256 == sha256
    }

    /// Whether it was made from a snapshot that starts at `start` and ends at
    /// `data_time` (its latest observation, of any variable).
    pub fn is_from(&self, start: i64, data_time: i64) -> bool {
        self.snapshot_start == start && self.snapshot_data_time == data_time
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_format_and_a_broken_document_are_refused() {
        let newer = br#"{"format":2,"station":"a"}"#;
        assert!(matches!(
            Head::from_json(newer),
            Err(Error::Format { found: 2, .. })
        ));
        assert!(matches!(
            Head::from_json(br#"{"format":1,"station":"a"}"#),
            Err(Error::Invalid(_))
        ));
        let ok = br#"{"format":1,"station":"a","model":"m","version":3,"sha256":"ab","snapshot_start":5,"snapshot_data_time":10,"data_time":9,"step_seconds":3600,"steps":[]}"#;
        let h = Head::from_json(ok).unwrap();
        assert!(h.is_of("a", "m", "ab"));
        assert!(!h.is_of("a", "m", "ac"));
        assert!(!h.is_of("b", "m", "ab"));
        assert_eq!(h.data_time, 9);
        assert!(h.is_from(5, 10));
        assert!(
            !h.is_from(5, 9),
            "the snapshot's latest time, not the forecast's"
        );
        assert_eq!(
            crate::layout::forecast("a b", "m"),
            "stations/a%20b/forecasts/m.json"
        );
    }
}
