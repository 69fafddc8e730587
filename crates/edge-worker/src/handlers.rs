//! The `/v1` endpoints. Each takes what the router parsed and the store, and returns a
//! response or an [`ApiError`].

use serde_json::{json, Map, Value};
use worker::{Headers, Response};

use aqcast_core::published::Stage;
use aqcast_core::shap;

use crate::api::{json, json_text, ApiError};
use crate::store::{iso_now, Loaded, Store};

/// Limits from the worker's configuration.
pub struct Limits {
    /// Rows a batch may hold.
    pub max_batch_rows: usize,
}

/// `GET /v1/health`.
pub fn health() -> Result<Response, ApiError> {
    json(
        200,
        &json!({ "status": "ok", "service": "aqcast-edge", "version": aqcast_core::VERSION }),
    )
}

/// `GET /v1/ready`: 200 only when every model's production version loads.
pub async fn ready(store: &Store) -> Result<Response, ApiError> {
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
pub async fn models(store: &Store) -> Result<Response, ApiError> {
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
pub async fn model(store: &Store, name: &str) -> Result<Response, ApiError> {
    let doc = store.registry(name).await?;
    json(200, &*doc)
}

/// `GET /v1/models/{name}/versions/{selector}`.
pub async fn version(store: &Store, name: &str, selector: &str) -> Result<Response, ApiError> {
    let doc = store.registry(name).await?;
    let v = doc
        .resolve(selector)
        .map_err(|e| ApiError::not_found(e.to_string()))?;
    json(200, v)
}

/// `POST /v1/models/{name}/promote` with `{"version", "stage", "note"?}`.
pub async fn promote(
    store: &Store,
    name: &str,
    body: &Value,
    by: &str,
) -> Result<Response, ApiError> {
    let selector = match body.get("version") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(ApiError::bad_request(
                "give \"version\": a number, a stage, a tag or \"latest\"",
            ))
        }
    };
    let stage = body
        .get("stage")
        .and_then(Value::as_str)
        .and_then(Stage::parse)
        .ok_or_else(|| {
            ApiError::bad_request("give \"stage\": dev, staging, production or archived")
        })?;
    let note = body.get("note").and_then(Value::as_str);
    let doc = store.promote(name, &selector, stage, by, note).await?;
    let v = doc
        .resolve(&selector)
        .map_err(|e| ApiError::not_found(e.to_string()))?;
    json(
        200,
        &json!({ "name": name, "version": v.version, "stage": v.stage, "revision": doc.revision }),
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

fn head(m: &Loaded, body: &Value) -> Result<usize, ApiError> {
    match body.get("head") {
        None | Some(Value::Null) => Ok(0),
        Some(v) => {
            let h = v
                .as_u64()
                .ok_or_else(|| ApiError::new(422, "bad_input", "\"head\" is an index: 0, 1, …"))?
                as usize;
            if h >= m.predictors.len() {
                return Err(ApiError::core(&aqcast_core::Error::NoSuchHead {
                    index: h,
                    heads: m.predictors.len(),
                }));
            }
            Ok(h)
        }
    }
}

/// The model a request names: `"model"` and optional `"version"` (default production).
pub async fn model_of(store: &Store, body: &Value) -> Result<std::rc::Rc<Loaded>, ApiError> {
    let name = body
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("give \"model\": the model's name"))?;
    let version = match body.get("version") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "\"version\" is a number, a stage, a tag or \"latest\"",
            ))
        }
    };
    store.model(name, version.as_deref()).await
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

/// The model, head and feature row of a one-row request (`predict`, `explain`).
async fn one_row(
    store: &Store,
    body: &Value,
) -> Result<(std::rc::Rc<Loaded>, usize, Vec<f64>), ApiError> {
    let m = model_of(store, body).await?;
    let h = head(&m, body)?;
    let features = body.get("features").ok_or_else(|| {
        ApiError::bad_request("give \"features\": an array in feature order or an object by name")
    })?;
    let r = row(&m, features, "features")?;
    Ok((m, h, r))
}

/// `POST /v1/predict` with `{"model", "version"?, "features", "head"?}`.
pub async fn predict(store: &Store, body: &Value) -> Result<Response, ApiError> {
    let (m, h, r) = one_row(store, body).await?;
    let y = m.predictors[h]
        .predict_row(&r)
        .map_err(|e| ApiError::core(&e))?;
    crate::metrics::inputs(&m, std::slice::from_ref(&r));
    let mut out = served(&m);
    out["head"] = json!(h);
    out["prediction"] = json!(y);
    tagged(json(200, &out)?, &m)
}

