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
    /// The browser's offset from UTC now (seconds): which day is today for the viewer.
    pub local: i64,
    /// When the data were saved, when they come from the offline cache (ms since epoch).
    pub saved: Option<f64>,
    /// How long the forecast and the rest of the report took in the page (ms).
    pub compute_ms: f64,
    /// Whether the forecast came made (by the trainer, or the edge worker) rather than
    /// computed in the page.
    pub made: bool,
    /// Where the documents came from (the model is loaded from there for the why and
    /// the history).
    pub src: Source,
    /// The station's snapshot the report was made from.
    pub snapshot: Arc<aqcast_core::published::Snapshot>,
    /// The station's last 12 months against the WHO guidelines, when published.
    pub summary: Option<aqcast_core::published::Summary>,
    /// Where the edge worker serves this station's forecast (`…/v1/forecast/<id>`), when
    /// the data come from one: its feeds of bad-air days hang under it.
    pub forecast_url: Option<String>,
    /// The edge worker's alerts (`…/v1/alerts`), when the data come from one.
    pub alerts_url: Option<String>,
    /// The URL of the model's training report, when one was published.
    pub report_url: Option<String>,
    /// A station the address named that the list does not have (another is shown).
    pub unknown: Option<String>,
}

impl Shown {
    /// The forecast's day that starts at `t` as the viewer says it at `now`: `Today`,
    /// `Tomorrow` (by the viewer's own date), else its date.
    pub fn day_name(&self, t: i64, now: i64) -> String {
        words::relative_day(t, now + self.local - self.offset, self.offset)
    }
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

/// What to do, as the Now and the days say it: for everyone, and for sensitive groups
/// (named as the scale's agency names them, when it does) where it says something else.
pub fn advice_lines(a: &summary::Advice, who: Option<String>) -> impl IntoView {
    let everyone = if a.sensitive.is_some() {
        "Everyone: "
    } else {
        "Everyone, including sensitive groups: "
    };
    let who = who.unwrap_or_else(|| "Sensitive groups".to_string());
    view! {
        <p class="advice"><span class="who">{everyone}</span>{a.everyone}</p>
        {a.sensitive.map(|s| view! { <p class="advice"><span class="who">{who}": "</span>{s}</p> })}
    }
}

/// Who is sensitive to `p`, as EPA names them ("Sensitive groups (people with asthma…)");
/// none on the EEA's scale, which does not name them.
pub fn sensitive_groups(
    scale: aqcast_core::aqi::Scale,
    p: aqcast_core::pollutant::Pollutant,
) -> Option<String> {
    (scale == aqcast_core::aqi::Scale::Epa).then(|| {
        format!(
            "Sensitive groups ({})",
            aqcast_core::aqi::sensitive_groups(p).to_ascii_lowercase()
        )
    })
}

/// A card's body from the hindsight (why and history): `loading` while the model loads,
/// `failed` and the reason when it cannot be had, else what `shown` makes of it.
pub fn with_hindsight<V: IntoView + 'static>(
    hindsight: LocalResource<Result<summary::Hindsight, String>>,
    loading: &'static str,
    failed: &'static str,
    shown: impl Fn(summary::Hindsight) -> V + 'static,
) -> impl Fn() -> AnyView {
    move || match hindsight.get() {
        None => view! { <p class="muted">{loading}</p> }.into_any(),
        Some(Err(why)) => {
            view! { <p class="muted" role="status">{format!("{failed}: {why}")}</p> }.into_any()
        }
        Some(Ok(h)) => shown(h).into_any(),
    }
}

