//! The `/v1` endpoints, as the route table ([`crate::routes`]) calls them: the request
//! and its context in (path parameters, the caller, the configuration), an answer or an
//! [`ApiError`] out. Access and rate limits are checked before a handler runs.

use std::rc::Rc;

use serde_json::{json, Map, Value};
use worker::{Headers, Request, Response, RouteContext};

use aqcast_core::published::Stage;
use aqcast_core::shap;

use crate::api::{json, json_text, ApiError};
use crate::observations::InboxRead;
use crate::requests::{self, Batch, OneRow, Promote};
use crate::routes::{Answer, Ctx};
use crate::store::{iso_now, Loaded, Made, Store};

/// The store over the `STORE` binding.
pub(crate) fn store(cx: &RouteContext<Ctx>) -> Result<Store, ApiError> {
    let bucket = cx.env.bucket("STORE").map_err(|_| {
        ApiError::unavailable("the worker has no STORE bucket binding (wrangler.toml)")
    })?;
    Ok(Store::new(bucket, cx.data.cfg.ttl))
}

/// A path parameter, percent-decoded (station ids and file keys may hold any character).
pub(crate) fn param(cx: &RouteContext<Ctx>, name: &str) -> Result<String, ApiError> {
    let raw = cx
        .param(name)
        .ok_or_else(|| ApiError::not_found(format!("no {name} in the path")))?;
    let value = js_sys::decode_uri_component(raw)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "the {name} in the path is not valid percent-encoded UTF-8"
            ))
        })?;
    // Object storage refuses keys over 1,024 bytes (R2 with an error that reads as an
    // outage): nothing is published under a longer one.
    let max = if name == "key" { 1_000 } else { 256 };
    if value.len() > max {
        return Err(ApiError::not_found(format!(
            "no such {name}: it is {} bytes long, and none is longer than {max}",
            value.len()
        )));
    }
    Ok(value)
}

/// A route's query parameters, each one it takes at most once; any other is a 400 (a
/// misspelt `?modle=` is an error, not a default).
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// The query of `req`, refused if it names a parameter outside `takes`.
    pub(crate) fn of(req: &Request, takes: &[&str]) -> Result<Query, ApiError> {
        let pairs: Vec<(String, String)> = req
            .url()?
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        if let Some((n, _)) = pairs.iter().find(|(n, _)| !takes.contains(&n.as_str())) {
            let takes = if takes.is_empty() {
                "none".to_string()
            } else {
                takes.join(", ")
            };
            return Err(ApiError::bad_request(format!(
                "unknown query parameter {n:?} (this route takes: {takes})"
            )));
        }
        Ok(Query(pairs))
    }

    /// A parameter's value; an empty value (`?model=`) is the same as none.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.given(name).filter(|v| !v.is_empty())
    }

    /// A parameter's value as given, empty or not (`?limit=` is a bad number, not none).
    pub(crate) fn given(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the request's `If-None-Match` matches `etag`: `*`, or any tag of its list,
/// compared weakly (RFC 9110 §13.1.2: `W/"x"` matches `"x"`).
fn if_none_match(req: &Request, etag: &str) -> bool {
    req.headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|h| crate::api::etag_matches(&h, etag))
}

/// `GET /v1/health`.
pub async fn health(_req: Request, _cx: RouteContext<Ctx>) -> Answer {
    json(
        200,
        &json!({ "status": "ok", "service": "aqcast-edge", "version": aqcast_core::VERSION }),
    )
}

/// `GET /v1/live`.
pub async fn live(_req: Request, _cx: RouteContext<Ctx>) -> Answer {
    json(200, &json!({ "status": "live" }))
}

/// `GET /v1/openapi.json`.
pub async fn openapi(_req: Request, _cx: RouteContext<Ctx>) -> Answer {
    json_text(200, crate::OPENAPI.to_string())
}

/// `GET /v1/metrics`: Prometheus text.
pub async fn metrics(_req: Request, _cx: RouteContext<Ctx>) -> Answer {
    let headers = Headers::new();
    headers.set("content-type", "text/plain; version=0.0.4")?;
    Ok(Response::ok(crate::metrics::render())?.with_headers(headers))
}

