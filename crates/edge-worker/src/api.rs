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

    /// An error of the core (bad input for the model, a corrupt model) as a 4xx or 5xx.
    pub fn core(e: &aqcast_core::Error) -> ApiError {
        use aqcast_core::Error as E;
        match e {
            E::InputShape { .. } | E::NoSuchHead { .. } | E::Aqi(_) | E::Pipeline(_) => {
                ApiError::new(422, e.code(), e.to_string())
            }
            _ => ApiError::new(503, e.code(), format!("the model cannot be used: {e}")),
        }
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

/// CORS headers for an allowed origin (`*` in the list allows every origin).
pub fn cors(headers: &Headers, origin: Option<&str>, allowed: &[String]) -> worker::Result<()> {
    let Some(origin) = origin else {
        return Ok(());
    };
    let ok = allowed.iter().any(|a| a == "*" || a == origin);
    if ok {
        headers.set("access-control-allow-origin", origin)?;
        headers.set("vary", "origin")?;
        headers.set(
            "access-control-allow-headers",
            "authorization, content-type, x-api-key, x-request-id, if-none-match",
        )?;
        headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
        headers.set(
            "access-control-expose-headers",
            "x-request-id, etag, retry-after",
        )?;
        headers.set("access-control-max-age", "600")?;
    }
    Ok(())
}
