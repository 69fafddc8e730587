//! What the trainer published, read from the R2 bucket bound as `STORE`, in the registry's
//! layout and through the core's document types (`aqcast_core::published`), every artifact
//! checked against its SHA-256. Cached per isolate: registry documents for `REGISTRY_TTL`
//! seconds (so a promotion takes effect within that time, without a redeploy), compiled
//! models by hash, the least recently used dropped past [`MAX_MODELS`] models or
//! [`MAX_MODEL_BYTES`] of artifacts (an isolate has 128 MB). A request holds the `Rc` of the model
//! it resolved, so a promotion in the middle of it changes nothing for it: it answers
//! from the old version or the new one, whole.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use aqcast_core::forecast::Forecaster;
use aqcast_core::published::{self, layout, Registry, Snapshot, Stage, Stations, Version};
use aqcast_core::{Parts, Predictor};
use worker::{Bucket, Conditional, ResponseBody};

use crate::api::ApiError;
use crate::bounded::Bounded;
use crate::metrics;

/// A model version ready to serve.
pub struct Loaded {
    /// The model name.
    pub name: String,
    /// Its registry record.
    pub version: Version,
    /// The decoded artifact.
    pub parts: Parts,
    /// One compiled engine per head.
    pub predictors: Vec<Predictor>,
    /// The forecaster, for a forecasting model.
    pub forecaster: Option<Forecaster>,
    /// Histograms of its training rows (for input drift), when the artifact has them.
    pub reference: Option<aqcast_core::drift::Reference>,
}

/// A station's snapshot as published: its bytes (served as they are), its ETag, and
/// parsed.
pub struct StationSnapshot {
    /// `stations/<id>/recent.json` as published.
    pub bytes: Vec<u8>,
    /// Its ETag.
    pub etag: String,
    /// Parsed.
    pub doc: Rc<Snapshot>,
}

/// A station's forecast by one model as `aqcast stations publish` published it
/// (`stations/<id>/forecasts/<model>.json`): its bytes (served as they are), its ETag,
/// and its head (whose it is, from which data).
pub struct PublishedForecast {
    /// The answer's bytes.
    pub bytes: Vec<u8>,
    /// Its ETag.
    pub etag: String,
    /// What a reader checks before serving it.
    pub head: published::forecast::Head,
}

/// An answer made from a station's forecast (the forecast's JSON, a feed): what it
/// costs to make once per isolate for everyone who asks until the data change.
pub struct Made {
    /// The body.
    pub body: Vec<u8>,
    /// Its content type.
    pub kind: &'static str,
}

/// Most compiled models an isolate keeps.
pub const MAX_MODELS: usize = 8;
/// Most artifact bytes of compiled models an isolate keeps (compiled, a model takes a few
/// times its artifact).
pub const MAX_MODEL_BYTES: u64 = 32 << 20;
/// Most bytes of station snapshots an isolate keeps (each counted three times: its
/// bytes, and parsed).
pub const MAX_SNAPSHOT_BYTES: u64 = 16 << 20;
/// Most bytes of answers made from forecasts an isolate keeps.
pub const MAX_MADE_BYTES: u64 = 8 << 20;
/// Most bytes of published forecasts an isolate keeps (and at most this many stations
/// known to have none).
pub const MAX_PUBLISHED_BYTES: u64 = 8 << 20;

struct Cache {
    registries: HashMap<String, (f64, Rc<Registry>)>,
    stations: Option<(f64, Rc<StationList>)>,
    models: Bounded<String, Rc<Loaded>>,
    snapshots: Bounded<String, (f64, Rc<StationSnapshot>)>,
    made: Bounded<String, Rc<Made>>,
    /// By key, when read, and what was there (none: nothing, or not readable).
    published: Bounded<String, (f64, Option<Rc<PublishedForecast>>)>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            registries: HashMap::new(),
            stations: None,
            models: Bounded::new(MAX_MODELS, MAX_MODEL_BYTES),
            snapshots: Bounded::new(usize::MAX, MAX_SNAPSHOT_BYTES),
            made: Bounded::new(usize::MAX, MAX_MADE_BYTES),
            published: Bounded::new(usize::MAX, MAX_PUBLISHED_BYTES),
        }
    }
}

