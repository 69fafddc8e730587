//! HTTP as every connector does it: a timeout on every request, retries with jittered
//! exponential backoff for what may pass (a network error, a timeout, a 5xx, a body cut
//! short), the rate limit honoured (on a 429 the client waits until the source's reset,
//! as its `x-ratelimit-reset` or `Retry-After` says, and never gives up the run for it),
//! and one clear line for what will not pass (401 and 403: the key; 404: the address).

use std::time::Duration;

use aqcast_store::retry::Backoff;
use reqwest::blocking::{Client, Response};
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};

use crate::Error;

/// How connectors talk to a source.
#[derive(Clone, Debug)]
pub struct Http {
    client: Client,
    /// Retries of what may pass.
    pub backoff: Backoff,
    /// The longest a 429 may make the client wait in all, before the run stops with a
    /// clear error (the source's limit then is far below what the run needs).
    pub max_rate_wait: Duration,
    /// Headers sent with every request (a key, as `X-API-Key`).
    headers: HeaderMap,
}

/// A request's answer: its status, its headers and its whole body.
pub struct Fetched {
    /// The status (2xx, or 404 when the caller asked to see it).
    pub status: StatusCode,
    /// The body.
    pub body: Vec<u8>,
}

impl Http {
    /// A client with `timeout` per request, `headers` (name, value) on every request.
    pub fn new(timeout: Duration, headers: &[(&str, &str)]) -> Result<Http, Error> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Setting(format!("{name:?} is not a header name")))?;
            let value = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                Error::Setting(format!("the value of {name} is not a header value"))
            })?;
            map.insert(name, value);
        }
        let client = Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("aqcast/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Client(e.to_string()))?;
        Ok(Http {
            client,
            backoff: Backoff {
                attempts: 6,
                first: Duration::from_millis(500),
                max: Duration::from_secs(30),
            },
            max_rate_wait: Duration::from_secs(3600),
            headers: map,
        })
    }

    /// `GET url`: the body of a 2xx answer. A 404 is `Ok(None)` when `missing_ok` (an
    /// hourly file not published yet), else an error.
    pub fn get(&self, url: &Url, missing_ok: bool) -> Result<Option<Fetched>, Error> {
        self.send(url, missing_ok, |c| c.get(url.clone()))
    }

    /// `POST url` with a JSON body.
    pub fn post_json(&self, url: &Url, body: &serde_json::Value) -> Result<Fetched, Error> {
        let text = body.to_string();
        self.send(url, false, |c| {
            c.post(url.clone())
                .header("content-type", "application/json")
                .body(text.clone())
        })?
        .ok_or_else(|| Error::NotFound(url.to_string()))
    }

    fn send(
        &self,
        url: &Url,
        missing_ok: bool,
        request: impl Fn(&Client) -> reqwest::blocking::RequestBuilder,
    ) -> Result<Option<Fetched>, Error> {
        let mut attempt = 1;
        let mut rate_waited = Duration::ZERO;
        loop {
            let answer = request(&self.client)
                .headers(self.headers.clone())
                .send()
                .map_err(|e| Attempt::Retry(describe(&e)))
                .and_then(|r| read(r, url));
            match answer {
                Ok(f) if f.status == StatusCode::NOT_FOUND && missing_ok => return Ok(None),
                Ok(f) if f.status == StatusCode::NOT_FOUND => {
                    return Err(Error::NotFound(url.to_string()))
                }
                Ok(f) => return Ok(Some(f)),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::RateLimited(wait)) => {
                    if rate_waited + wait > self.max_rate_wait {
                        return Err(Error::RateLimited {
                            url: url.to_string(),
                            waited: rate_waited.as_secs(),
                        });
                    }
                    tracing::warn!(
                        "{url}: rate limited; waiting {}s for the reset",
                        wait.as_secs()
                    );
                    std::thread::sleep(wait);
                    rate_waited += wait;
                }
                Err(Attempt::Retry(why)) if attempt < self.backoff.attempts => {
                    let wait = self.backoff.wait(attempt);
                    tracing::warn!(
                        "{url}: {why}; attempt {} of {} in {wait:?}",
                        attempt + 1,
                        self.backoff.attempts
                    );
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                Err(Attempt::Retry(why)) => {
                    return Err(Error::Unavailable {
                        url: url.to_string(),
                        why,
                        attempts: attempt,
                    })
                }
            }
        }
    }
}

/// What an attempt came to, when it did not give a body.
enum Attempt {
    /// May pass: try again after a backoff.
    Retry(String),
    /// The source's rate limit: wait this long, then try again.
    RateLimited(Duration),
    /// Will not pass.
    Fail(Error),
}

/// The whole body of an answer, or why there is none.
fn read(r: Response, url: &Url) -> Result<Fetched, Attempt> {
    let status = r.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Attempt::RateLimited(reset_wait(r.headers())));
    }
    if status.is_server_error() {
        return Err(Attempt::Retry(format!("the server answered {status}")));
    }
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        return Err(Attempt::Fail(Error::Denied {
            url: url.to_string(),
            status: status.as_u16(),
        }));
    }
    if status == StatusCode::NOT_FOUND {
        return Ok(Fetched {
            status,
            body: Vec::new(),
        });
    }
    if !status.is_success() {
        let body = r.text().unwrap_or_default();
        return Err(Attempt::Fail(Error::Refused {
            url: url.to_string(),
            status: status.as_u16(),
            body: body.chars().take(300).collect(),
        }));
    }
    // A body cut short (the connection dropped, fewer bytes than Content-Length) is an
    // error of the read: retried.
    let body = r
        .bytes()
        .map_err(|e| Attempt::Retry(format!("the answer was cut short ({})", describe(&e))))?;
    Ok(Fetched {
        status,
        body: body.to_vec(),
    })
}

/// How long a 429 asks the client to wait: OpenAQ's `x-ratelimit-reset` (seconds until the
/// counter resets), or `Retry-After` (seconds); a minute when neither says; at least a
/// second.
pub fn reset_wait(headers: &HeaderMap) -> Duration {
    let secs = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    let s = secs("x-ratelimit-reset")
        .or_else(|| secs("retry-after"))
        .unwrap_or(60.0);
    Duration::from_secs_f64(s.clamp(1.0, 3600.0))
}

/// A reqwest error in a few words, without the URL (the caller names it).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else if e.is_body() || e.is_decode() {
        "the answer was cut short".into()
    } else {
        let mut s = e.to_string();
        if let Some(u) = e.url() {
            s = s.replace(u.as_str(), "").replace(" ()", "");
        }
        s.trim().to_string()
    }
}

/// A JSON answer of `url` as `T`, or a format error that names the URL and what the
/// answer should have been (`what`: "an OpenAQ v3 answer", "a UK-AIR timeseries"…).
pub fn json<T: serde::de::DeserializeOwned>(
    url: &Url,
    body: &[u8],
    what: &str,
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::Format {
        url: url.to_string(),
        message: format!("not {what}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_header_says_how_long_to_wait() {
        let mut h = HeaderMap::new();
        assert_eq!(reset_wait(&h), Duration::from_secs(60));
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(reset_wait(&h), Duration::from_secs(7));
        h.insert("x-ratelimit-reset", "2".parse().unwrap());
        assert_eq!(reset_wait(&h), Duration::from_secs(2));
        // A new key's counter answers -2 (OpenAQ): at least a second.
        h.insert("x-ratelimit-reset", "-2".parse().unwrap());
        assert_eq!(reset_wait(&h), Duration::from_secs(1));
    }
}