/// Loads what `station`'s screens need (the production version of the model that serves
/// it, its snapshot and the forecast made from it) and builds its report. The forecast
/// comes made, by the trainer or the edge worker, when it is that version's from that
/// snapshot; otherwise the page loads the model and computes it (the same bits).
pub async fn show(
    src: Source,
    station: Station,
    unknown: Option<String>,
) -> Result<Shown, LoadError> {
    let name = station.models.first().ok_or_else(|| LoadError::Unserved {
        station: station.id.clone(),
    })?;
    let forecast_url = src.base().strip_suffix("/v1/files/").map(|w| {
        format!(
            "{w}/v1/forecast/{}",
            String::from(js_sys::encode_uri_component(&station.id))
        )
    });
    // All at once: on a slow network each is a round trip.
    let (version, snapshot, summary, made) = futures_util::future::join4(
        load::production(&src, name),
        load::snapshot(&src, &station.snapshot),
        load::summary(&src, &station.id),
        load::forecast(&src, &station.id, name, forecast_url.as_deref()),
    )
    .await;
    let (version, (snapshot, saved)) = (version?, snapshot?);
    // Made by that version from the data the page holds, or not used.
    let made = made
        .filter(|(head, _)| {
            head.is_of(&station.id, name, &version.sha256)
                && head.is_from(snapshot.start, snapshot.data_time)
        })
        .map(|(_, fc)| fc);
    let t0 = perf_now();
    let (fc, t0, made) = match made {
        Some(fc) => (fc, t0, true),
        None => {
            let served = load::model(&src, name, &version).await?;
            let t0 = perf_now();
            let fc = summary::forecast(&station, name, &version, &served.forecaster, &snapshot)
                .map_err(|why| LoadError::Forecast {
                    station: station.name.clone().unwrap_or_else(|| station.id.clone()),
                    why,
                })?;
            (fc, t0, false)
        }
    };
    // A daily forecast's days are calendar days as the source dates them (the day of a
    // daily mean), not instants: shown as they are, in any time zone. Hourly steps are
    // instants: shown in the browser's local time.
    let offset = if fc.step_seconds >= 86_400 {
        0
    } else {
        offset_at(snapshot.data_time)
    };
    let report = summary::report(&station, name, &version, fc, &snapshot, offset);
    Ok(Shown {
        compute_ms: perf_now() - t0,
        made,
        report_url: version.report_html.as_deref().map(|k| src.url(k)),
        report,
        alerts_url: src
            .base()
            .strip_suffix("/v1/files/")
            .map(|w| format!("{w}/v1/alerts")),
        forecast_url,
        offset,
        local: offset_at(now_seconds() as i64),
        saved,
        unknown,
        summary,
        src,
        snapshot: Arc::new(snapshot),
    })
}

impl Shown {
    /// Why and the history, with the model (loaded now if the forecast came made).
    pub async fn hindsight(&self) -> Result<summary::Hindsight, String> {
        let r = &self.report;
        let served = load::model(&self.src, &r.model, &r.version)
            .await
            .map_err(|e| e.to_string())?;
        summary::hindsight(
            &served.forecaster,
            &r.forecast,
            &r.station.id,
            &self.snapshot,
        )
    }
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
    // Why and the history take the model: loaded after the answer is on screen.
    let hindsight = {
        let shown = shown.clone();
        LocalResource::new(move || {
            let shown = shown.clone();
            async move { shown.hindsight().await }
        })
    };
    // Once it is, the service worker keeps the model too: the why and the history then
    // work offline.
    Effect::new(move |_| {
        if hindsight.get().is_some() {
            crate::app::announce_shown();
        }
    });
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
    let has_year = shown
        .summary
        .as_ref()
        .is_some_and(|s| !s.pollutants.is_empty());
    let sections = [
        ("outlook", "Today"),
        ("forecast", "Forecast"),
        ("why", "Why"),
        ("history", "History"),
        ("year", "Year"),
        ("about", "About"),
        ("stations", "Stations"),
    ]
    .into_iter()
    // Only what is on the page.
    .filter(|(id, _)| *id != "year" || has_year)
    .map(|(id, text)| view! { <button type="button" on:click=move |_| show_section(id)>{text}</button> })
    .collect_view();
    view! {
        {unknown}
        {saved}
        <now::Now shown=shown.clone() name=name palette=palette/>
        <nav class="sections" aria-label="Sections">{sections}</nav>
        <outlook::Outlook shown=shown.clone() palette=palette/>
        <forecast::Forecast shown=shown.clone() palette=palette width=width/>
        <why::Why shown=shown.clone() hindsight=hindsight/>
        <history::History shown=shown.clone() hindsight=hindsight width=width/>
        <year::Year shown=shown.clone()/>
        <about::About shown=shown/>
    }
}
