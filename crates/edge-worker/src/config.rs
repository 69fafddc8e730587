//! The worker's configuration, read from its environment once per isolate: `[vars]` and
//! secrets do not change while an isolate lives (a new deployment starts new isolates),
//! so API keys and the ES256 key are parsed once, not on every request.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use crate::api::ApiError;
use crate::{auth, jwt};

/// Everything the worker reads from `wrangler.toml`'s `[vars]` and its secrets.
pub struct Config {
    /// `PUBLIC_READ`: stations, forecasts and published files without a key.
    pub public_read: bool,
    /// `CORS_ORIGINS`: origins allowed to read answers (`*` for every one).
    pub cors: Vec<String>,
    /// `MAX_BODY_BYTES`: the largest request body read.
    pub max_body: usize,
    /// `MAX_BATCH_ROWS`: the most rows of one batch (and observations of one push).
    pub max_batch_rows: usize,
    /// `MAX_PUSH_BYTES`: the largest body of a push of observations.
    pub max_push: usize,
    /// `MAX_PUSH_AGE_DAYS`: how old a pushed value may be (default 35; older data go in
    /// with `aqcast ingest`), which bounds what one station's inbox holds.
    pub max_push_age: i64,
    /// `REGISTRY_TTL`: seconds a registry document or the station list is trusted.
    pub ttl: f64,
    /// `RATE_LIMIT_PER_MINUTE`: requests a minute per caller (0: no limit).
    pub rate_per_minute: f64,
    /// `RATE_LIMIT_BURST`: the bucket's size (0: a minute's worth).
    pub rate_burst: f64,
    /// `AUTH_FAILURES_PER_MINUTE`: failed authentications a minute per client address
    /// (default 30; 0 turns the limit off), so that keys cannot be guessed at speed
    /// whatever `RATE_LIMIT_PER_MINUTE` says.
    pub auth_failures_per_minute: f64,
    /// `API_KEYS`, parsed; the error says what is wrong with the secret.
    keys: Result<Vec<auth::Key>, String>,
    /// `JWT_HS256_SECRET`, `JWT_ES256_PUBLIC_KEY`, `JWT_AUDIENCE`, parsed.
    jwt: Result<jwt::JwtKeys, String>,
}

thread_local! {
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

impl Config {
    /// The isolate's configuration, read from `env` the first time.
    pub fn get(env: &Env) -> Rc<Config> {
        CONFIG.with(|c| c.get_or_init(|| Rc::new(Config::read(env))).clone())
    }

    fn read(env: &Env) -> Config {
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
            max_push: num("MAX_PUSH_BYTES", 262_144.0) as usize,
            max_push_age: (num("MAX_PUSH_AGE_DAYS", 35.0).max(1.0) * 86_400.0) as i64,
            ttl: num("REGISTRY_TTL", 10.0),
            rate_per_minute: num("RATE_LIMIT_PER_MINUTE", 0.0),
            rate_burst: num("RATE_LIMIT_BURST", 0.0),
            auth_failures_per_minute: num("AUTH_FAILURES_PER_MINUTE", 30.0),
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

    /// The configured API keys; a 500 that names nothing secret when `API_KEYS` is wrong
    /// (the log says what).
    pub fn keys(&self) -> Result<&[auth::Key], ApiError> {
        self.keys
            .as_deref()
            .map_err(|e| misconfigured("API keys", e))
    }

    /// The configured token keys; a 500 when they are wrong.
    pub fn jwt(&self) -> Result<&jwt::JwtKeys, ApiError> {
        self.jwt
            .as_ref()
            .map_err(|e| misconfigured("token keys", e))
    }
}

fn misconfigured(what: &str, why: &str) -> ApiError {
    worker::console_error!("configuration: {why}");
    ApiError::new(
        500,
        "misconfigured",
        format!("the worker's {what} are misconfigured"),
    )
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
