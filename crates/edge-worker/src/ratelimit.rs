//! Per-caller token buckets that hold across isolates: one Durable Object per caller
//! (by key id, or by client address for anonymous calls) keeps the bucket, so every
//! isolate in every location draws from the same tokens. `RATE_LIMIT_PER_MINUTE` refills
//! it (0 turns limiting off), `RATE_LIMIT_BURST` is its size. Over the limit: 429 with
//! `Retry-After`.

use std::cell::Cell;

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::api::ApiError;

/// The bucket of one caller.
#[durable_object]
pub struct RateLimiter {
    tokens: Cell<f64>,
    updated_ms: Cell<f64>,
}

/// Takes one token from a bucket of `burst` tokens refilled at `per_minute`, at time
/// `now_ms`; `Err(seconds to wait)` when it is empty.
pub fn take(
    tokens: f64,
    updated_ms: f64,
    now_ms: f64,
    per_minute: f64,
    burst: f64,
) -> (f64, std::result::Result<(), u64>) {
    let rate = per_minute / 60_000.0;
    let t = (tokens + (now_ms - updated_ms).max(0.0) * rate).min(burst);
    if t >= 1.0 {
        (t - 1.0, Ok(()))
    } else {
        let wait_s = ((1.0 - t) / rate / 1000.0).ceil().max(1.0);
        (t, Err(wait_s as u64))
    }
}

impl DurableObject for RateLimiter {
    fn new(_state: State, _env: Env) -> Self {
        RateLimiter {
            tokens: Cell::new(f64::NAN),
            updated_ms: Cell::new(0.0),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let get = |k: &str| {
            url.query_pairs()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0)
        };
        let (Some(per_minute), Some(burst)) = (get("per_minute"), get("burst")) else {
            return Response::error("per_minute and burst are required", 400);
        };
        let now = js_sys::Date::now();
        let tokens = if self.tokens.get().is_nan() {
            burst
        } else {
            self.tokens.get()
        };
        let (left, verdict) = take(tokens, self.updated_ms.get(), now, per_minute, burst);
        self.tokens.set(left);
        self.updated_ms.set(now);
        match verdict {
            Ok(()) => Response::ok(format!("{}", left.floor())),
            Err(wait) => Ok(Response::ok(wait.to_string())?.with_status(429)),
        }
    }
}

/// Draws a token for `caller`; 429 with `Retry-After` when the bucket is empty.
pub async fn check(
    env: &Env,
    caller: &str,
    per_minute: f64,
    burst: f64,
) -> std::result::Result<(), ApiError> {
    let ns = env.durable_object("RATE_LIMITER").map_err(|_| {
        ApiError::new(
            500,
            "misconfigured",
            "rate limiting is on but RATE_LIMITER is not bound",
        )
    })?;
    let stub = ns.id_from_name(caller)?.get_stub()?;
    let mut r = stub
        .fetch_with_str(&format!(
            "https://rate-limiter/take?per_minute={per_minute}&burst={burst}"
        ))
        .await?;
    if r.status_code() == 429 {
        let wait = r.text().await?.trim().parse::<u64>().unwrap_or(1);
        let mut e = ApiError::new(
            429,
            "rate_limited",
            format!(
                "too many requests: this caller may make {per_minute} a minute; retry in {wait} s"
            ),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::take;

    #[test]
    fn a_bucket_refills_at_its_rate_up_to_its_size() {
        // 60 a minute: one a second; a bucket of 2.
        let (t, ok) = take(2.0, 0.0, 0.0, 60.0, 2.0);
        assert!(ok.is_ok() && t == 1.0);
        let (t, ok) = take(t, 0.0, 0.0, 60.0, 2.0);
        assert!(ok.is_ok() && t == 0.0);
        let (t, wait) = take(t, 0.0, 0.0, 60.0, 2.0);
        assert_eq!(wait, Err(1));
        let (_, ok) = take(t, 0.0, 1000.0, 60.0, 2.0);
        assert!(ok.is_ok(), "a second later there is a token again");
        let (t, _) = take(0.0, 0.0, 3_600_000.0, 60.0, 2.0);
        assert_eq!(t, 1.0, "never more than the bucket holds (2, one taken)");
        let (_, wait) = take(0.0, 0.0, 0.0, 6.0, 5.0);
        assert_eq!(wait, Err(10), "6 a minute: the next token in 10 s");
    }
}
