//! The screens of the station shown, one component each: [`now::Now`],
//! [`outlook::Outlook`], [`forecast::Forecast`], [`year::Year`], [`why::Why`], [`history::History`], [`about::About`]. They all
//! read one [`Shown`]: the station's report, computed once by [`show`] from the published
//! documents.

pub mod about;
pub mod forecast;
pub mod history;
pub mod now;
pub mod outlook;
pub mod why;
pub mod year;

use std::sync::Arc;

use aqcast_core::aqi::Palette;
use aqcast_core::published::Station;
use leptos::prelude::*;

use crate::load::{self, LoadError, Source};
use crate::picker::place;
use crate::summary::{self, Report};
use crate::words;

/// A station's report as shown.
pub struct Shown {
    /// What the screens say.
    pub report: Report,
    /// Local time's offset from UTC at the data time (seconds); 0 for daily data, whose
    /// days are the source's calendar days.
    pub offset: i64,
    /// When the data were saved, when they come from the offline cache (ms since epoch).
    pub saved: Option<f64>,
    /// How long the forecast and the rest of the report took in the page (ms).
    pub compute_ms: f64,
    /// The station's last 12 months against the WHO guidelines, when published.
    pub summary: Option<aqcast_core::published::Summary>,
    /// The URL of the model's training report, when one was published.
    pub report_url: Option<String>,
    /// A station the address named that the list does not have (another is shown).
    pub unknown: Option<String>,
}

/// The local time's offset from UTC at `t` (seconds).
pub fn offset_at(t: i64) -> i64 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64 * 1000.0));
    -(d.get_timezone_offset() as i64) * 60
}

/// Now, in seconds since the epoch, by the browser's clock.
pub fn now_seconds() -> f64 {
    js_sys::Date::now() / 1000.0
}

fn perf_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Scrolls to the section `id` and moves the focus to its heading (`<id>-h`), as a
/// person choosing it expects, without touching the address.
pub fn show_section(id: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(h) = doc
        .get_element_by_id(&format!("{id}-h"))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        h.scroll_into_view();
        let _ = h.focus();
    }
}

/// Loads what `station`'s screens need (the model that serves it, its snapshot) and
/// computes its report.
pub async fn show(
    src: Source,
    station: Station,
    unknown: Option<String>,
) -> Result<Shown, LoadError> {
    let name = station.models.first().ok_or_else(|| LoadError::Unserved {
        station: station.id.clone(),
    })?;
    // All at once: on a slow network each is a round trip.
    let (served, snapshot, summary) = futures_util::future::join3(
        load::model(&src, name),
        load::snapshot(&src, &station.snapshot),
        load::summary(&src, &station.id),
    )
    .await;
    let (served, (snapshot, saved)) = (served?, snapshot?);
    let t0 = perf_now();
    // Daily data are calendar days as the source dates them (the day of a daily mean),
    // not instants: shown as they are, in any time zone. Hourly data are instants: shown
    // in the browser's local time.
    let daily = snapshot
        .step()
        .or(station.step)
        .is_some_and(|s| s >= 86_400);
    let offset = if daily {
        0
    } else {
        offset_at(snapshot.data_time)
    };
    let report = summary::report(
        &station,
        &served.name,
        &served.version,
        &served.forecaster,
        &snapshot,
        offset,
    )
    .map_err(|why| LoadError::Forecast {
        station: station.name.clone().unwrap_or_else(|| station.id.clone()),
        why,
    })?;
    Ok(Shown {
        compute_ms: perf_now() - t0,
        report_url: served.version.report_html.as_deref().map(|k| src.url(k)),
        report,
        offset,
        saved,
        unknown,
        summary,
    })
}

/// The screens of the station shown, with the section links and what the page must say
/// before them (a station the address named that is not published, an offline copy).
#[component]
pub fn StationScreens(
    shown: Arc<Shown>,
    palette: RwSignal<Palette>,
    width: RwSignal<f64>,
    /// Called once the screens are on the page.
    on_rendered: impl Fn() + 'static,
) -> impl IntoView {
    Effect::new(move |_| on_rendered());
    let now = now_seconds();
    let unknown = shown.unknown.clone().map(|id| {
        view! {
            <p class="notice" role="status">{format!(
                "There is no station \"{id}\" in the published list, so another one is shown. Pick one from the list or the map."
            )}</p>
        }
    });
    let saved = shown.saved.map(|ms| {
        view! {
            <p class="notice" role="status">
                {format!("You are offline: this is the copy saved on this device {}.", words::age((now - ms / 1000.0) as i64))}
            </p>
        }
    });
    let name = place(&shown.report.station);
    // Buttons, not links to `#now`: the address holds the station, and a shared link
    // must open the same one.
    let sections = [
        ("outlook", "Today"),
        ("forecast", "Forecast"),
        ("why", "Why"),
        ("history", "History"),
        ("year", "Year"),
        ("about", "About"),
        ("stations", "Stations"),
    ]
    .map(|(id, text)| view! { <button type="button" on:click=move |_| show_section(id)>{text}</button> });
    view! {
        {unknown}
        {saved}
        <now::Now shown=shown.clone() name=name palette=palette/>
        <nav class="sections" aria-label="Sections">{sections}</nav>
        <outlook::Outlook shown=shown.clone() palette=palette/>
        <forecast::Forecast shown=shown.clone() palette=palette width=width/>
        <why::Why shown=shown.clone()/>
        <history::History shown=shown.clone() width=width/>
        <year::Year shown=shown.clone()/>
        <about::About shown=shown/>
    }
}
