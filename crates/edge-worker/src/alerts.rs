//! Bad-air alerts by Web Push: a browser subscribes to a station and a threshold category
//! (`POST /v1/alerts/subscriptions` with its `PushSubscription`), and every hour (the
//! worker's cron trigger) each station that has subscribers is forecast once and each
//! subscriber is told, by the core's rule (`aqcast_core::alert`), when the next 24 hours
//! reach their threshold and when they no longer do — once each per episode — with what
//! to do in the scale's agency's words. A push service that says the subscription is gone
//! (404, 410) or refuses it for good (400, 401, 403, 413) has it removed, as has a
//! station no longer published; data older than `ALERT_MAX_DATA_AGE_HOURS` alert nobody.
//!
//! The subscriptions live in one SQLite-backed Durable Object ([`AlertBook`]): one row
//! per browser endpoint (its id is the endpoint's SHA-256, so subscribing again replaces
//! the station and threshold — keeping the episode unless the station changes — and only
//! the browser that holds the endpoint knows the id to unsubscribe with). Messages are encrypted for each browser
//! and signed with the server's VAPID key (`webpush.rs`); the endpoint must belong to a
//! known push service (`PUSH_SERVICES`), so the worker cannot be made to post to any
//! address (endpoints are read as `fetch` reads them). A round sends its pushes six at a
//! time (what a Worker keeps open), at most [`MAX_PUSHES`] of them, and writes what it
//! told as it goes (every 600 pushes).

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result,
    RouteContext, State, Url,
};

use crate::api::{json, ApiError};
use aqcast_core::alert::{self, Tell, Watch};
use aqcast_core::forecast::Forecast;

use crate::feeds;
use crate::requests;
use crate::routes::{Answer, Ctx};
use crate::sql;

/// The push services a subscription's endpoint may name by default (host suffixes, over
/// HTTPS): Chrome's and Edge's, Firefox's, Safari's.
pub const DEFAULT_PUSH_SERVICES: &str =
    "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,notify.windows.com";

/// The largest subscribe body read.
const MAX_BODY: usize = 4096;

/// The most pushes one round sends: a Workers Paid invocation may make 10,000
/// subrequests, and a round also reads the bucket and its Durable Objects. Subscribers
/// beyond it keep their state and are told in the next round.
pub const MAX_PUSHES: usize = 9_000;

/// The most subscriptions one worker keeps unless `MAX_ALERT_SUBSCRIPTIONS` says
/// otherwise: a round reads them all (about 450 bytes each) into one isolate's 128 MB;
/// measured at 10,000 (BENCHMARKS.md).
pub const MAX_SUBSCRIPTIONS: i64 = 20_000;

/// Pushes in flight at once (a Worker keeps six connections open at a time).
const IN_FLIGHT: usize = 6;

/// How long a push service keeps a message for a browser that is offline (seconds).
const PUSH_TTL: i64 = 12 * 3600;

/// A browser's subscription to a station's bad-air days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// The endpoint's SHA-256, hex (what unsubscribes).
    pub id: String,
    /// The push service's URL for this browser.
    pub endpoint: String,
    /// The browser's P-256 public key, 65 bytes, base64url.
    pub p256dh: String,
    /// Its auth secret, 16 bytes, base64url.
    pub auth: String,
    /// The station.
    pub station: String,
    /// The threshold category, 1 (best) to 6.
    pub from: u8,
    /// The subscriber's offset from UTC, seconds (their days are local).
    pub offset: i64,
    /// Whether an episode was told and has not cleared.
    #[serde(default)]
    pub on: bool,
}

/// `POST /v1/alerts/subscriptions`: a `PushSubscription` as the browser's `toJSON()`
/// gives it, the station, and optionally the threshold and the subscriber's offset.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    /// `{"endpoint", "expirationTime"?, "keys": {"p256dh", "auth"}}`.
    pub subscription: PushSubscription,
    /// The station's id.
    pub station: String,
    /// The threshold category, 1 (best) to 6 (default 3).
    #[serde(default)]
    pub from: Option<u8>,
    /// Minutes from UTC, −720 to 840 (default 0): the subscriber's days.
    #[serde(default)]
    pub offset: Option<i64>,
}

/// A browser's `PushSubscription.toJSON()`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSubscription {
    /// The push service's URL for this browser.
    pub endpoint: String,
    /// When the subscription ends (ignored: a push service that drops it says 410).
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<serde_json::Value>,
    /// The browser's keys.
    pub keys: Keys,
}

/// A subscription's keys, base64url.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// P-256 public key, 65 bytes.
    pub p256dh: String,
    /// Auth secret, 16 bytes.
    pub auth: String,
}

