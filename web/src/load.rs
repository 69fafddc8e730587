//! Where the published documents come from, and loading them: the station list, a
//! model's production version and, when the page needs it, its artifact (verified by its
//! SHA-256, decoded by the core), a station's snapshot and its published forecast. The
//! source is a base URL over the trainer's published layout
//! (`aqcast_core::published::layout`): a folder on any static host, or the edge worker's
//! `/v1/files/`. Loaded models are kept for the page's life, so changing to a station of
//! the same model does not fetch or decode it again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use aqcast_core::forecast::{Forecast, Forecaster};
use aqcast_core::published::forecast::Head;
use aqcast_core::published::{
    layout, verify, Basemap, Registry, Snapshot, Stage, Stations, Summary, Version,
};
use aqcast_core::Parts;

/// Why something could not be loaded: what, from where, and why, in words for the page.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// No answer at all: the network is down and nothing was cached.
    Offline { what: String, url: String },
    /// The server has no such file.
    Missing { what: String, url: String },
    /// The server answered with an error.
    Http {
        what: String,
        url: String,
        status: u16,
    },
    /// The file came but is not what it should be.
    Corrupt {
        what: String,
        url: String,
        why: String,
    },
    /// The model has no version in production.
    NoProduction { model: String },
    /// No model forecasts the station.
    Unserved { station: String },
    /// The data are there but a forecast cannot be made from them.
    Forecast { station: String, why: String },
    /// The station list has no station.
    NoStations,
}