/// `GET /v1/ready`: 200 only when every model's production version loads.
pub async fn ready(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let store = store(&cx)?;
    let names = store.names().await?;
    let mut models = Vec::new();
    for name in &names {
        let doc = store.registry(name).await?;
        if doc.latest(Some(Stage::Production)).is_none() {
            continue;
        }
        match store.model(name, Some("production")).await {
            Ok(m) => models.push(json!({ "name": name, "version": m.version.version })),
            Err(e) => {
                return Err(ApiError::new(
                    503,
                    "not_ready",
                    format!("model {name}: {}", e.message),
                ))
            }
        }
    }
    if models.is_empty() {
        return Err(ApiError::new(
            503,
            "not_ready",
            "no model is in production yet",
        ));
    }
    json(200, &json!({ "status": "ready", "models": models }))
}

/// `GET /v1/models`.
pub async fn models(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let store = store(&cx)?;
    let mut out = Vec::new();
    for name in store.names().await? {
        let doc = store.registry(&name).await?;
        let v = |s: Stage| doc.latest(Some(s)).map(|v| v.version);
        out.push(json!({
            "name": name,
            "versions": doc.versions.len(),
            "production": v(Stage::Production),
            "staging": v(Stage::Staging),
            "latest": doc.latest(None).map(|v| v.version),
            "kind": doc.latest(None).map(|v| v.kind.clone()),
            "updated": doc.updated,
        }));
    }
    json(200, &json!({ "models": out }))
}

/// `GET /v1/models/{name}`.
pub async fn model(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let doc = store(&cx)?.registry(&param(&cx, "name")?).await?;
    json(200, &*doc)
}

/// `GET /v1/models/{name}/versions/{version}`: a version by selector.
pub async fn version(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let doc = store(&cx)?.registry(&param(&cx, "name")?).await?;
    let v = doc
        .resolve(&param(&cx, "version")?)
        .map_err(ApiError::core)?;
    json(200, v)
}

/// `POST /v1/models/{name}/promote` with `{"version", "stage", "note"?}`.
pub async fn promote(mut req: Request, cx: RouteContext<Ctx>) -> Answer {
    let name = param(&cx, "name")?;
    let body: Promote = requests::body(&mut req, cx.data.cfg.max_body, "a promotion (\"version\": a number, a stage, a tag or \"latest\"; \"stage\": dev, staging, production or archived; \"note\"?)").await?;
    let by = format!("key:{}", cx.data.caller.id);
    let (doc, version) = store(&cx)?
        .promote(
            &name,
            &body.version.text(),
            body.stage,
            &by,
            body.note.as_deref(),
        )
        .await?;
    json(
        200,
        &json!({ "name": name, "version": version, "stage": body.stage, "revision": doc.revision }),
    )
}

