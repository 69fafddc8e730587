//! Bad-air alerts for this browser, from the edge worker: subscribing (the notification
//! permission, the browser's push subscription for the worker's VAPID key, then the
//! worker's `POST /v1/alerts/subscriptions`), unsubscribing, and what this browser
//! remembers of it. A browser has one push endpoint, so it follows one station at a
//! time: subscribing for another moves its alerts there. The service worker (`sw.js`)
//! shows what the worker pushes.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Where this browser remembers its subscription.
const KEY: &str = "aqcast-alert";

/// This browser's subscription, as the worker answered it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The subscription's id (what unsubscribes).
    pub id: String,
    /// The station it follows.
    pub station: String,
    /// The station's name, as the page shows it.
    pub name: String,
    /// The worker's alerts URL (`…/v1/alerts`).
    pub api: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The subscription this browser remembers.
pub fn saved() -> Option<Alert> {
    serde_json::from_str(&storage()?.get_item(KEY).ok()??).ok()
}

fn remember(a: Option<&Alert>) {
    if let Some(s) = storage() {
        let _ = match a.and_then(|a| serde_json::to_string(a).ok()) {
            Some(text) => s.set_item(KEY, &text),
            None => s.remove_item(KEY),
        };
    }
}

/// Whether this browser can take pushes at all.
pub fn supported() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &"PushManager".into()).unwrap_or(false)
            && js_sys::Reflect::has(&w.navigator(), &"serviceWorker".into()).unwrap_or(false)
    })
}

fn said(e: &wasm_bindgen::JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "no reason given".into())
}

/// Subscribes this browser to `station`'s days at or past category `from` (1–6), its
/// days counted at `offset` minutes from UTC; `api` is the worker's `…/v1/alerts`.
/// The error says what went wrong in words a person can act on.
pub async fn subscribe(
    api: &str,
    station: &str,
    name: &str,
    from: u8,
    offset: i64,
) -> Result<Alert, String> {
    let window = web_sys::window().ok_or("no window")?;
    let asked = web_sys::Notification::request_permission()
        .map_err(|e| format!("notifications cannot be asked for here ({})", said(&e)))?;
    let answer = JsFuture::from(asked).await.map_err(|e| said(&e))?;
    if answer.as_string().as_deref() != Some("granted") {
        return Err(
            "notifications are blocked for this page: allow them in the browser's site settings"
                .into(),
        );
    }
    let key = gloo_net::http::Request::get(&format!("{api}/vapid-key"))
        .send()
        .await
        .map_err(|e| format!("the server cannot be reached ({e})"))?;
    if !key.ok() {
        return Err("this server does not send alerts".into());
    }
    #[derive(Deserialize)]
    struct Key {
        key: String,
    }
    let key: Key = key
        .json()
        .await
        .map_err(|_| "the server's alert key cannot be read")?;
    let ready = window
        .navigator()
        .service_worker()
        .ready()
        .map_err(|e| said(&e))?;
    let registration: web_sys::ServiceWorkerRegistration = JsFuture::from(ready)
        .await
        .map_err(|e| said(&e))?
        .unchecked_into();
    let options = web_sys::PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    options.set_application_server_key_opt_str(Some(&key.key));
    let pending = registration
        .push_manager()
        .and_then(|p| p.subscribe_with_options(&options))
        .map_err(|e| format!("this browser could not subscribe ({})", said(&e)))?;
    let subscription = JsFuture::from(pending)
        .await
        .map_err(|e| format!("this browser could not subscribe ({})", said(&e)))?;
    let subscription: serde_json::Value = js_sys::JSON::stringify(&subscription)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or("this browser's subscription cannot be read")?;
    let body = serde_json::json!({
        "subscription": subscription, "station": station, "from": from, "offset": offset,
    });
    let r = gloo_net::http::Request::post(&format!("{api}/subscriptions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("the server cannot be reached ({e})"))?;
    if r.status() != 201 {
        #[derive(Deserialize)]
        struct Problem {
            error: Inner,
        }
        #[derive(Deserialize)]
        struct Inner {
            message: String,
        }
        let why = r.json::<Problem>().await.map(|p| p.error.message);
        return Err(format!(
            "the server refused the subscription ({})",
            why.unwrap_or_else(|_| format!("status {}", r.status()))
        ));
    }
    #[derive(Deserialize)]
    struct Made {
        id: String,
    }
    let made: Made = r
        .json()
        .await
        .map_err(|_| "the server's answer cannot be read")?;
    let alert = Alert {
        id: made.id,
        station: station.to_string(),
        name: name.to_string(),
        api: api.to_string(),
    };
    remember(Some(&alert));
    Ok(alert)
}

/// Ends this browser's subscription (gone already is ended too).
pub async fn unsubscribe(a: &Alert) -> Result<(), String> {
    let r = gloo_net::http::Request::delete(&format!("{}/subscriptions/{}", a.api, a.id))
        .send()
        .await
        .map_err(|e| format!("the server cannot be reached ({e})"))?;
    if !(r.ok() || r.status() == 404) {
        return Err(format!("the server answered {}", r.status()));
    }
    remember(None);
    Ok(())
}