/// `endpoint` as the runtime's `fetch` will read it (the WHATWG URL standard, the `url`
/// crate), when it belongs to one of `services`: an entry with a scheme
/// (`http://127.0.0.1:8080`) is an origin the endpoint must have; otherwise a host suffix,
/// over HTTPS on its default port. No user info. The URL returned, written out again, is
/// what is stored and posted to, so what was checked is what is fetched.
pub fn allowed(endpoint: &str, services: &[String]) -> Option<Url> {
    let url = Url::parse(endpoint).ok()?;
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let origin = url.origin().ascii_serialization();
    services
        .iter()
        .any(|s| {
            if s.contains("://") {
                Url::parse(s).is_ok_and(|o| o.origin().ascii_serialization() == origin)
            } else {
                url.scheme() == "https"
                    && url.port().is_none()
                    && (host == *s || host.ends_with(&format!(".{s}")))
            }
        })
        .then_some(url)
}

/// A subscribe body checked: the subscription it makes (every field but the station's
/// existence, which needs the store), or the first problem found.
pub fn check(body: Subscribe, services: &[String]) -> std::result::Result<Subscription, ApiError> {
    let s = body.subscription;
    let bad = |m: String| ApiError::new(422, "bad_subscription", m);
    let Some(endpoint) = allowed(&s.endpoint, services).filter(|_| s.endpoint.len() <= 2048) else {
        return Err(bad(format!(
            "the endpoint is not a push service's ({}): subscribe with the browser's PushManager",
            services.join(", ")
        )));
    };
    let endpoint = String::from(endpoint);
    let key = B64
        .decode(s.keys.p256dh.trim_end_matches('='))
        .ok()
        .filter(|k| k.len() == 65 && k[0] == 4 && p256::PublicKey::from_sec1_bytes(k).is_ok())
        .ok_or_else(|| bad("keys.p256dh is not a P-256 public key (65 bytes, base64url)".into()))?;
    let auth = B64
        .decode(s.keys.auth.trim_end_matches('='))
        .ok()
        .filter(|a| a.len() == 16)
        .ok_or_else(|| bad("keys.auth is not a 16-byte secret (base64url)".into()))?;
    if body.station.is_empty()
        || body.station.len() > 200
        || body.station.chars().any(char::is_control)
    {
        return Err(bad("the station is not a station id".into()));
    }
    let from = body.from.unwrap_or(feeds::DEFAULT_FROM);
    if !(1..=6).contains(&from) {
        return Err(bad(format!(
            "from={from} is not a category number from 1 (best) to 6"
        )));
    }
    let offset = body.offset.unwrap_or(0);
    if !(-720..=840).contains(&offset) {
        return Err(bad(format!(
            "offset={offset} is not a UTC offset in minutes from -720 to 840"
        )));
    }
    let id: String = Sha256::digest(endpoint.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Subscription {
        id,
        endpoint,
        p256dh: B64.encode(key),
        auth: B64.encode(auth),
        station: body.station,
        from,
        offset: offset * 60,
        on: false,
    })
}

/// `t` as a subscriber at `offset` seconds from UTC says it at `now`: "today 14:00",
/// "tomorrow 06:00", "Mon 8 Dec 14:00" (without the hour for a daily forecast).
pub fn when(t: i64, now: i64, offset: i64, hourly: bool) -> String {
    // A daily forecast's step is its source's calendar day (00:00 UTC), in any time zone.
    let local = if hourly { t + offset } else { t };
    let day = local.div_euclid(86_400);
    let c = aqcast_core::time::civil(local);
    let date = match day - (now + offset).div_euclid(86_400) {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        _ => {
            const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month = MONTHS[(c.month as usize).clamp(1, 12) - 1];
            format!(
                "{} {} {month} {}",
                DAYS[day.rem_euclid(7) as usize],
                c.day,
                c.year
            )
        }
    };
    if hourly {
        format!("{date} {:02}:{:02}", c.hour, c.minute)
    } else {
        date
    }
}