impl LoadError {
    /// A short heading for the message.
    pub fn title(&self) -> &'static str {
        match self {
            LoadError::Offline { .. } => "You seem to be offline",
            LoadError::Missing { .. } => "Not published",
            LoadError::Http { .. } => "The server could not answer",
            LoadError::Corrupt { .. } => "Damaged data",
            LoadError::NoProduction { .. } => "No model in service",
            LoadError::Unserved { .. } => "No forecast here",
            LoadError::Forecast { .. } => "No forecast possible",
            LoadError::NoStations => "Nothing published yet",
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Offline { what, url } => write!(
                f,
                "The {what} could not be fetched ({url}) and no copy was saved on this device. Check your connection and reload."
            ),
            LoadError::Missing { what, url } => {
                write!(f, "The {what} is not published ({url} was not found).")
            }
            LoadError::Http { what, url, status } => write!(
                f,
                "The {what} could not be loaded: the server answered {status} for {url}. Try again later."
            ),
            LoadError::Corrupt { what, url, why } => write!(
                f,
                "The {what} at {url} is damaged and was not used: {why}"
            ),
            LoadError::NoProduction { model } => write!(
                f,
                "No version of the model {model} is in production yet, so there is no forecast for this station."
            ),
            LoadError::Unserved { station } => write!(
                f,
                "No model forecasts {station} yet: its measurements are published, but no model was trained on them."
            ),
            LoadError::Forecast { station, why } => {
                write!(f, "The forecast for {station} could not be made: {why}")
            }
            LoadError::NoStations => f.write_str(
                "The station list is published but holds no station yet: nothing to show.",
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Whether `base` may be a data source: a path, or an http(s) URL. Anything else (a
/// `javascript:` or `data:` address from a crafted link) is refused, since the page
/// builds links from it.
pub fn safe_base(base: &str) -> bool {
    let b = base.trim().to_ascii_lowercase();
    match b.split_once(':') {
        None => true,
        Some((scheme, _)) => {
            matches!(scheme, "http" | "https") || scheme.contains('/') || scheme.contains('?')
        }
    }
}

/// A base URL over the published layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    base: String,
}

impl Source {
    /// A source at `base` (a `/` is added when it does not end with one).
    pub fn new(base: &str) -> Source {
        let mut base = base.trim().to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        Source { base }
    }

    /// The URL of a published object.
    pub fn url(&self, key: &str) -> String {
        format!("{}{key}", self.base)
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// A model's production version, ready to forecast.
pub struct Served {
    /// The model's name.
    pub name: String,
    /// Its registry entry.
    pub version: Version,
    /// Its forecaster.
    pub forecaster: Forecaster,
}

thread_local! {
    /// By the version's SHA-256.
    static MODELS: RefCell<HashMap<String, Arc<Served>>> = RefCell::new(HashMap::new());
}

/// The header the service worker adds to a response it answers from its cache when the
/// network fails: when the copy was saved (milliseconds since the epoch).
const SAVED: &str = "x-aqcast-saved";

/// A fetched file, and when it was saved when it comes from the offline cache.
struct Fetched {
    bytes: Vec<u8>,
    saved: Option<f64>,
}

async fn get(src: &Source, key: &str, what: &str) -> Result<Fetched, LoadError> {
    get_url(src.url(key), what).await
}

async fn get_url(url: String, what: &str) -> Result<Fetched, LoadError> {
    let offline = || LoadError::Offline {
        what: what.to_string(),
        url: url.clone(),
    };
    let r = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|_| offline())?;
    match r.status() {
        200..=299 => {
            let saved = r.headers().get(SAVED).and_then(|v| v.parse().ok());
            let bytes = r.binary().await.map_err(|_| offline())?;
            Ok(Fetched { bytes, saved })
        }
        404 => Err(LoadError::Missing {
            what: what.to_string(),
            url,
        }),
        status => Err(LoadError::Http {
            what: what.to_string(),
            url,
            status,
        }),
    }
}

fn corrupt(src: &Source, key: &str, what: &str, why: impl fmt::Display) -> LoadError {
    LoadError::Corrupt {
        what: what.to_string(),
        url: src.url(key),
        why: why.to_string(),
    }
}

/// The station list.
pub async fn stations(src: &Source) -> Result<Stations, LoadError> {
    let what = "station list";
    let bytes = get(src, layout::STATIONS, what).await?.bytes;
    Stations::from_json(&bytes).map_err(|e| corrupt(src, layout::STATIONS, what, e))
}

/// Which of `keys` (published objects) this device keeps for offline use: the service
/// worker's data cache holds their URLs. Empty where there is no cache (a browser
/// without one, or before the service worker ran).
pub async fn saved(src: &Source, keys: &[String]) -> Vec<String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let Some(caches) = web_sys::window().and_then(|w| w.caches().ok()) else {
        return Vec::new();
    };
    let Some(cache) = JsFuture::from(caches.open("aqcast-data"))
        .await
        .ok()
        .and_then(|c| c.dyn_into::<web_sys::Cache>().ok())
    else {
        return Vec::new();
    };
    let Ok(requests) = JsFuture::from(cache.keys()).await else {
        return Vec::new();
    };
    let urls: Vec<String> = js_sys::Array::from(&requests)
        .iter()
        .filter_map(|r| r.dyn_into::<web_sys::Request>().ok())
        .map(|r| r.url())
        .collect();
    // The cache holds absolute URLs; the source may be relative to the page.
    let page = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    keys.iter()
        .filter(|k| {
            let url = src.url(k);
            let absolute = web_sys::Url::new_with_base(&url, &page).map_or(url, |u| u.href());
            urls.contains(&absolute)
        })
        .cloned()
        .collect()
}

/// The map under the stations, when one is published and reads (without it the map
/// shows the stations alone, so nothing else is lost).
pub async fn basemap(src: &Source) -> Option<Basemap> {
    let bytes = get(src, layout::BASEMAP, "basemap").await.ok()?.bytes;
    Basemap::from_json(&bytes).ok()
}

/// A station's last 12 months against the WHO guidelines, when published (an older
/// store has none; the page then leaves the card out).
pub async fn summary(src: &Source, site: &str) -> Option<Summary> {
    let key = layout::summary(site);
    let bytes = get(src, &key, "station summary").await.ok()?.bytes;
    Summary::from_json(&bytes).ok()
}

/// A station's snapshot, and when it was saved when it comes from the offline cache
/// (milliseconds since the epoch).
pub async fn snapshot(src: &Source, key: &str) -> Result<(Snapshot, Option<f64>), LoadError> {
    let what = "station's latest measurements";
    let got = get(src, key, what).await?;
    let s = Snapshot::from_json(&got.bytes).map_err(|e| corrupt(src, key, what, e))?;
    Ok((s, got.saved))
}

/// The production version of a model, from its registry (read each time a station is
/// shown, so a promotion shows at the next one).
pub async fn production(src: &Source, name: &str) -> Result<Version, LoadError> {
    let what = format!("registry of the model {name}");
    let key = layout::registry(name);
    let bytes = get(src, &key, &what).await?.bytes;
    let registry = Registry::from_json(&bytes).map_err(|e| corrupt(src, &key, &what, e))?;
    registry
        .latest(Some(Stage::Production))
        .cloned()
        .ok_or_else(|| LoadError::NoProduction {
            model: name.to_string(),
        })
}

/// A model version, ready to forecast: fetched, verified and decoded once per page.
pub async fn model(src: &Source, name: &str, version: &Version) -> Result<Arc<Served>, LoadError> {
    if let Some(m) = MODELS.with(|m| m.borrow().get(&version.sha256).cloned()) {
        return Ok(m);
    }
    let what = format!("model {name} v{}", version.version);
    let bytes = get(src, &version.model, &what).await?.bytes;
    verify(&bytes, &version.sha256).map_err(|e| corrupt(src, &version.model, &what, e))?;
    let forecaster = Parts::decode(&bytes)
        .and_then(|p| p.forecaster())
        .map_err(|e| corrupt(src, &version.model, &what, e))?;
    let served = Arc::new(Served {
        name: name.to_string(),
        version: version.clone(),
        forecaster,
    });
    MODELS.with(|m| {
        m.borrow_mut()
            .insert(version.sha256.clone(), served.clone())
    });
    Ok(served)
}

/// The forecast of `station` by `model` from the latest data, made by the trainer or the
/// edge worker: as published beside a folder's snapshot
/// (`stations/<id>/forecasts/<model>.json`), or as the worker answers it at
/// `forecast_url` (published, or computed with what the station pushed since); with its
/// head, which says whose it is and from which data. `None` when there is none or it
/// does not read: the page then computes it, with the same core, to the same bits.
pub async fn forecast(
    src: &Source,
    station: &str,
    model: &str,
    forecast_url: Option<&str>,
) -> Option<(Head, Forecast)> {
    let url = match forecast_url {
        Some(u) => format!(
            "{u}?model={}",
            String::from(js_sys::encode_uri_component(model))
        ),
        None => src.url(&layout::forecast(station, model)),
    };
    let bytes = get_url(url, "forecast").await.ok()?.bytes;
    let head = Head::from_json(&bytes).ok()?;
    Some((head, serde_json::from_slice(&bytes).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_and_http_urls_are_data_sources() {
        for ok in [
            "data/",
            "/v1/files/",
            "https://w.example/v1/files/",
            "http://127.0.0.1:8787/v1/files/",
            "a/b:c/",
        ] {
            assert!(safe_base(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)//",
            " JavaScript:x",
            "data:text/html,x",
            "file:///etc/",
        ] {
            assert!(!safe_base(bad), "{bad}");
        }
        assert_eq!(
            Source::new("data").url("stations.json"),
            "data/stations.json"
        );
    }
}