/// `POST /v1/predict/batch` with `{"model", "version"?, "rows", "head"?}`.
pub async fn predict_batch(
    store: &Store,
    body: &Value,
    limits: &Limits,
) -> Result<Response, ApiError> {
    let m = model_of(store, body).await?;
    let h = head(&m, body)?;
    let rows = body
        .get("rows")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("give \"rows\": an array of rows"))?;
    if rows.is_empty() || rows.len() > limits.max_batch_rows {
        return Err(ApiError::new(
            422,
            "bad_batch_size",
            format!(
                "a batch holds 1 to {} rows; this one has {}",
                limits.max_batch_rows,
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
        .map_err(|e| ApiError::core(&e))?;
    crate::metrics::inputs(&m, &parsed);
    let mut out = served(&m);
    out["head"] = json!(h);
    out["predictions"] = json!(ys);
    tagged(json(200, &out)?, &m)
}

/// `POST /v1/explain` with `{"model", "version"?, "features", "head"?}`: exact TreeSHAP.
pub async fn explain(store: &Store, body: &Value) -> Result<Response, ApiError> {
    let (m, h, r) = one_row(store, body).await?;
    let phi = shap::explain(&m.parts.heads[h].ensemble, &r).map_err(|e| ApiError::core(&e))?;
    let y = m.predictors[h]
        .predict_row(&r)
        .map_err(|e| ApiError::core(&e))?;
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

/// `GET /v1/files/{key}`: a published object as it is stored (the station list, a
/// snapshot, a registry document, a version's artifact or report), so the dashboard reads
/// the same layout from the worker as from a static host. Versions are content addressed
/// and cached for good; the rest for a minute.
pub async fn file(
    store: &Store,
    key: &str,
    if_none_match: Option<&str>,
) -> Result<Response, ApiError> {
    if !aqcast_core::published::layout::is_published(key) {
        return Err(ApiError::not_found(format!(
            "{key:?} is not a published file (stations.json, stations/<id>/recent.json, registry/<name>.json, models/<name>/<sha256>/model.aqm)"
        )));
    }
    let Some((bytes, etag)) = store.get(key).await? else {
        return Err(ApiError::not_found(format!("no published file {key:?}")));
    };
    let cache = if key.starts_with("models/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    };
    if if_none_match == Some(etag.as_str()) {
        return not_modified(&etag, cache);
    }
    let headers = Headers::new();
    headers.set("etag", &etag)?;
    headers.set("cache-control", cache)?;
    let kind = match key.rsplit_once('.').map(|(_, e)| e) {
        Some("json") => "application/json",
        Some("html") => {
            // A training report: shown, never able to script the API's origin.
            headers.set("content-security-policy", "sandbox")?;
            "text/html; charset=utf-8"
        }
        _ => "application/octet-stream",
    };
    headers.set("content-type", kind)?;
    Ok(Response::from_bytes(bytes)?.with_headers(headers))
}

/// `GET /v1/stations`: the published station list.
pub async fn stations(store: &Store, if_none_match: Option<&str>) -> Result<Response, ApiError> {
    let list = store.stations().await?;
    if if_none_match == Some(list.etag.as_str()) {
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
/// published snapshot, by the production version of the model that serves it.
pub async fn forecast(
    store: &Store,
    station: &str,
    model: Option<&str>,
    at: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Response, ApiError> {
    let model = match model {
        Some(m) => m.to_string(),
        None => {
            let list = store.stations().await?;
            let s = list.doc.get(station).ok_or_else(|| {
                ApiError::not_found(format!(
                    "no station {station:?} (GET /v1/stations lists them)"
                ))
            })?;
            s.models.first().cloned().ok_or_else(|| {
                ApiError::not_found(format!("no model forecasts station {station:?}"))
            })?
        }
    };
    let at = match at {
        None => None,
        Some(t) => Some(aqcast_core::time::parse_datetime(t).ok_or_else(|| {
            ApiError::bad_request(format!("at={t:?} is not a time (YYYY-MM-DD HH:MM:SS, UTC)"))
        })?),
    };
    let m = store.model(&model, None).await?;
    let fc = m.forecaster.as_ref().ok_or_else(|| {
        ApiError::new(
            422,
            "not_a_forecaster",
            format!("model {model} does not forecast"),
        )
    })?;
    let snapshot = store.snapshot(station).await?;
    // The bands this version has tracked at the station, as `aqcast stations` published
    // them (the core keeps them out of a forecast from an earlier origin).
    let tracked = snapshot.tracked_for(&m.name, &m.version.sha256);
    let f = fc
        .forecast_with(&snapshot.series(), at, Some(station), tracked)
        .map_err(|e| ApiError::new(422, e.code(), format!("station {station:?}: {e}")))?;
    // Valid until the next data step is due (at least a minute).
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let max_age = (f.origin + f.step_seconds - now).clamp(60, f.step_seconds.max(60));
    let etag = format!(
        "\"{}-{}-{}-{}\"",
        &m.version.sha256[..16],
        f.origin,
        snapshot.data_time,
        at.map_or(0, |t| t)
    );
    if if_none_match == Some(etag.as_str()) {
        return not_modified(&etag, &format!("public, max-age={max_age}"));
    }
    let mut out = serde_json::to_value(&f)
        .map_err(|_| ApiError::new(500, "internal", "the forecast could not be written"))?;
    if let Value::Object(o) = &mut out {
        o.insert("station".into(), json!(station));
        o.insert("model".into(), json!(m.name));
        o.insert("version".into(), json!(m.version.version));
        o.insert("sha256".into(), json!(m.version.sha256));
        o.insert("generated".into(), json!(iso_now()));
    }
    let mut r = json(200, &out)?;
    let h = r.headers_mut();
    h.set("etag", &etag)?;
    h.set("cache-control", &format!("public, max-age={max_age}"))?;
    tagged(r, &m)
}