/// The message of `tell` for a subscriber at `threshold` (1–6) and `offset`, from the
/// forecast `fc` and its `watch`, at `now`: what the service worker shows.
pub fn message(
    tell: Tell,
    at: (&str, Option<&str>),
    fc: &Forecast,
    w: &Watch,
    threshold: u8,
    offset: i64,
    now: i64,
) -> String {
    let (station, name) = at;
    let place = name.unwrap_or(station);
    let category = |c: u8| {
        fc.categories
            .get(usize::from(c))
            .map_or_else(|| format!("category {}", c + 1), |c| c.name.clone())
    };
    let hourly = fc.step_seconds < 86_400;
    let pollutant = fc.pollutant.label();
    let (kind, title, body) = match tell {
        Tell::Starts => {
            let from = w.from.unwrap_or(fc.origin);
            // Data a few hours late can put the first hour over the threshold behind us.
            let mut lead = if hourly && from <= now {
                "From now".to_string()
            } else {
                format!("From {}", when(from, now, offset, hourly))
            };
            if let Some(t) = w.worst_at.filter(|&t| t != from) {
                lead.push_str(&format!(
                    ", {} at worst {}",
                    category(w.worst),
                    when(t, now, offset, hourly)
                ));
            }
            (
                "starts",
                format!(
                    "{} air ({pollutant}) forecast at {place}",
                    category(w.worst)
                ),
                format!(
                    "{lead}.\n{}",
                    feeds::advice_text(&aqcast_core::aqi::advice(fc.scale, w.worst), "\n")
                ),
            )
        }
        Tell::Clears => (
            "clears",
            format!("Air at {place}: back below {}", category(threshold - 1)),
            format!(
                "The next 24 hours are forecast {} at worst ({pollutant}).",
                category(w.worst)
            ),
        ),
    };
    serde_json::json!({
        "kind": kind,
        "title": title,
        "body": body,
        "station": station,
        "category": w.worst + 1,
        "threshold": threshold,
        "from": w.from,
        "url": format!("./#/station/{}", encode(station)),
    })
    .to_string()
}

/// `s` as `encodeURIComponent` writes it (the dashboard's station addresses).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---- The HTTP side ----

/// `GET /v1/alerts/vapid-key`: the server's public key, which the browser's
/// `PushManager.subscribe` takes as `applicationServerKey`.
pub async fn vapid_key(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let key = vapid(&cx.env)?;
    json(
        200,
        &serde_json::json!({ "key": B64.encode(key.verifying_key().to_encoded_point(false).as_bytes()) }),
    )
}

/// `POST /v1/alerts/subscriptions`.
pub async fn subscribe(mut req: Request, cx: RouteContext<Ctx>) -> Answer {
    vapid(&cx.env)?;
    let body: Subscribe = requests::body(
        &mut req,
        MAX_BODY,
        "a subscription ({\"subscription\": the browser's PushSubscription, \"station\", \"from\"?, \"offset\"?})",
    )
    .await?;
    let sub = check(body, &services(&cx.env))?;
    let store = crate::handlers::store(&cx)?;
    if store.stations().await?.doc.get(&sub.station).is_none() {
        return Err(ApiError::not_found(format!(
            "no station {:?} (GET /v1/stations lists them)",
            sub.station
        )));
    }
    let max = cx
        .env
        .var("MAX_ALERT_SUBSCRIPTIONS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<i64>().ok())
        .unwrap_or(MAX_SUBSCRIPTIONS);
    let kept: bool = call(&cx.env, "/put", Some(&(&sub, max))).await?;
    if !kept {
        return Err(ApiError::new(
            503,
            "alerts_full",
            format!("this server keeps no more than {max} alert subscriptions; the calendar and the feed of the station's bad-air days need none"),
        ));
    }
    json(
        201,
        &serde_json::json!({ "id": sub.id, "station": sub.station, "from": sub.from }),
    )
}

/// `DELETE /v1/alerts/subscriptions/{id}`.
pub async fn unsubscribe(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let id = crate::handlers::param(&cx, "id")?;
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("no such subscription"));
    }
    let gone: bool = call(&cx.env, "/delete", Some(&id)).await?;
    if !gone {
        return Err(ApiError::not_found("no such subscription"));
    }
    Ok(Response::empty()?.with_status(204))
}

