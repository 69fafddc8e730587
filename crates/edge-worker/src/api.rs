//! What every response shares: errors as `{"error":{"code","message","request_id"}}`,
//! `x-request-id`, CORS, JSON bodies.

use serde::Serialize;
use worker::{Headers, Response};

/// An error answered to the client: a status, a stable code and a message that says what
/// to do. Never a stack trace, a secret or an internal path.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Seconds to wait (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "bad_request", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "not_found", message)
    }

    /// 503 `unavailable`: what the worker depends on (its bucket) failed.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(503, "unavailable", message)
    }

    /// An error of the core as the status that tells a client what to do, with the core's
    /// own code: input that does not fit the model 422; a version that does not exist
    /// 404; a forecast error as [`ApiError::forecast`] says; a damaged model or store
    /// (or published document) 503.
    pub fn core(e: impl Into<aqcast_core::Error>) -> ApiError {
        use aqcast_core::published::Error as P;
        use aqcast_core::{Error as E, ModelError as M};
        let e = e.into();
        let status = match &e {
            E::Forecast(f) => return ApiError::forecast(f.clone(), false),
            E::Model(M::InputShape { .. } | M::NoSuchHead { .. } | M::Aqi(_) | M::Pipeline(_)) => {
                422
            }
            E::Published(P::NoSuchVersion { .. }) => 404,
            E::Published(P::BadTag { .. }) => 400,
            _ => 503,
        };
        ApiError::with_status(status, &e)
    }

    /// A forecast that cannot be made: 409 when the station's measurements do not allow
    /// one yet (come back when data arrive), or 422 when the model reads a weather
    /// forecast the published data do not hold, or when `at` asked for a time without
    /// data (which will not change); 404 for a station the model does not know; 400 for a
    /// request that names no station, a step or a time wrongly; 503 when the model itself
    /// fails on the station's published data, or would replay too long.
    pub fn forecast(e: aqcast_core::forecast::Error, at_given: bool) -> ApiError {
        use aqcast_core::forecast::Error as F;
        let status = match &e {
            F::NoData { .. } | F::NoRecentData { .. } if at_given => 422,
            F::NoData { .. } | F::NoRecentData { .. } => 409,
            F::AheadMissing { .. } => 422,
            F::UnknownStation { .. } => 404,
            F::StationRequired { .. } | F::BadStep { .. } | F::TimeOutOfRange => 400,
            F::ReplayTooLong { .. } | F::Model(_) => 503,
        };
        ApiError::with_status(status, &e)
    }

    /// `e` with `status`: its code, and its message (a 503 says the model cannot be used).
    fn with_status(status: u16, e: &impl aqcast_core::Coded) -> ApiError {
        let message = if status == 503 {
            format!("the model cannot be used: {e}")
        } else {
            e.to_string()
        };
        ApiError::new(status, e.code(), message)
    }

    /// The same error, its message prefixed by what it is about (`station "X"`).
    pub fn about(mut self, what: &str) -> ApiError {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

/// The worker's own failures (a binding missing, a JS exception) become 500s whose
/// message names no internals.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> ApiError {
        worker::console_error!("internal error: {e}");
        ApiError::new(
            500,
            "internal",
            "internal error; the request id identifies it in the logs",
        )
    }
}

/// A JSON response with `status`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let text = serde_json::to_string(body)
        .map_err(|_| ApiError::new(500, "internal", "the answer could not be written"))?;
    json_text(status, text)
}

/// A JSON response from text already written.
pub fn json_text(status: u16, text: String) -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    Ok(Response::from_bytes(text.into_bytes())?
        .with_status(status)
        .with_headers(headers))
}

/// The error's response.
pub fn error_response(e: &ApiError, request_id: &str) -> worker::Result<Response> {
    let body = serde_json::json!({
        "error": { "code": e.code, "message": e.message, "request_id": request_id }
    });
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    if let Some(s) = e.retry_after {
        headers.set("retry-after", &s.to_string())?;
    }
    Ok(Response::from_bytes(body.to_string().into_bytes())?
        .with_status(e.status)
        .with_headers(headers))
}

/// A request id: the client's, when it is a plausible one, else a new random one.
pub fn request_id(given: Option<String>) -> String {
    if let Some(g) = given {
        if !g.is_empty()
            && g.len() <= 64
            && g.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return g;
        }
    }
    let mut out = String::with_capacity(20);
    for _ in 0..20 {
        let d = (js_sys::Math::random() * 36.0) as u32;
        out.push(char::from_digit(d.min(35), 36).unwrap_or('0'));
    }
    out
}

/// Whether an `If-None-Match` header value matches `etag`: `*` matches any, else any
/// entity tag of its comma-separated list, compared weakly (a `W/` prefix on either side
/// is ignored), as RFC 9110 §13.1.2 asks of `If-None-Match`.
pub fn etag_matches(header: &str, etag: &str) -> bool {
    let opaque = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_string()
    };
    let want = opaque(etag);
    header.trim() == "*" || header.split(',').any(|t| opaque(t) == want)
}

