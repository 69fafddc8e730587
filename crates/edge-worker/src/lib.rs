//! # aqcast-edge-worker
//!
//! The `/v1` API on Cloudflare Workers (workers-rs), over `aqcast-core`: forecasts,
//! predictions, explanations and the registry, served from what the trainer published to
//! an R2 bucket. Every request gets an `x-request-id`, one JSON log line and its metrics;
//! every error is `{"error":{"code","message","request_id"}}` with a 4xx for anything the
//! client sent wrong.
//!
//! - [`config`]: the environment, read once per isolate;
//! - [`routes`]: the route table (workers-rs `Router`): each route's pattern, the access
//!   it needs and its handler, in one place; authentication and rate limits around them;
//! - [`requests`]: the request bodies as types, read under the body limit;
//! - [`handlers`]: the endpoints; [`observations`]: the pushed values' (checked by the
//!   core's rules for units and physical bounds), kept in [`inbox`]: a Durable Object per
//!   station;
//! - [`api`]: errors (and the status of every core error), JSON, request ids, CORS;
//! - [`auth`]: API keys by SHA-256 hash, scopes; [`jwt`]: HS256 and ES256 bearer tokens;
//! - [`store`]: the bucket in the registry's layout, verified, cached per isolate (models
//!   in a [`bounded`] cache);
//! - [`ratelimit`]: per-caller token buckets in a Durable Object;
//! - [`metrics`]: Prometheus text.
//!
//! Configuration (wrangler.toml `[vars]`, secrets by `wrangler secret put`): `STORE` (R2
//! binding), `API_KEYS` (secret: `[{"id","sha256","scopes"}]`), `PUBLIC_READ` (`true`
//! opens stations and forecasts without a key), `CORS_ORIGINS` (comma-separated, or `*`),
//! `MAX_BODY_BYTES`, `MAX_BATCH_ROWS`, `REGISTRY_TTL` (seconds), `RATE_LIMIT_PER_MINUTE`,
//! `RATE_LIMIT_BURST`, `AUTH_FAILURES_PER_MINUTE`, `MAX_PUSH_BYTES`; Durable Objects
//! `RATE_LIMITER`, `INBOX`, `PUSH_INDEX`.

pub mod alerts;
pub mod api;
pub mod auth;
pub mod bounded;
pub mod config;
pub mod feeds;
pub mod handlers;
pub mod inbox;
pub mod jwt;
pub mod metrics;
pub mod observations;
pub mod ratelimit;
pub mod requests;
pub mod routes;
pub mod sql;
pub mod store;
pub mod webpush;

use worker::{event, Context, Env, Request, Response};

use crate::api::ApiError;
use crate::auth::Caller;
use crate::config::Config;

/// The OpenAPI 3.1 description of the API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Who is calling: a verified JWT's subject and scopes, a configured key's, or nobody.
pub(crate) fn authenticate(req: &Request, cfg: &Config) -> Result<Caller, ApiError> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let keys = cfg.keys()?;
    let jwt_keys = cfg.jwt()?;
    match auth::presented_key(header("authorization"), header("x-api-key")) {
        Some(k) if jwt::looks_like_jwt(&k) => {
            if !jwt_keys.enabled() {
                return Err(ApiError::new(
                    401,
                    "invalid_token",
                    "this worker accepts API keys, not tokens",
                ));
            }
            jwt::verify(&k, jwt_keys, js_sys::Date::now() / 1000.0)
        }
        Some(k) => auth::authenticate(&k, keys),
        None => Ok(Caller::anonymous()),
    }
}

/// The hourly round of bad-air alerts (`[triggers] crons` in wrangler.toml).
#[event(scheduled)]
async fn scheduled(_event: worker::ScheduledEvent, env: Env, _ctx: worker::ScheduleContext) {
    match alerts::round(&env).await {
        Ok(round) => worker::console_log!("{}", serde_json::json!({ "alerts": round })),
        Err(e) => worker::console_error!("alerts: {}", e.message),
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let t0 = js_sys::Date::now();
    let request_id = api::request_id(req.headers().get("x-request-id").ok().flatten());
    let cfg = Config::get(&env);
    let method = req.method();
    let origin = req.headers().get("origin").ok().flatten();
    let client = req
        .headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    let seen = routes::Seen::default();
    let cx = routes::Ctx {
        cfg: cfg.clone(),
        caller: Caller::anonymous(),
        client,
        request_id: request_id.clone(),
        seen: seen.clone(),
    };
    let mut response = routes::run(req, env, cx).await?;
    let status = response.status_code();
    let headers = response.headers_mut();
    headers.set("x-request-id", &request_id)?;
    api::cors(headers, origin.as_deref(), &cfg.cors)?;
    let model = headers.get("x-model-version").ok().flatten();
    let seconds = (js_sys::Date::now() - t0) / 1000.0;
    let route = seen.route();
    metrics::request(&route, status, seconds);
    let line = serde_json::json!({
        "request_id": request_id,
        "method": format!("{method:?}").to_uppercase(),
        "route": route,
        "status": status,
        "latency_ms": seconds * 1000.0,
        "key": seen.caller(),
        "model": model,
    });
    worker::console_log!("{line}");
    Ok(response)
}