fn services(env: &Env) -> Vec<String> {
    env.var("PUSH_SERVICES")
        .map(|v| v.to_string())
        .unwrap_or_else(|_| DEFAULT_PUSH_SERVICES.to_string())
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The server's VAPID key (secret `VAPID_PRIVATE_KEY`: the 32-byte P-256 private key,
/// base64url, as `npx web-push generate-vapid-keys` prints it).
fn vapid(env: &Env) -> std::result::Result<p256::ecdsa::SigningKey, ApiError> {
    let off = || {
        ApiError::new(
            503,
            "alerts_off",
            "alerts are not set up on this server (no VAPID_PRIVATE_KEY)",
        )
    };
    let secret = env
        .secret("VAPID_PRIVATE_KEY")
        .map_err(|_| off())?
        .to_string();
    B64.decode(secret.trim().trim_end_matches('='))
        .ok()
        .and_then(|b| p256::ecdsa::SigningKey::from_slice(&b).ok())
        .ok_or_else(|| {
            worker::console_error!("VAPID_PRIVATE_KEY is not a base64url P-256 private key");
            off()
        })
}

async fn call<T: for<'de> Deserialize<'de>>(
    env: &Env,
    path: &str,
    body: Option<&impl Serialize>,
) -> std::result::Result<T, ApiError> {
    let unavailable =
        || ApiError::unavailable("the alert subscriptions cannot be reached; try again");
    let stub = env
        .durable_object("ALERTS")
        .map_err(|_| {
            ApiError::unavailable("the worker has no ALERTS Durable Object binding (wrangler.toml)")
        })?
        .id_from_name("all")?
        .get_stub()?;
    let mut init = RequestInit::new();
    if let Some(b) = body {
        let text = serde_json::to_string(b).map_err(|_| unavailable())?;
        init.with_method(Method::Post).with_body(Some(text.into()));
    }
    let req = Request::new_with_init(&format!("https://alerts{path}"), &init)?;
    let mut r = stub
        .fetch_with_request(req)
        .await
        .map_err(|_| unavailable())?;
    if r.status_code() != 200 {
        return Err(unavailable());
    }
    r.json().await.map_err(|_| unavailable())
}

// ---- The hourly round ----

/// What one round did, for the log.
#[derive(Debug, Default, Serialize)]
pub struct Round {
    /// Subscriptions read.
    pub subscriptions: usize,
    /// Messages accepted by push services.
    pub sent: usize,
    /// Subscriptions removed (the push service said 404 or 410).
    pub removed: usize,
    /// Pushes or forecasts that failed (kept for the next round).
    pub failed: usize,
    /// Subscribers to tell left for the next round (past [`MAX_PUSHES`]).
    pub deferred: usize,
    /// Subscriptions to stations whose data are too old to tell anything
    /// (`ALERT_MAX_DATA_AGE_HOURS`).
    pub stale: usize,
}

/// One round: every station with subscribers forecast once, every subscriber whose
/// station has a new episode told.
pub async fn round(env: &Env) -> std::result::Result<Round, ApiError> {
    let key = vapid(env)?;
    let subject = env
        .var("VAPID_SUBJECT")
        .map(|v| v.to_string())
        .unwrap_or_else(|_| "mailto:aqcast@localhost".into());
    // A forecast from data older than this tells nobody anything (the dashboard says there
    // is no recent measurement); an episode told stays as it was.
    let max_age = env
        .var("ALERT_MAX_DATA_AGE_HOURS")
        .ok()
        .and_then(|v| v.to_string().trim().parse::<f64>().ok())
        .filter(|h| h.is_finite() && *h >= 0.0)
        .unwrap_or(6.0);
    let subs: Vec<Subscription> = call(env, "/list", None::<&()>).await?;
    let mut out = Round {
        subscriptions: subs.len(),
        ..Round::default()
    };
    let mut by_station: BTreeMap<&str, Vec<&Subscription>> = BTreeMap::new();
    for s in &subs {
        by_station.entry(s.station.as_str()).or_default().push(s);
    }
    let cfg = crate::config::Config::get(env);
    let store = crate::store::Store::new(env.bucket("STORE")?, cfg.ttl);
    let list = store.stations().await?;
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let mut changed = Changes::default();
    // Who is to be told what: (subscription, its message, the state after).
    let mut told: Vec<(&Subscription, String, bool)> = Vec::new();
    for (station, subs) in by_station {
        if list.doc.get(station).is_none() {
            // A station no longer published: nothing will ever be told of it.
            out.removed += subs.len();
            changed.gone.extend(subs.iter().map(|s| s.id.clone()));
            continue;
        }
        let (f, name) = match forecast_now(env, &store, &list.doc, station).await {
            Ok(x) => x,
            Err(e) => {
                worker::console_error!("alerts: no forecast for {station}: {}", e.message);
                out.failed += subs.len();
                continue;
            }
        };
        if (now - f.data_time) as f64 > max_age * 3600.0 {
            out.stale += subs.len();
            continue;
        }
        for s in subs {
            let Some(w) = alert::watch(&f, s.from) else {
                continue;
            };
            if let Some(tell) = alert::next(s.on, &w) {
                let at = (station, name.as_deref());
                let text = message(tell, at, &f, &w, s.from, s.offset, now);
                told.push((s, text, tell == Tell::Starts));
            }
        }
    }
    // Past MAX_PUSHES, the rest wait for the next round; which ones turns with the hour,
    // so that none waits for ever behind others.
    if !told.is_empty() {
        let turn = (now / 3600).rem_euclid(told.len() as i64) as usize;
        told.rotate_left(turn);
    }
    out.deferred = told.len().saturating_sub(MAX_PUSHES);
    told.truncate(MAX_PUSHES);
    let signer = Signer {
        key: &key,
        subject: &subject,
        expires: now + PUSH_TTL,
        made: Default::default(),
    };
    for (i, chunk) in told.chunks(IN_FLIGHT).enumerate() {
        let sent = futures_util::future::join_all(
            chunk
                .iter()
                .map(|(s, text, _)| send(s, text.as_bytes(), &signer)),
        )
        .await;
        for ((s, _, on), result) in chunk.iter().zip(sent) {
            match result {
                Ok(Sent::Accepted) => {
                    out.sent += 1;
                    changed.on.push(Told {
                        id: s.id.clone(),
                        station: s.station.clone(),
                        from: s.from,
                        on: *on,
                    });
                }
                Ok(Sent::Gone) => {
                    out.removed += 1;
                    changed.gone.push(s.id.clone());
                }
                Err(e) => {
                    worker::console_error!("alerts: push to {} failed: {e}", s.id);
                    out.failed += 1;
                }
            }
        }
        // What was told is written as the round goes (every 600 pushes), so that a round
        // cut short does not tell it again.
        if (i + 1) % 100 == 0 {
            write(env, &mut changed).await?;
        }
    }
    write(env, &mut changed).await?;
    Ok(out)
}

async fn write(env: &Env, changed: &mut Changes) -> std::result::Result<(), ApiError> {
    if !(changed.on.is_empty() && changed.gone.is_empty()) {
        let _: bool = call(env, "/changes", Some(&*changed)).await?;
        *changed = Changes::default();
    }
    Ok(())
}

/// What a round changed: the episodes told (on) or cleared (off), the subscriptions gone.
#[derive(Default, Serialize, Deserialize)]
struct Changes {
    on: Vec<Told>,
    gone: Vec<String>,
}

/// An episode told, for the subscription as it was when the round read it (a subscriber
/// who changed station or threshold since starts afresh).
#[derive(Serialize, Deserialize)]
struct Told {
    id: String,
    station: String,
    from: u8,
    on: bool,
}

/// The station's forecast from its latest data, by the model that serves it, with what
/// was pushed since its snapshot (the published one when nothing was: what
/// `/v1/forecast` serves); and the station's name.
async fn forecast_now(
    env: &Env,
    store: &crate::store::Store,
    stations: &aqcast_core::published::Stations,
    station: &str,
) -> std::result::Result<(Forecast, Option<String>), ApiError> {
    let info = stations
        .get(station)
        .ok_or_else(|| ApiError::not_found("not in the station list"))?;
    let model = info
        .models
        .first()
        .ok_or_else(|| ApiError::not_found("no model forecasts it"))?;
    // As published, when it holds (what `/v1/forecast` serves): nothing loaded or computed.
    let read = match crate::handlers::published_forecast(env, store, station, model).await? {
        crate::handlers::Latest::Published(p, _, _) => {
            match serde_json::from_slice::<Forecast>(&p.bytes) {
                Ok(f) => return Ok((f, info.name.clone())),
                Err(e) => {
                    worker::console_error!(
                        "the published forecast of {station} does not read ({e}); computing it"
                    );
                    None
                }
            }
        }
        crate::handlers::Latest::Compute(read) => read,
    };
    let m = store.model(model, None).await?;
    let fc = m
        .forecaster
        .as_ref()
        .ok_or_else(|| ApiError::not_found("its model does not forecast"))?;
    let published = store.snapshot(station).await?;
    let (snapshot, _) =
        crate::observations::merged(env, station, published.doc.clone(), read).await;
    let tracked = snapshot.tracked_for(&m.name, &m.version.sha256);
    let f = fc
        .forecast_with(&snapshot.series(), None, Some(station), tracked)
        .map_err(|e| ApiError::forecast(e, false))?;
    Ok((f, info.name.clone()))
}

enum Sent {
    Accepted,
    Gone,
}

/// `n` random bytes from the runtime's CSPRNG (`crypto.getRandomValues`).
fn random<const N: usize>() -> std::result::Result<[u8; N], String> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .map_err(|_| "no crypto in this runtime".to_string())?;
    let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
        .map_err(|_| "no crypto.getRandomValues".to_string())?;
    let array = js_sys::Uint8Array::new_with_length(N as u32);
    js_sys::Function::from(get)
        .call1(&crypto, &array)
        .map_err(|_| "crypto.getRandomValues failed".to_string())?;
    let mut out = [0u8; N];
    array.copy_to(&mut out);
    Ok(out)
}