/// Reads one row: an array in feature order, or an object by feature name. Every feature
/// must be given; `null` is a missing value.
fn row(m: &Loaded, v: &Value, at: &str) -> Result<Vec<f64>, ApiError> {
    let features = &m.parts.features;
    let num = |x: &Value, name: &str| -> Result<f64, ApiError> {
        match x {
            Value::Null => Ok(f64::NAN),
            Value::Number(n) => n.as_f64().ok_or_else(|| {
                ApiError::new(422, "bad_input", format!("{at}: {name}: not a number"))
            }),
            other => Err(ApiError::new(
                422,
                "bad_input",
                format!(
                    "{at}: {name}: {} is not a number (null marks a missing value)",
                    kind(other)
                ),
            )),
        }
    };
    match v {
        Value::Array(a) => {
            if a.len() != features.len() {
                return Err(ApiError::new(
                    422,
                    "bad_input_shape",
                    format!(
                        "{at}: {} values where the model takes {} ({})",
                        a.len(),
                        features.len(),
                        features.join(", ")
                    ),
                ));
            }
            a.iter().zip(features).map(|(x, f)| num(x, f)).collect()
        }
        Value::Object(o) => {
            if !m.parts.named_features {
                return Err(ApiError::new(
                    422,
                    "bad_input",
                    format!(
                        "{at}: this model's features have no names; give an array of {}",
                        features.len()
                    ),
                ));
            }
            if let Some(unknown) = o.keys().find(|k| !features.iter().any(|f| f == *k)) {
                return Err(ApiError::new(
                    422,
                    "unknown_feature",
                    format!("{at}: the model has no feature {unknown:?}"),
                ));
            }
            features
                .iter()
                .map(|f| match o.get(f) {
                    Some(x) => num(x, f),
                    None => Err(ApiError::new(
                        422,
                        "missing_feature",
                        format!("{at}: feature {f:?} is missing (send null for a missing value)"),
                    )),
                })
                .collect()
        }
        other => Err(ApiError::new(
            422,
            "bad_input",
            format!(
                "{at}: {} where a row (an array or an object) is expected",
                kind(other)
            ),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The head a request names (default 0), checked against the model.
fn head(m: &Loaded, head: Option<usize>) -> Result<usize, ApiError> {
    let h = head.unwrap_or(0);
    if h >= m.predictors.len() {
        return Err(ApiError::core(aqcast_core::ModelError::NoSuchHead {
            index: h,
            heads: m.predictors.len(),
        }));
    }
    Ok(h)
}

/// Names the model version that answered, in a header (the log line reads it too).
fn tagged(mut r: Response, m: &Loaded) -> Result<Response, ApiError> {
    r.headers_mut().set(
        "x-model-version",
        &format!("{}/{}", m.name, m.version.version),
    )?;
    Ok(r)
}

fn served(m: &Loaded) -> Value {
    json!({ "model": m.name, "version": m.version.version, "sha256": m.version.sha256 })
}

const ONE_ROW: &str = "a request for one row (\"model\"; \"features\": an array in feature order or an object by name; \"version\"?; \"head\"?)";

/// The model, head and feature row of a one-row request (`predict`, `explain`).
async fn one_row(
    mut req: Request,
    cx: &RouteContext<Ctx>,
) -> Result<(Rc<Loaded>, usize, Vec<f64>), ApiError> {
    let body: OneRow = requests::body(&mut req, cx.data.cfg.max_body, ONE_ROW).await?;
    let version = body.version.as_ref().map(|v| v.text());
    let m = store(cx)?.model(&body.model, version.as_deref()).await?;
    let h = head(&m, body.head)?;
    let r = row(&m, &body.features, "features")?;
    Ok((m, h, r))
}

/// `POST /v1/predict` with `{"model", "version"?, "features", "head"?}`.
pub async fn predict(req: Request, cx: RouteContext<Ctx>) -> Answer {
    let (m, h, r) = one_row(req, &cx).await?;
    let y = m.predictors[h].predict_row(&r).map_err(ApiError::core)?;
    crate::metrics::inputs(&m, std::slice::from_ref(&r));
    let mut out = served(&m);
    out["head"] = json!(h);
    out["prediction"] = json!(y);
    tagged(json(200, &out)?, &m)
}

/// `POST /v1/predict/batch` with `{"model", "version"?, "rows", "head"?}`.
pub async fn predict_batch(mut req: Request, cx: RouteContext<Ctx>) -> Answer {
    let max_rows = cx.data.cfg.max_batch_rows;
    let body: Batch = requests::body(
        &mut req,
        cx.data.cfg.max_body,
        "a batch (\"model\"; \"rows\": an array of rows; \"version\"?; \"head\"?)",
    )
    .await?;
    let version = body.version.as_ref().map(|v| v.text());
    let m = store(&cx)?.model(&body.model, version.as_deref()).await?;
    let h = head(&m, body.head)?;
    let rows = &body.rows;
    if rows.is_empty() || rows.len() > max_rows {
        return Err(ApiError::new(
            422,
            "bad_batch_size",
            format!(
                "a batch holds 1 to {max_rows} rows; this one has {}",
                rows.len()
            ),
        ));
    }
    let parsed: Vec<Vec<f64>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| row(&m, r, &format!("rows[{i}]")))
        .collect::<Result<_, _>>()?;
    let flat: Vec<f64> = parsed.iter().flatten().copied().collect();
    let ys = m.predictors[h]
        .predict(aqcast_core::Matrix::RowMajorF64(&flat))
        .map_err(ApiError::core)?;
    crate::metrics::inputs(&m, &parsed);
    let mut out = served(&m);
    out["head"] = json!(h);
    out["predictions"] = json!(ys);
    tagged(json(200, &out)?, &m)
}

/// `POST /v1/explain` with `{"model", "version"?, "features", "head"?}`: exact TreeSHAP.
pub async fn explain(req: Request, cx: RouteContext<Ctx>) -> Answer {
    let (m, h, r) = one_row(req, &cx).await?;
    let phi = shap::explain(&m.parts.heads[h].ensemble, &r).map_err(ApiError::core)?;
    let y = m.predictors[h].predict_row(&r).map_err(ApiError::core)?;
    crate::metrics::inputs(&m, std::slice::from_ref(&r));
    let mut contributions = Map::new();
    for (f, v) in m.parts.features.iter().zip(&phi) {
        contributions.insert(f.clone(), json!(v));
    }
    let mut out = served(&m);
    out["head"] = json!(h);
    out["prediction"] = json!(y);
    out["bias"] = json!(phi.last().copied().unwrap_or(0.0));
    out["contributions"] = Value::Object(contributions);
    tagged(json(200, &out)?, &m)
}

/// `GET /v1/files/`: no key, so no file (there is no listing of the store).
pub async fn no_file(_req: Request, _cx: RouteContext<Ctx>) -> Answer {
    Err(ApiError::not_found(
        "give a published file's key: /v1/files/stations.json, /v1/files/basemap.json, /v1/files/stations/<id>/recent.json, /v1/files/stations/<id>/summary.json, /v1/files/registry/<name>.json",
    ))
}

/// `GET /v1/files/{key}`: a published object as it is stored (the station list, a
/// snapshot, a registry document, a version's artifact or report), so the dashboard reads
/// the same layout from the worker as from a static host. Versions are content addressed
/// and cached for good; the rest for a minute.
pub async fn file(req: Request, cx: RouteContext<Ctx>) -> Answer {
    let key = &param(&cx, "key")?;
    if !aqcast_core::published::layout::is_published(key) {
        return Err(ApiError::not_found(format!(
            "{key:?} is not a published file (stations.json, basemap.json, stations/<id>/recent.json, stations/<id>/summary.json, registry/<name>.json, models/<name>/<sha256>/model.aqm)"
        )));
    }
    let store = store(&cx)?;
    // A station's snapshot (as published, trusted for the TTL like a registry document)
    // carries what its sensors pushed since: those are read at every use (an ETag makes
    // that a 304 while nothing is new).
    if let Some(site) = key
        .strip_prefix("stations/")
        .and_then(|k| k.strip_suffix("/recent.json"))
    {
        let site = aqcast_core::published::layout::decode_segment(site)
            .unwrap_or_else(|| site.to_string());
        let published = store.snapshot(&site).await?;
        let (bytes, etag, cache) =
            match crate::observations::merged(&cx.env, &site, published.doc.clone(), None).await {
                (snapshot, Some(seq @ 1..)) => (
                    snapshot.to_json(),
                    format!("\"{}-{seq}\"", published.etag.trim_matches('"')),
                    "public, max-age=0, must-revalidate",
                ),
                // Nothing pushed yet: the first push shows within a minute.
                (_, Some(_)) => (
                    published.bytes.clone(),
                    published.etag.clone(),
                    "public, max-age=60",
                ),
                // The pushed values could not be read: the snapshot as published, not
                // cached.
                (_, None) => (published.bytes.clone(), published.etag.clone(), "no-store"),
            };
        if if_none_match(&req, &etag) {
            return not_modified(&etag, cache);
        }
        return Ok(Response::from_bytes(bytes)?.with_headers(file_headers(key, &etag, cache)?));
    }
    // Anything else goes from the bucket to the client as a stream, never through the
    // worker's memory.
    let Some((body, etag)) = store.open(key).await? else {
        return Err(ApiError::not_found(format!("no published file {key:?}")));
    };
    let cache = if key.starts_with("models/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    };
    if if_none_match(&req, &etag) {
        return not_modified(&etag, cache);
    }
    Ok(Response::from_body(body)?.with_headers(file_headers(key, &etag, cache)?))
}

/// The headers of a published file: its ETag, how long it may be cached, its type (a
/// training report shown, never able to script the API's origin).
fn file_headers(key: &str, etag: &str, cache: &str) -> Result<Headers, ApiError> {
    let headers = Headers::new();
    headers.set("etag", etag)?;
    headers.set("cache-control", cache)?;
    let kind = match key.rsplit_once('.').map(|(_, e)| e) {
        Some("json") => "application/json",
        Some("html") => {
            headers.set("content-security-policy", "sandbox")?;
            "text/html; charset=utf-8"
        }
        _ => "application/octet-stream",
    };
    headers.set("content-type", kind)?;
    Ok(headers)
}

/// `GET /v1/stations`: the published station list.
pub async fn stations(req: Request, cx: RouteContext<Ctx>) -> Answer {
    let list = store(&cx)?.stations().await?;
    if if_none_match(&req, &list.etag) {
        return not_modified(&list.etag, "public, max-age=300");
    }
    let text = String::from_utf8(list.bytes.clone())
        .map_err(|_| ApiError::unavailable("the station list is not text"))?;
    let mut r = json_text(200, text)?;
    let h = r.headers_mut();
    h.set("etag", &list.etag)?;
    h.set("cache-control", "public, max-age=300")?;
    Ok(r)
}

/// 304 Not Modified, with the ETag and the `Cache-Control` the full answer carries.
fn not_modified(etag: &str, cache_control: &str) -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers.set("etag", etag)?;
    headers.set("cache-control", cache_control)?;
    Ok(Response::empty()?.with_status(304).with_headers(headers))
}

/// `GET /v1/forecast/{station}?model=&at=`: the core's forecast from the station's
/// published snapshot, by the production version of the model that serves it. The
/// answer is a function of the version, the snapshot and `at`, so its ETag is made of
/// theirs and checked before anything is computed: a 304 costs no forecast.
pub async fn forecast(req: Request, cx: RouteContext<Ctx>) -> Answer {
    let query = Query::of(&req, &["model", "at"])?;
    from_forecast(&req, &cx, &query, "", |station, m, snapshot, f| {
        let made = aqcast_core::published::forecast::Made {
            station,
            model: &m.name,
            version: m.version.version,
            sha256: &m.version.sha256,
            snapshot_start: snapshot.start,
            snapshot_data_time: snapshot.data_time,
            generated: &iso_now(),
        };
        let body = aqcast_core::published::forecast::answer(&f, &made).map_err(|e| {
            worker::console_error!("forecast of {station}: {e}");
            ApiError::new(500, "internal", "the forecast could not be written")
        })?;
        Ok(Made {
            body,
            kind: "application/json; charset=utf-8",
        })
    })
    .await
}

/// `GET /v1/forecast/{station}/atom` and `/ics` (`?from=1–6&offset=MINUTES&model=`): the
/// days of the station's forecast whose worst category is `from` or worse (by default
/// the category from which sensitive groups are told to act), as an Atom feed or an
/// iCalendar file, with what to do; an hourly forecast's days are local at `offset` minutes
/// from UTC (0), a daily one's are its calendar days.
pub async fn forecast_feed(req: Request, cx: RouteContext<Ctx>, format: Feed) -> Answer {
    let query = Query::of(&req, &["model", "from", "offset"])?;
    let from = match query.get("from") {
        None => crate::feeds::DEFAULT_FROM,
        Some(v) => v
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=6).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "from={v:?} is not a category number from 1 (best) to 6"
                ))
            })?,
    };
    let offset = match query.get("offset") {
        None => 0,
        Some(v) => {
            v.parse::<i64>()
                .ok()
                .filter(|m| (-720..=840).contains(m))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "offset={v:?} is not a UTC offset in minutes from -720 to 840"
                    ))
                })?
                * 60
        }
    };
    let tag = format!("-{}-{from}-{offset}", format.name());
    let url = req.url()?.to_string();
    from_forecast(&req, &cx, &query, &tag, |station, _, _, f| {
        // A daily forecast's days are the source's calendar days, in any time zone.
        let offset = if f.step_seconds >= 86_400 { 0 } else { offset };
        let days = crate::feeds::bad_days(&f, offset, from);
        let generated = iso_now();
        let from_name = f
            .categories
            .get(usize::from(from - 1))
            .map_or("", |c| c.name.as_str());
        let about = crate::feeds::About {
            station,
            pollutant: f.pollutant.label(),
            url: &url,
            generated: &generated,
            from: (from, from_name),
        };
        Ok(match format {
            Feed::Atom => Made {
                body: crate::feeds::atom(&about, &days).into_bytes(),
                kind: "application/atom+xml; charset=utf-8",
            },
            Feed::Ics => Made {
                body: crate::feeds::ics(&about, &days).into_bytes(),
                kind: "text/calendar; charset=utf-8",
            },
        })
    })
    .await
}

