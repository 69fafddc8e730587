//! # aqcast-edge-worker
//!
//! The `/v1` API on Cloudflare Workers (workers-rs), over `aqcast-core`: forecasts,
//! predictions, explanations and the registry, served from what the trainer published to
//! an R2 bucket. Every request gets an `x-request-id`, one JSON log line and its metrics;
//! every error is `{"error":{"code","message","request_id"}}` with a 4xx for anything the
//! client sent wrong.
//!
//! - [`api`]: errors, JSON, request ids, CORS;
//! - [`auth`]: API keys by SHA-256 hash, scopes;
//! - [`jwt`]: HS256 and ES256 bearer tokens with the same scopes;
//! - [`store`]: the bucket in the registry's layout, verified, cached per isolate;
//! - [`handlers`]: the endpoints;
//! - [`ratelimit`]: per-caller token buckets in a Durable Object;
//! - [`metrics`]: Prometheus text.
//!
//! Configuration (wrangler.toml `[vars]`, secrets by `wrangler secret put`): `STORE` (R2
//! binding), `API_KEYS` (secret: `[{"id","sha256","scopes"}]`), `PUBLIC_READ` (`true`
//! opens stations and forecasts without a key), `CORS_ORIGINS` (comma-separated, or `*`),
//! `MAX_BODY_BYTES`, `MAX_BATCH_ROWS`, `REGISTRY_TTL` (seconds).

pub mod api;
pub mod auth;
pub mod handlers;
pub mod jwt;
pub mod metrics;
pub mod ratelimit;
pub mod store;

use serde_json::Value;
use worker::{event, Context, Env, Method, Request, Response};

use crate::api::{error_response, ApiError};
use crate::auth::{Caller, Scope};
use crate::handlers::Limits;
use crate::store::Store;

/// The OpenAPI 3.1 description of the API.
pub const OPENAPI: &str = include_str!("../openapi.json");

struct Config {
    public_read: bool,
    cors: Vec<String>,
    max_body: usize,
    max_batch_rows: usize,
    ttl: f64,
    rate_per_minute: f64,
    rate_burst: f64,
    keys: Result<Vec<auth::Key>, String>,
    jwt: Result<jwt::JwtKeys, String>,
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|s| s.to_string())
        .or_else(|| var(env, name))
        .filter(|s| !s.trim().is_empty())
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

fn config(env: &Env) -> Config {
    let num = |name: &str, default: f64| {
        var(env, name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(default)
    };
    Config {
        public_read: var(env, "PUBLIC_READ").is_some_and(|v| v.trim() == "true"),
        cors: var(env, "CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        max_body: num("MAX_BODY_BYTES", 65_536.0) as usize,
        max_batch_rows: num("MAX_BATCH_ROWS", 1000.0) as usize,
        ttl: num("REGISTRY_TTL", 10.0),
        rate_per_minute: num("RATE_LIMIT_PER_MINUTE", 0.0),
        rate_burst: num("RATE_LIMIT_BURST", 0.0),
        keys: match secret(env, "API_KEYS") {
            Some(v) => auth::parse_keys(&v),
            None => Ok(Vec::new()),
        },
        jwt: (|| {
            Ok(jwt::JwtKeys {
                hs256: secret(env, "JWT_HS256_SECRET").map(String::into_bytes),
                es256: secret(env, "JWT_ES256_PUBLIC_KEY")
                    .map(|k| jwt::es256_key(&k))
                    .transpose()?,
                audience: var(env, "JWT_AUDIENCE").filter(|a| !a.is_empty()),
            })
        })(),
    }
}

/// The route a path matches, for logs and metrics (ids replaced by placeholders).
fn route_of(method: &Method, segs: &[&str]) -> &'static str {
    match (method, segs) {
        (_, ["v1", "health"]) => "/v1/health",
        (_, ["v1", "live"]) => "/v1/live",
        (_, ["v1", "ready"]) => "/v1/ready",
        (_, ["v1", "models"]) => "/v1/models",
        (_, ["v1", "models", _]) => "/v1/models/{name}",
        (_, ["v1", "models", _, "versions", _]) => "/v1/models/{name}/versions/{version}",
        (_, ["v1", "models", _, "promote"]) => "/v1/models/{name}/promote",
        (_, ["v1", "predict"]) => "/v1/predict",
        (_, ["v1", "predict", "batch"]) => "/v1/predict/batch",
        (_, ["v1", "explain"]) => "/v1/explain",
        (_, ["v1", "forecast", _]) => "/v1/forecast/{station}",
        (_, ["v1", "stations"]) => "/v1/stations",
        (_, ["v1", "files", ..]) => "/v1/files/{key}",
        (_, ["v1", "metrics"]) => "/v1/metrics",
        (_, ["v1", "openapi.json"]) => "/v1/openapi.json",
        _ => "other",
    }
}

fn decode(seg: &str) -> String {
    // Path segments arrive percent-encoded; station ids may hold any character.
    js_sys::decode_uri_component(seg)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| seg.to_string())
}