/// The VAPID authorization of a round, made once per push service (its signature is the
/// costly part of a push, and every push to one service in a round can carry the same).
struct Signer<'a> {
    key: &'a p256::ecdsa::SigningKey,
    subject: &'a str,
    expires: i64,
    made: std::cell::RefCell<BTreeMap<String, String>>,
}

impl Signer<'_> {
    fn authorization(&self, origin: &str) -> String {
        if let Some(h) = self.made.borrow().get(origin) {
            return h.clone();
        }
        let h = crate::webpush::vapid(origin, self.subject, self.expires, self.key);
        self.made.borrow_mut().insert(origin.to_string(), h.clone());
        h
    }
}

async fn send(
    s: &Subscription,
    text: &[u8],
    signer: &Signer<'_>,
) -> std::result::Result<Sent, String> {
    let ua = B64.decode(&s.p256dh).map_err(|e| e.to_string())?;
    let auth = B64.decode(&s.auth).map_err(|e| e.to_string())?;
    let ephemeral = loop {
        if let Ok(k) = p256::SecretKey::from_slice(&random::<32>()?) {
            break k;
        }
    };
    let body = crate::webpush::encrypt(text, &ua, &auth, &ephemeral, &random::<16>()?)
        .map_err(|e| e.to_string())?;
    let origin = Url::parse(&s.endpoint)
        .map_err(|e| format!("the endpoint is not a URL ({e})"))?
        .origin()
        .ascii_serialization();
    let headers = worker::Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("content-encoding", "aes128gcm")?;
    set("content-type", "application/octet-stream")?;
    set("ttl", &PUSH_TTL.to_string())?;
    set("urgency", "high")?;
    set("authorization", &signer.authorization(&origin))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    let req = Request::new_with_init(&s.endpoint, &init).map_err(|e| e.to_string())?;
    let r = worker::Fetch::Request(req)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match r.status_code() {
        200..=299 => Ok(Sent::Accepted),
        // Gone (RFC 8030 §7.3), or refused for good: a malformed or oversized request or
        // one the push service will not authorise (a VAPID key the subscription was not
        // made with, after the key changed): it will never work, so it goes.
        400 | 401 | 403 | 404 | 410 | 413 => Ok(Sent::Gone),
        n => Err(format!("the push service answered {n}")),
    }
}