/// The forms of [`forecast_feed`].
#[derive(Clone, Copy)]
pub enum Feed {
    /// Atom (RFC 4287).
    Atom,
    /// iCalendar (RFC 5545).
    Ics,
}

impl Feed {
    fn name(self) -> &'static str {
        match self {
            Feed::Atom => "atom",
            Feed::Ics => "ics",
        }
    }
}

/// An answer made from the station's forecast (its production model's, or `?model=`'s;
/// `?at=` when the query takes it) by `render`, or a 304 when the request's
/// `If-None-Match` holds the ETag of what it would be: a function of the version, the
/// snapshot, what was pushed, `at` and `variant` (what the answer's form adds to the tag:
/// nothing for the JSON), so nothing is computed for a 304. The forecast's JSON from the
/// latest data (no `at`) is made once per isolate and kept under its ETag until the data
/// change: everyone asking for a station's forecast between two data steps gets the same
/// bytes. A replay (`at`) and the feeds (thousands of forms a station, each with its own
/// URL inside) are made each time, so that walking them cannot push the answers everyone
/// asks for out of the cache.
async fn from_forecast(
    req: &Request,
    cx: &RouteContext<Ctx>,
    query: &Query,
    variant: &str,
    render: impl FnOnce(
        &str,
        &Loaded,
        &aqcast_core::published::Snapshot,
        aqcast_core::forecast::Forecast,
    ) -> Result<Made, ApiError>,
) -> Answer {
    let station = param(cx, "station")?;
    let store = store(cx)?;
    let model = match query.get("model") {
        Some(m) => m.to_string(),
        None => {
            let list = store.stations().await?;
            let s = list.doc.get(&station).ok_or_else(|| {
                ApiError::not_found(format!(
                    "no station {station:?} (GET /v1/stations lists them)"
                ))
            })?;
            s.models.first().cloned().ok_or_else(|| {
                ApiError::not_found(format!("no model forecasts station {station:?}"))
            })?
        }
    };
    let at = match query.get("at") {
        None => None,
        Some(t) => Some(aqcast_core::time::parse_datetime(t).ok_or_else(|| {
            ApiError::bad_request(format!("at={t:?} is not a time (YYYY-MM-DD HH:MM:SS, UTC)"))
        })?),
    };
    // The JSON from the latest data, when `aqcast stations publish` made it and nothing
    // was pushed since: served as published, nothing loaded or computed. What the inbox
    // was found to hold is merged below without asking it again.
    let mut read = None;
    if at.is_none() && variant.is_empty() {
        match published_answer(req, cx, &store, &station, &model).await? {
            Ok(r) => return Ok(r),
            Err(r) => read = r,
        }
    }
    let m = store.model(&model, None).await?;
    let fc = m.forecaster.as_ref().ok_or_else(|| {
        ApiError::new(
            422,
            "not_a_forecaster",
            format!("model {model} does not forecast"),
        )
    })?;
    let published = store.snapshot(&station).await?;
    let snapshot_etag = &published.etag;
    // What the station's sensors pushed since the snapshot was published.
    let (snapshot, pushed) =
        crate::observations::merged(&cx.env, &station, published.doc.clone(), read).await;
    // Valid until the next data step is due after the station's latest measurement, as
    // the (cached) station list gives it; a minute once it is overdue, or without it.
    let cache = cache_control(pushed, snapshot.data_time, fc.pipeline().spec.grid.step);
    let pushed = pushed.map_or_else(|| "u".to_string(), |s| s.to_string());
    let etag = format!(
        "\"{}-{}-{}-{pushed}{variant}\"",
        &m.version.sha256[..16],
        snapshot_etag.trim_matches('"'),
        at.map_or(0, |t| t)
    );
    if if_none_match(req, &etag) {
        return not_modified(&etag, &cache);
    }
    let kept = (at.is_none() && variant.is_empty()).then(|| format!("{station}\n{etag}"));
    let made = match kept.as_deref().and_then(crate::store::made) {
        Some(made) => made,
        None => {
            // The bands this version has tracked at the station, as `aqcast stations`
            // published them (the core keeps them out of a forecast from an earlier
            // origin).
            let tracked = snapshot.tracked_for(&m.name, &m.version.sha256);
            let f = fc
                .forecast_with(&snapshot.series(), at, Some(&station), tracked)
                .map_err(|e| {
                    ApiError::forecast(e, at.is_some()).about(&format!("station {station:?}"))
                })?;
            let made = Rc::new(render(&station, &m, &snapshot, f)?);
            if let Some(key) = kept {
                crate::store::keep_made(key, made.clone());
            }
            made
        }
    };
    let headers = Headers::new();
    headers.set("content-type", made.kind)?;
    headers.set("etag", &etag)?;
    headers.set("cache-control", &cache)?;
    headers.set("x-forecast", "computed")?;
    tagged(
        Response::from_bytes(made.body.clone())?.with_headers(headers),
        &m,
    )
}