/// CORS headers for an allowed origin (`*` in the list allows every origin). Every
/// answer varies by `Origin` (an allowed one gets the CORS headers, another does not), so
/// a shared cache never hands one origin's answer to another.
pub fn cors(headers: &Headers, origin: Option<&str>, allowed: &[String]) -> worker::Result<()> {
    headers.set("vary", "origin")?;
    let Some(origin) = origin else {
        return Ok(());
    };
    let ok = allowed.iter().any(|a| a == "*" || a == origin);
    if ok {
        headers.set("access-control-allow-origin", origin)?;
        headers.set(
            "access-control-allow-headers",
            "authorization, content-type, x-api-key, x-request-id, if-none-match",
        )?;
        headers.set("access-control-allow-methods", "GET, POST, DELETE, OPTIONS")?;
        headers.set(
            "access-control-expose-headers",
            "x-request-id, etag, retry-after, x-forecast, x-model-version",
        )?;
        headers.set("access-control-max-age", "600")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::forecast::{Error as F, Known};
    use aqcast_core::published::Error as P;
    use aqcast_core::ModelError as M;

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_any() {
        let tag = "\"abc\"";
        for h in [
            "\"abc\"",
            "W/\"abc\"",
            "*",
            "\"x\", \"abc\"",
            " \"x\",W/\"abc\" ",
        ] {
            assert!(etag_matches(h, tag), "{h}");
        }
        assert!(etag_matches("\"abc\"", "W/\"abc\""));
        for h in ["\"ab\"", "", "\"abc", "abc", "\"x\", \"y\""] {
            assert!(!etag_matches(h, tag), "{h}");
        }
    }

    fn status(e: impl Into<aqcast_core::Error>) -> (u16, &'static str) {
        let a = ApiError::core(e);
        (a.status, a.code)
    }

    #[test]
    fn every_core_error_has_the_status_that_tells_a_client_what_to_do() {
        let known = Known::of(["A", "B"].into_iter());
        // A forecast the data do not allow yet: come back later.
        let no_data = F::NoData {
            variable: "no2".into(),
        };
        assert_eq!(status(no_data), (409, "no_data"));
        let stale = F::NoRecentData {
            variable: "no2".into(),
            history: 192,
            origin: 0,
        };
        assert_eq!(status(stale), (409, "no_recent_data"));
        // Something that is not there.
        let unknown = F::UnknownStation {
            id: "X".into(),
            known: known.clone(),
        };
        assert_eq!(status(unknown), (404, "unknown_station"));
        let missing = P::NoSuchVersion {
            model: "m".into(),
            selector: "9".into(),
            versions: 2,
        };
        assert_eq!(status(missing), (404, "no_such_version"));
        // A request that asks wrongly.
        assert_eq!(
            status(F::StationRequired { known }),
            (400, "station_required")
        );
        assert_eq!(status(F::BadStep { step: 0, steps: 72 }), (400, "bad_step"));
        assert_eq!(status(F::TimeOutOfRange), (400, "bad_time"));
        // A name the store refused is answered 404 before the core sees it; one that
        // comes out of the core is a damaged document.
        assert_eq!(
            status(P::BadName {
                name: "../x".into()
            }),
            (503, "bad_name")
        );
        // Input that does not fit the model.
        assert_eq!(
            status(M::InputShape {
                expected: 3,
                got: 2
            }),
            (422, "bad_input_shape")
        );
        assert_eq!(
            status(M::NoSuchHead { index: 5, heads: 3 }),
            (422, "no_such_head")
        );
        assert_eq!(status(M::Aqi("x".into())), (422, "aqi_undefined"));
        // A model or store that cannot be used: the operator's problem.
        let replay = F::ReplayTooLong {
            origin: 0,
            max_steps: 100_000,
        };
        assert_eq!(status(replay), (503, "replay_too_long"));
        // Data that will never come for the time asked: not a "come back later".
        let at = ApiError::forecast(
            F::NoRecentData {
                variable: "no2".into(),
                history: 192,
                origin: 0,
            },
            true,
        );
        assert_eq!((at.status, at.code), (422, "no_recent_data"));
        // The model failing on the station's own published data is the server's problem.
        let model = ApiError::forecast(F::Model(M::Pipeline("x".into())), false);
        assert_eq!((model.status, model.code), (503, "bad_pipeline"));
        assert_eq!(status(M::ChecksumMismatch), (503, "checksum_mismatch"));
        assert_eq!(status(M::Malformed("x".into())), (503, "malformed_model"));
        let corrupt = P::Corrupt {
            got: "a".into(),
            listed: "b".into(),
        };
        assert_eq!(status(corrupt), (503, "checksum_mismatch"));
        let a = ApiError::core(M::Malformed("x".into()));
        assert!(
            a.message.starts_with("the model cannot be used"),
            "{}",
            a.message
        );
    }
}