// ---- The subscriptions ----

/// Every subscription, in one SQLite-backed Durable Object.
#[durable_object]
pub struct AlertBook {
    state: State,
}

impl AlertBook {
    fn sql(&self) -> worker::SqlStorage {
        self.state.storage().sql()
    }
}

impl DurableObject for AlertBook {
    fn new(state: State, _env: Env) -> Self {
        AlertBook { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let sql = self.sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS subs (
               id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, p256dh TEXT NOT NULL,
               auth TEXT NOT NULL, station TEXT NOT NULL, threshold INTEGER NOT NULL,
               utc_offset INTEGER NOT NULL, episode INTEGER NOT NULL)",
            None,
        )?;
        match req.path().as_str() {
            "/put" => {
                let (s, max): (Subscription, i64) = req.json().await?;
                let known = !sql
                    .exec(
                        "SELECT 1 FROM subs WHERE id = ?",
                        vec![s.id.as_str().into()],
                    )?
                    .raw()
                    .collect::<Result<Vec<_>>>()?
                    .is_empty();
                if !known && self.count()? >= max {
                    return Response::from_json(&false);
                }
                sql.exec(
                    "INSERT INTO subs (id, endpoint, p256dh, auth, station, threshold, utc_offset, episode)
                     VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                     ON CONFLICT (id) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
                       station = excluded.station, threshold = excluded.threshold,
                       utc_offset = excluded.utc_offset,
                       episode = CASE WHEN station = excluded.station THEN episode ELSE 0 END",
                    vec![
                        s.id.as_str().into(),
                        s.endpoint.as_str().into(),
                        s.p256dh.as_str().into(),
                        s.auth.as_str().into(),
                        s.station.as_str().into(),
                        f64::from(s.from).into(),
                        (s.offset as f64).into(),
                    ],
                )?;
                Response::from_json(&true)
            }
            "/delete" => {
                let id: String = req.json().await?;
                let deleted = sql
                    .exec(
                        "DELETE FROM subs WHERE id = ? RETURNING id",
                        vec![id.as_str().into()],
                    )?
                    .raw()
                    .collect::<Result<Vec<_>>>()?;
                Response::from_json(&!deleted.is_empty())
            }
            "/changes" => {
                let c: Changes = req.json().await?;
                for t in c.on {
                    sql.exec(
                        "UPDATE subs SET episode = ? WHERE id = ? AND station = ? AND threshold = ?",
                        vec![
                            f64::from(u8::from(t.on)).into(),
                            t.id.as_str().into(),
                            t.station.as_str().into(),
                            f64::from(t.from).into(),
                        ],
                    )?;
                }
                for id in c.gone {
                    sql.exec("DELETE FROM subs WHERE id = ?", vec![id.as_str().into()])?;
                }
                Response::from_json(&true)
            }
            "/list" => {
                let rows = sql::rows(sql.exec(
                    "SELECT id, endpoint, p256dh, auth, station, threshold, utc_offset, episode FROM subs ORDER BY station, id",
                    None,
                )?)?;
                let list: Vec<Subscription> = rows
                    .into_iter()
                    .map(|mut r| Subscription {
                        id: sql::text(&mut r, 0),
                        endpoint: sql::text(&mut r, 1),
                        p256dh: sql::text(&mut r, 2),
                        auth: sql::text(&mut r, 3),
                        station: sql::text(&mut r, 4),
                        from: sql::int(&r, 5).clamp(1, 6) as u8,
                        offset: sql::int(&r, 6),
                        on: sql::int(&r, 7) != 0,
                    })
                    .collect();
                Response::from_json(&list)
            }
            _ => Response::error("no such call", 404),
        }
    }
}