/// How long a forecast's answer may be kept: until the next data step is due after the
/// station's latest measurement (`data_time`, 0 when unknown), a minute at most, because
/// a station whose sensors push may have a new value any minute and one that has not
/// pushed yet may start to; not at all when the inbox could not be read (`pushed`: its
/// sequence number, none when unread), nor once something was pushed.
fn cache_control(pushed: Option<i64>, data_time: i64, step: i64) -> String {
    let step = step.max(60);
    let now = (js_sys::Date::now() / 1000.0) as i64;
    match (pushed, Some(data_time).filter(|&t| t > 0)) {
        (None, _) => "no-store".to_string(),
        (Some(1..), _) => "public, max-age=0".to_string(),
        (Some(_), Some(t)) => format!(
            "public, max-age={}",
            (t.div_euclid(step) * step + step - now).clamp(0, 60)
        ),
        (Some(_), None) => "public, max-age=60".to_string(),
    }
}

/// The station's forecast by the production version of `model` as `aqcast stations
/// publish` published it, when there is one of that version and nothing was pushed
/// since its snapshot (otherwise what the inbox was found to hold, if it was read: the
/// caller computes it). Its ETag names the version, the published object and the inbox's
/// sequence number, and is checked before anything is read; the answer says
/// `x-forecast: published`.
async fn published_answer(
    req: &Request,
    cx: &RouteContext<Ctx>,
    store: &Store,
    station: &str,
    model: &str,
) -> Result<Result<Response, Option<InboxRead>>, ApiError> {
    let (p, version, pushed) = match published_forecast(&cx.env, store, station, model).await? {
        Latest::Published(p, version, pushed) => (p, version, pushed),
        Latest::Compute(read) => return Ok(Err(read)),
    };
    let cache = cache_control(pushed, p.head.data_time, p.head.step_seconds);
    let etag = format!(
        "\"{}-p{}-{}\"",
        &version.sha256[..16],
        p.etag.trim_matches('"'),
        pushed.map_or_else(|| "u".to_string(), |s| s.to_string())
    );
    if if_none_match(req, &etag) {
        return not_modified(&etag, &cache).map(Ok);
    }
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("etag", &etag)?;
    headers.set("cache-control", &cache)?;
    headers.set("x-forecast", "published")?;
    headers.set("x-model-version", &format!("{model}/{}", version.version))?;
    Ok(Ok(
        Response::from_bytes(p.bytes.clone())?.with_headers(headers)
    ))
}