async fn body_json(req: &mut Request, max: usize) -> Result<Value, ApiError> {
    if let Some(len) = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok())
    {
        if len > max {
            return Err(too_large(max));
        }
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::bad_request("the request body could not be read"))?;
    if bytes.len() > max {
        return Err(too_large(max));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not valid JSON ({e}); NaN and Infinity are not JSON: send null for a missing value"
        ))
    })
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("the body is larger than {max} bytes"),
    )
}

async fn handle(
    req: &mut Request,
    env: &Env,
    cfg: &Config,
    caller: &Caller,
    segs: &[String],
) -> Result<Response, ApiError> {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method();
    let read = |c: &Caller| {
        if cfg.public_read {
            Ok(())
        } else {
            c.require(Scope::Read)
        }
    };
    let store = || -> Result<Store, ApiError> {
        let bucket = env.bucket("STORE").map_err(|_| {
            ApiError::unavailable("the worker has no STORE bucket binding (wrangler.toml)")
        })?;
        Ok(Store::new(bucket, cfg.ttl))
    };
    let url = req.url()?;
    // An empty query value (`?model=`) is the same as none.
    let query = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty())
    };
    let if_none_match = req.headers().get("if-none-match").ok().flatten();
    match (method.clone(), s.as_slice()) {
        (Method::Get, ["v1", "health"]) => handlers::health(),
        (Method::Get, ["v1", "live"]) => api::json(200, &serde_json::json!({ "status": "live" })),
        (Method::Get, ["v1", "ready"]) => handlers::ready(&store()?).await,
        (Method::Get, ["v1", "openapi.json"]) => api::json_text(200, OPENAPI.to_string()),
        (Method::Get, ["v1", "metrics"]) => {
            caller.require(Scope::Read)?;
            let headers = worker::Headers::new();
            headers.set("content-type", "text/plain; version=0.0.4")?;
            Ok(Response::ok(metrics::render())?.with_headers(headers))
        }
        (Method::Get, ["v1", "models"]) => {
            caller.require(Scope::Read)?;
            handlers::models(&store()?).await
        }
        (Method::Get, ["v1", "models", name]) => {
            caller.require(Scope::Read)?;
            handlers::model(&store()?, name).await
        }
        (Method::Get, ["v1", "models", name, "versions", v]) => {
            caller.require(Scope::Read)?;
            handlers::version(&store()?, name, v).await
        }
        (Method::Post, ["v1", "models", name, "promote"]) => {
            caller.require(Scope::Admin)?;
            let body = body_json(req, cfg.max_body).await?;
            handlers::promote(&store()?, name, &body, &format!("key:{}", caller.id)).await
        }
        (Method::Post, ["v1", "predict"]) => {
            caller.require(Scope::Predict)?;
            let body = body_json(req, cfg.max_body).await?;
            handlers::predict(&store()?, &body).await
        }
        (Method::Post, ["v1", "predict", "batch"]) => {
            caller.require(Scope::Predict)?;
            let body = body_json(req, cfg.max_body).await?;
            let limits = Limits {
                max_batch_rows: cfg.max_batch_rows,
            };
            handlers::predict_batch(&store()?, &body, &limits).await
        }
        (Method::Post, ["v1", "explain"]) => {
            caller.require(Scope::Predict)?;
            let body = body_json(req, cfg.max_body).await?;
            handlers::explain(&store()?, &body).await
        }
        (Method::Get, ["v1", "stations"]) => {
            read(caller)?;
            handlers::stations(&store()?, if_none_match.as_deref()).await
        }
        (Method::Get, ["v1", "files", key @ ..]) if !key.is_empty() => {
            read(caller)?;
            handlers::file(&store()?, &key.join("/"), if_none_match.as_deref()).await
        }
        (Method::Get, ["v1", "forecast", station]) => {
            read(caller)?;
            handlers::forecast(
                &store()?,
                station,
                query("model").as_deref(),
                query("at").as_deref(),
                if_none_match.as_deref(),
            )
            .await
        }
        (_, ["v1", ..]) if route_of(&method, &s) != "other" => Err(ApiError::new(
            405,
            "method_not_allowed",
            format!("{method:?} is not allowed here (GET /v1/openapi.json describes the API)"),
        )),
        _ => Err(ApiError::not_found(
            "no such endpoint (GET /v1/openapi.json describes the API)",
        )),
    }
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let t0 = js_sys::Date::now();
    let request_id = api::request_id(req.headers().get("x-request-id").ok().flatten());
    let cfg = config(&env);
    let path = req.path();
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let seg_refs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let method = req.method();
    let route = route_of(&method, &seg_refs);
    let origin = req.headers().get("origin").ok().flatten();

    let result: Result<(Response, Caller), ApiError> = async {
        if method == Method::Options {
            return Ok((Response::empty()?.with_status(204), Caller::anonymous()));
        }
        let keys = cfg.keys.as_ref().map_err(|e| {
            worker::console_error!("configuration: {e}");
            ApiError::new(
                500,
                "misconfigured",
                "the worker's API keys are misconfigured",
            )
        })?;
        let presented = auth::presented_key(
            req.headers().get("authorization").ok().flatten(),
            req.headers().get("x-api-key").ok().flatten(),
        );
        let jwt_keys = cfg.jwt.as_ref().map_err(|e| {
            worker::console_error!("configuration: {e}");
            ApiError::new(
                500,
                "misconfigured",
                "the worker's token keys are misconfigured",
            )
        })?;
        let caller = match presented {
            Some(k) if jwt::looks_like_jwt(&k) => {
                if !jwt_keys.enabled() {
                    return Err(ApiError::new(
                        401,
                        "invalid_token",
                        "this worker accepts API keys, not tokens",
                    ));
                }
                let (id, scopes) = jwt::verify(&k, jwt_keys, js_sys::Date::now() / 1000.0)?;
                Caller::new(id, scopes)
            }
            Some(k) => auth::authenticate(&k, keys)?,
            None => Caller::anonymous(),
        };
        let rate = caller.per_minute.unwrap_or(cfg.rate_per_minute);
        if rate > 0.0 && !matches!(route, "/v1/health" | "/v1/live") {
            // Anonymous callers are limited by address.
            let who = if caller.id == "anonymous" {
                format!(
                    "ip:{}",
                    req.headers()
                        .get("cf-connecting-ip")
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| "unknown".into())
                )
            } else {
                format!("key:{}", caller.id)
            };
            let burst = match caller.per_minute {
                Some(own) => own,
                None if cfg.rate_burst > 0.0 => cfg.rate_burst,
                None => rate,
            };
            ratelimit::check(&env, &who, rate, burst).await?;
        }
        let r = handle(&mut req, &env, &cfg, &caller, &segs).await?;
        Ok((r, caller))
    }
    .await;

    let (mut response, key_id, status) = match result {
        Ok((r, c)) => {
            let st = r.status_code();
            (r, c.id, st)
        }
        Err(e) => (error_response(&e, &request_id)?, "-".to_string(), e.status),
    };
    let headers = response.headers_mut();
    headers.set("x-request-id", &request_id)?;
    api::cors(headers, origin.as_deref(), &cfg.cors)?;
    let model = headers.get("x-model-version").ok().flatten();
    let seconds = (js_sys::Date::now() - t0) / 1000.0;
    metrics::request(route, status, seconds);
    let line = serde_json::json!({
        "request_id": request_id,
        "method": format!("{method:?}").to_uppercase(),
        "route": route,
        "status": status,
        "latency_ms": seconds * 1000.0,
        "key": key_id,
        "model": model,
    });
    worker::console_log!("{line}");
    Ok(response)
}