impl AlertBook {
    fn count(&self) -> Result<i64> {
        let rows = sql::rows(self.sql().exec("SELECT COUNT(*) FROM subs", None)?)?;
        Ok(rows.first().map(|r| sql::int(r, 0)).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Vec<String> {
        DEFAULT_PUSH_SERVICES
            .split(',')
            .map(String::from)
            .chain(["http://127.0.0.1:9999".to_string()])
            .collect()
    }

    fn body(endpoint: &str, p256dh: &str, auth: &str, from: Option<u8>) -> Subscribe {
        requests::parse(
            serde_json::json!({
                "subscription": { "endpoint": endpoint, "expirationTime": null, "keys": { "p256dh": p256dh, "auth": auth } },
                "station": "DEBY047", "from": from, "offset": 60,
            })
            .to_string()
            .as_bytes(),
            "a subscription",
        )
        .unwrap_or_else(|e| panic!("{}", e.message))
    }

    // RFC 8291 Appendix A's browser key and auth secret.
    const UA: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

    #[test]
    fn endpoints_of_known_push_services_only() {
        let s = services();
        let ok = |u: &str| allowed(u, &s).map(String::from);
        assert_eq!(
            ok("https://fcm.googleapis.com/fcm/send/abc").as_deref(),
            Some("https://fcm.googleapis.com/fcm/send/abc")
        );
        assert!(ok("https://wns2-db5p.notify.windows.com/w/?token=x").is_some());
        assert!(ok("http://127.0.0.1:9999/push/1").is_some());
        // What is stored is what fetch reads: the default port dropped, the host lowered,
        // tabs and newlines taken out.
        assert_eq!(
            ok("https://FCM.googleapis.com:443/fcm/send/a").as_deref(),
            Some("https://fcm.googleapis.com/fcm/send/a")
        );
        assert_eq!(
            ok("https://evil.com\t.fcm.googleapis.com/x").as_deref(),
            Some("https://evil.com.fcm.googleapis.com/x")
        );
        for bad in [
            // fetch reads a backslash as a slash: the host would be evil.com.
            "https://evil.com\\.fcm.googleapis.com/x",
            "https://evil.com%2F.fcm.googleapis.com/x",
            "https://fcm.googleapis.com:8443/x",
            "https://user:pw@fcm.googleapis.com/x",
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://evilfcm.googleapis.com.example/x",
            "https://fcm.googleapis.com.evil.example/x",
            "https://user@fcm.googleapis.com/x",
            "http://127.0.0.1:99990/push",
            "https://169.254.169.254/latest",
            "fcm.googleapis.com/x",
        ] {
            assert!(ok(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_station_in_a_message_s_address_is_written_as_the_dashboard_writes_it() {
        assert_eq!(encode("DEBY047"), "DEBY047");
        assert_eq!(encode("a b/ü#"), "a%20b%2F%C3%BC%23");
    }

    #[test]
    fn times_are_said_in_the_subscriber_s_days() {
        let t = 1_796_688_000 + 14 * 3600; // 2026-12-08 14:00 UTC, a Tuesday
        assert_eq!(when(t, t - 3600, 0, true), "today 14:00");
        assert_eq!(when(t, t - 20 * 3600, 0, true), "tomorrow 14:00");
        assert_eq!(when(t, t - 3 * 86_400, 0, true), "Tue 8 Dec 2026 14:00");
        // An hour ahead of UTC: 15:00; at 23:30 local the day before, tomorrow.
        assert_eq!(when(t, t - 16 * 3600 + 1_800, 3600, true), "tomorrow 15:00");
        assert_eq!(when(t, t - 3 * 86_400, 0, false), "Tue 8 Dec 2026");
        // A daily step is its source's calendar day wherever the subscriber is: eight
        // hours behind UTC, on the evening of the 7th, the 8th is tomorrow.
        let day = 1_796_688_000;
        assert_eq!(
            when(day, day - 8 * 3600 + 3600, -8 * 3600, false),
            "tomorrow"
        );
        assert_eq!(when(day, day + 3600, -8 * 3600, false), "tomorrow");
        assert_eq!(when(day, day + 9 * 3600, -8 * 3600, false), "today");
    }

    #[test]
    fn a_message_says_when_how_bad_and_what_to_do_and_when_it_clears() {
        let categories = aqcast_core::aqi::categories(aqcast_core::aqi::Scale::Epa);
        let start = 1_796_688_000; // 2026-12-08 00:00 UTC
        let steps = [1u8, 2, 3, 2]
            .iter()
            .enumerate()
            .map(|(i, &c)| aqcast_core::forecast::Step {
                step: i as u32 + 1,
                time: start + 6 * 3600 * i as i64,
                p10: 0.0,
                p50: 0.0,
                p90: 0.0,
                aqi: 0,
                category: c,
                probabilities: Vec::new(),
            })
            .collect();
        let f = Forecast {
            origin: start - 3600,
            data_time: start - 3600,
            pollutant: aqcast_core::pollutant::Pollutant::Pm25,
            unit: aqcast_core::pollutant::Unit::UgM3,
            scale: aqcast_core::aqi::Scale::Epa,
            step_seconds: 6 * 3600,
            categories,
            steps,
            tracked: None,
            ahead: Vec::new(),
        };
        let w = alert::watch(&f, 3).unwrap_or_else(|| panic!("steps"));
        let now = start - 1_800;
        let m: serde_json::Value = serde_json::from_str(&message(
            Tell::Starts,
            ("DEBY047", Some("Munich")),
            &f,
            &w,
            3,
            0,
            now,
        ))
        .unwrap_or_default();
        assert_eq!(m["title"], "Unhealthy air (PM2.5) forecast at Munich");
        assert_eq!(
            (m["kind"].as_str(), m["category"].as_u64()),
            (Some("starts"), Some(4))
        );
        let body = m["body"].as_str().unwrap_or_default();
        assert!(
            body.starts_with("From tomorrow 06:00, Unhealthy at worst tomorrow 12:00.\nEveryone: "),
            "{body}"
        );
        assert_eq!(m["url"], "./#/station/DEBY047");
        let clear = alert::Watch {
            worst: 1,
            from: None,
            worst_at: None,
        };
        let m: serde_json::Value = serde_json::from_str(&message(
            Tell::Clears,
            ("DEBY047", None),
            &f,
            &clear,
            3,
            0,
            now,
        ))
        .unwrap_or_default();
        assert_eq!(
            m["title"],
            "Air at DEBY047: back below Unhealthy for Sensitive Groups"
        );
        assert_eq!(
            m["body"],
            "The next 24 hours are forecast Moderate at worst (PM2.5)."
        );
    }

    #[test]
    fn a_subscription_is_checked_whole() {
        let ok = check(
            body("https://fcm.googleapis.com/fcm/send/a", UA, AUTH, Some(4)),
            &services(),
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!((ok.from, ok.offset, ok.id.len()), (4, 3600, 64));
        let err = |b| check(b, &services()).map(|_| ()).unwrap_err().message;
        assert!(err(body("https://example.com/x", UA, AUTH, None)).contains("push service"));
        assert!(
            err(body("https://fcm.googleapis.com/x", &UA[..40], AUTH, None)).contains("p256dh")
        );
        assert!(err(body("https://fcm.googleapis.com/x", UA, "AAAA", None)).contains("auth"));
        assert!(err(body("https://fcm.googleapis.com/x", UA, AUTH, Some(7))).contains("from=7"));
        // The same endpoint is the same subscription.
        let again = check(
            body("https://fcm.googleapis.com/fcm/send/a", UA, AUTH, Some(3)),
            &services(),
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(again.id, ok.id);
    }
}