/// Whether a station's published forecast holds.
pub(crate) enum Latest {
    /// It does (that version's, with nothing pushed since its snapshot): it, the version,
    /// and the inbox's sequence number (none when the inbox could not be read: the
    /// published forecast is then served, uncached).
    Published(
        Rc<crate::store::PublishedForecast>,
        Box<aqcast_core::published::Version>,
        Option<i64>,
    ),
    /// It does not: compute it, with what the inbox was found to hold (when it was read:
    /// something was pushed since the snapshot).
    Compute(Option<InboxRead>),
}

/// Whether the station's forecast by the production version of `model` as `aqcast
/// stations publish` published it holds.
pub(crate) async fn published_forecast(
    env: &worker::Env,
    store: &Store,
    station: &str,
    model: &str,
) -> Result<Latest, ApiError> {
    let registry = store.registry(model).await?;
    // A model without a production version: the computed path says what is wrong.
    let Ok(version) = registry.resolve("production") else {
        return Ok(Latest::Compute(None));
    };
    let Some(p) = store.published_forecast(station, model).await? else {
        return Ok(Latest::Compute(None));
    };
    if !p.head.is_of(station, model, &version.sha256) {
        return Ok(Latest::Compute(None));
    }
    let read = InboxRead::of(env, station, p.head.snapshot_start).await;
    let pushed = match &read.page {
        Ok(page) if !page.rows.is_empty() => return Ok(Latest::Compute(Some(read))),
        Ok(page) => Some(page.seq),
        Err(e) => {
            worker::console_error!("pushed values of {station} not read: {}", e.message);
            None
        }
    };
    Ok(Latest::Published(p, Box::new(version.clone()), pushed))
}
