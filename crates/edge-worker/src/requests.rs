//! The bodies the API takes, as types: read once from a body no larger than the
//! configured limit (counted as it streams in, whatever `Content-Length` says), with
//! unknown fields refused, so a misspelt `"haed"` is an error rather than a default.

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use worker::Request;

use aqcast_core::published::Stage;

use crate::api::ApiError;

/// A version selector: a number, a stage, a tag or `latest` (a JSON number or string).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Selector {
    /// A version number.
    Number(u64),
    /// A stage, a tag, `latest` or a number as text (`"3"`, `"v3"`).
    Text(String),
}

impl Selector {
    /// The selector as the registry reads it.
    pub fn text(&self) -> String {
        match self {
            Selector::Number(n) => n.to_string(),
            Selector::Text(s) => s.clone(),
        }
    }
}

/// `POST /v1/predict` and `POST /v1/explain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneRow {
    /// The model's name.
    pub model: String,
    /// Which version (default: production).
    #[serde(default)]
    pub version: Option<Selector>,
    /// An array in feature order, or an object by feature name; `null` is missing.
    pub features: Value,
    /// Which head (default 0).
    #[serde(default)]
    pub head: Option<usize>,
}

/// `POST /v1/predict/batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The model's name.
    pub model: String,
    /// Which version (default: production).
    #[serde(default)]
    pub version: Option<Selector>,
    /// The rows, each as `features` of [`OneRow`].
    pub rows: Vec<Value>,
    /// Which head (default 0).
    #[serde(default)]
    pub head: Option<usize>,
}

/// `POST /v1/models/{name}/promote`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promote {
    /// The version to move.
    pub version: Selector,
    /// Where to.
    pub stage: Stage,
    /// Why, for the registry's history.
    #[serde(default)]
    pub note: Option<String>,
}

/// Reads a JSON body of type `T` of at most `max` bytes: 413 as soon as more arrive
/// (a chunked body is never held whole), 400 for anything that is not a `T`, with what
/// `what` is for and what is wrong.
pub async fn body<T: DeserializeOwned>(
    req: &mut Request,
    max: usize,
    what: &str,
) -> Result<T, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let mut bytes = Vec::new();
    // A request without a body has no stream.
    if let Ok(mut stream) = req.stream() {
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
            if bytes.len() + chunk.len() > max {
                return Err(too_large(max));
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    parse(&bytes, what)
}

/// Parses a body already read (see [`body`]).
pub fn parse<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(format!(
            "the body is empty; send {what} as JSON"
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let hint = if e.is_syntax() {
            "; NaN and Infinity are not JSON: send null for a missing value"
        } else {
            ""
        };
        ApiError::bad_request(format!("the body is not {what}: {e}{hint}"))
    })
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the body is larger than {max} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_typed_and_strict() {
        let p: OneRow = parse(
            br#"{"model":"m","version":3,"features":[1,null],"head":1}"#,
            "a predict request",
        )
        .unwrap();
        assert_eq!(p.version.unwrap().text(), "3");
        assert_eq!(p.head, Some(1));
        let p: Promote = parse(br#"{"version":"production","stage":"staging"}"#, "x").unwrap();
        assert_eq!(
            (p.version.text().as_str(), p.stage),
            ("production", Stage::Staging)
        );
        for bad in [
            &br#"{"features":[1]}"#[..],
            br#"{"model":"m","features":[1],"haed":1}"#,
            br#"{"model":"m","features":[1],"head":-1}"#,
            b"{not json",
            b"[1,2]",
        ] {
            let e = parse::<OneRow>(bad, "a predict request").unwrap_err();
            assert_eq!((e.status, e.code), (400, "bad_request"), "{}", e.message);
            assert!(e.message.starts_with("the body is not a predict request"));
        }
        let e = parse::<Promote>(br#"{"version":2,"stage":"live"}"#, "a promotion").unwrap_err();
        assert_eq!(e.status, 400);
    }
}