/// What this isolate's caches hold, in bytes as they are bounded: (cache, bytes,
/// entries), for the metrics.
pub fn cached() -> [(&'static str, u64, usize); 4] {
    CACHE.with(|c| {
        let c = c.borrow();
        [
            ("models", c.models.bytes(), c.models.len()),
            ("snapshots", c.snapshots.bytes(), c.snapshots.len()),
            ("answers", c.made.bytes(), c.made.len()),
            ("published", c.published.bytes(), c.published.len()),
        ]
    })
}

/// The answer made from a forecast under `key` (the station and the answer's ETag,
/// which names the model version, the snapshot, what was pushed and the answer's form).
pub fn made(key: &str) -> Option<Rc<Made>> {
    CACHE.with(|c| c.borrow_mut().made.get(&key.to_string()))
}

/// Keeps an answer made from a forecast under `key`.
pub fn keep_made(key: String, made: Rc<Made>) {
    let size = made.body.len() as u64 + key.len() as u64;
    CACHE.with(|c| c.borrow_mut().made.insert(key, size, made));
}

/// The published station list: its bytes (served as they are), its ETag, and parsed.
pub struct StationList {
    /// `stations.json` as published.
    pub bytes: Vec<u8>,
    /// Its ETag.
    pub etag: String,
    /// Parsed.
    pub doc: Stations,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

/// The bucket and how long registry documents are trusted.
pub struct Store {
    bucket: Bucket,
    ttl_ms: f64,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn bucket_error(e: worker::Error) -> ApiError {
    worker::console_error!("bucket: {e}");
    ApiError::unavailable("the model store cannot be read right now; try again")
}

impl Store {
    /// The store over `bucket`.
    pub fn new(bucket: Bucket, ttl_seconds: f64) -> Store {
        Store {
            bucket,
            ttl_ms: ttl_seconds * 1000.0,
        }
    }

    /// An object's bytes and ETag; `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, ApiError> {
        let Some(obj) = self.bucket.get(key).execute().await.map_err(bucket_error)? else {
            return Ok(None);
        };
        let etag = obj.http_etag();
        let Some(body) = obj.body() else {
            return Ok(None);
        };
        Ok(Some((body.bytes().await.map_err(bucket_error)?, etag)))
    }

    /// The model names with a registry.
    pub async fn names(&self) -> Result<Vec<String>, ApiError> {
        let listed = self
            .bucket
            .list()
            .prefix(layout::REGISTRY_DIR)
            .execute()
            .await
            .map_err(bucket_error)?;
        let mut names: Vec<String> = listed
            .objects()
            .iter()
            .filter_map(|o| {
                o.key()
                    .strip_prefix(layout::REGISTRY_DIR)?
                    .strip_suffix(".json")
                    .map(str::to_string)
            })
            .filter(|n| published::check_name(n).is_ok())
            .collect();
        names.sort();
        Ok(names)
    }

    /// The registry of `name` (cached for the TTL).
    pub async fn registry(&self, name: &str) -> Result<Rc<Registry>, ApiError> {
        published::check_name(name)
            .map_err(|_| ApiError::not_found(format!("no model named {name:?}")))?;
        let t = now_ms();
        let cached = CACHE.with(|c| {
            c.borrow()
                .registries
                .get(name)
                .filter(|(at, _)| t - at < self.ttl_ms)
                .map(|(_, r)| r.clone())
        });
        if let Some(r) = cached {
            return Ok(r);
        }
        let (bytes, _) = self.get(&layout::registry(name)).await?.ok_or_else(|| {
            ApiError::not_found(format!(
                "no model named {name:?} (GET /v1/models lists them)"
            ))
        })?;
        let doc = Rc::new(Registry::from_json(&bytes).map_err(|e| {
            worker::console_error!("registry {name}: {e}");
            ApiError::unavailable(format!("the registry of {name:?} cannot be read"))
        })?);
        CACHE.with(|c| {
            c.borrow_mut()
                .registries
                .insert(name.to_string(), (t, doc.clone()))
        });
        Ok(doc)
    }

    /// A model version (a selector: number, stage, tag, `latest`; default `production`),
    /// loaded, verified and compiled once per isolate.
    pub async fn model(&self, name: &str, selector: Option<&str>) -> Result<Rc<Loaded>, ApiError> {
        let doc = self.registry(name).await?;
        let version = doc
            .resolve(selector.unwrap_or("production"))
            .map_err(ApiError::core)?
            .clone();
        if let Some(m) = CACHE.with(|c| c.borrow_mut().models.get(&version.sha256)) {
            metrics::cache(true);
            return Ok(m);
        }
        metrics::cache(false);
        let t0 = now_ms();
        let (bytes, _) = self.get(&version.model).await?.ok_or_else(|| {
            ApiError::unavailable(format!(
                "{name} v{}: its artifact is missing from the store",
                version.version
            ))
        })?;
        published::verify(&bytes, &version.sha256).map_err(|e| {
            worker::console_error!("{name} v{}: {e}", version.version);
            ApiError::unavailable(format!(
                "{name} v{}: the stored artifact is corrupt",
                version.version
            ))
        })?;
        let parts = Parts::decode(&bytes).map_err(ApiError::core)?;
        let predictors = parts
            .heads
            .iter()
            .map(|h| Predictor::new(&h.ensemble))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::core)?;
        let forecaster = if parts.forecast_json.is_some() {
            Some(parts.forecaster().map_err(ApiError::core)?)
        } else {
            None
        };
        let reference = parts.reference().map_err(ApiError::core)?;
        let loaded = Rc::new(Loaded {
            name: name.to_string(),
            version: version.clone(),
            parts,
            predictors,
            forecaster,
            reference,
        });
        metrics::model_load(now_ms() - t0);
        CACHE.with(|c| {
            c.borrow_mut()
                .models
                .insert(version.sha256.clone(), version.bytes, loaded.clone())
        });
        Ok(loaded)
    }

    /// The station list (cached for the TTL, like registry documents).
    pub async fn stations(&self) -> Result<Rc<StationList>, ApiError> {
        let t = now_ms();
        let cached = CACHE.with(|c| {
            c.borrow()
                .stations
                .as_ref()
                .filter(|(at, _)| t - at < self.ttl_ms)
                .map(|(_, s)| s.clone())
        });
        if let Some(s) = cached {
            return Ok(s);
        }
        let (bytes, etag) = self
            .get(layout::STATIONS)
            .await?
            .ok_or_else(|| ApiError::not_found("no station list has been published yet"))?;
        let doc = Stations::from_json(&bytes).map_err(|e| {
            worker::console_error!("stations.json: {e}");
            ApiError::unavailable("the station list cannot be read")
        })?;
        let list = Rc::new(StationList { bytes, etag, doc });
        CACHE.with(|c| c.borrow_mut().stations = Some((t, list.clone())));
        Ok(list)
    }

    /// A station's snapshot as published (cached for the TTL, like registry documents:
    /// snapshots are published once a data step).
    pub async fn snapshot(&self, site: &str) -> Result<Rc<StationSnapshot>, ApiError> {
        let key = layout::snapshot(site);
        let t = now_ms();
        let cached = CACHE.with(|c| c.borrow_mut().snapshots.get(&key));
        if let Some((_, s)) = cached.filter(|(at, _)| t - at < self.ttl_ms) {
            return Ok(s);
        }
        let (bytes, etag) = self.get(&key).await?.ok_or_else(|| {
            ApiError::not_found(format!("no station {site:?} (GET /v1/stations lists them)"))
        })?;
        let doc = Snapshot::from_json(&bytes).map_err(|e| {
            worker::console_error!("snapshot {site}: {e}");
            ApiError::unavailable(format!("the data of station {site:?} cannot be read"))
        })?;
        let size = 3 * bytes.len() as u64;
        let s = Rc::new(StationSnapshot {
            bytes,
            etag,
            doc: Rc::new(doc),
        });
        CACHE.with(|c| c.borrow_mut().snapshots.insert(key, size, (t, s.clone())));
        Ok(s)
    }

    /// The published forecast of `site` by `model` (cached for the TTL, like snapshots:
    /// forecasts are published with them once a data step); `None` when none is
    /// published, or it cannot be read (the forecast is then computed; a bucket that
    /// fails is not remembered as having none).
    pub async fn published_forecast(
        &self,
        site: &str,
        model: &str,
    ) -> Result<Option<Rc<PublishedForecast>>, ApiError> {
        let key = layout::forecast(site, model);
        let t = now_ms();
        let cached = CACHE.with(|c| c.borrow_mut().published.get(&key));
        if let Some((_, p)) = cached.filter(|(at, _)| t - at < self.ttl_ms) {
            return Ok(p);
        }
        let got = match self.get(&key).await {
            Ok(got) => got,
            Err(_) => return Ok(None),
        };
        let p = match got {
            None => None,
            Some((bytes, etag)) => match published::forecast::Head::from_json(&bytes) {
                Ok(head) => Some(Rc::new(PublishedForecast { bytes, etag, head })),
                Err(e) => {
                    worker::console_error!("{key}: {e}; computing the forecast instead");
                    None
                }
            },
        };
        let size = key.len() as u64 + p.as_ref().map_or(0, |p| p.bytes.len() as u64);
        CACHE.with(|c| c.borrow_mut().published.insert(key, size, (t, p.clone())));
        Ok(p)
    }

    /// An object's body to hand to a response as a stream (it never enters the worker's
    /// memory), and its ETag; `None` when there is none.
    pub async fn open(&self, key: &str) -> Result<Option<(ResponseBody, String)>, ApiError> {
        let Some(obj) = self.bucket.get(key).execute().await.map_err(bucket_error)? else {
            return Ok(None);
        };
        let etag = obj.http_etag();
        let Some(body) = obj.body() else {
            return Ok(None);
        };
        Ok(Some((body.response_body().map_err(bucket_error)?, etag)))
    }

    /// Moves a version to a stage by the registry's one promotion rule
    /// ([`Registry::promote_selected`], as `aqcast models promote` applies it), written
    /// by compare-and-swap on the document's ETag; returns the updated document and the
    /// version's number.
    pub async fn promote(
        &self,
        name: &str,
        selector: &str,
        stage: Stage,
        by: &str,
        note: Option<&str>,
    ) -> Result<(Registry, u32), ApiError> {
        self.update(name, |doc| {
            doc.promote_selected(selector, stage, &iso_now(), by, note)
        })
        .await
    }

    /// Changes the registry of `name` by compare-and-swap: read it with its ETag, apply
    /// `change`, write it only if nobody wrote in between; on a conflict wait (exponential,
    /// jittered: 20 ms, 40 ms… up to 640 ms) and apply the change again to what is there
    /// now, so concurrent writers never lose each other's update.
    async fn update<T>(
        &self,
        name: &str,
        change: impl Fn(&mut Registry) -> Result<T, aqcast_core::published::Error>,
    ) -> Result<(Registry, T), ApiError> {
        published::check_name(name)
            .map_err(|_| ApiError::not_found(format!("no model named {name:?}")))?;
        let key = layout::registry(name);
        const ATTEMPTS: u32 = 8;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                let base = 20.0 * f64::from(1u32 << (attempt - 1).min(5));
                let wait = base * (0.5 + js_sys::Math::random());
                worker::Delay::from(std::time::Duration::from_millis(wait as u64)).await;
            }
            let Some(obj) = self
                .bucket
                .get(&key)
                .execute()
                .await
                .map_err(bucket_error)?
            else {
                return Err(ApiError::not_found(format!("no model named {name:?}")));
            };
            let etag = obj.etag();
            let bytes = match obj.body() {
                Some(b) => b.bytes().await.map_err(bucket_error)?,
                None => return Err(ApiError::not_found(format!("no model named {name:?}"))),
            };
            let mut doc = Registry::from_json(&bytes).map_err(|e| {
                worker::console_error!("registry {name}: {e}");
                ApiError::unavailable(format!("the registry of {name:?} cannot be read"))
            })?;
            let out = change(&mut doc).map_err(ApiError::core)?;
            let written = self
                .bucket
                .put(&key, doc.to_json())
                .only_if(Conditional {
                    etag_matches: Some(etag),
                    ..Default::default()
                })
                .execute()
                .await
                .map_err(bucket_error)?;
            if written.is_some() {
                CACHE.with(|c| c.borrow_mut().registries.remove(name));
                return Ok((doc, out));
            }
        }
        Err(ApiError::new(
            409,
            "conflict",
            "the registry kept changing under this update; try again",
        ))
    }
}

/// The current time, RFC 3339 UTC, to the second.
pub fn iso_now() -> String {
    let ms = now_ms();
    let secs = (ms / 1000.0).floor() as i64;
    let t = aqcast_core::time::format_datetime(secs);
    format!("{}Z", t.replacen(' ', "T", 1))
}
