//! The page: the station picker, then the chosen station's screens. The chosen station
//! lives in the URL (`#/station/<id>`), so links, the map's dots, the back button and
//! bookmarks all choose stations the same way. Two `LocalResource`s hold what is loaded:
//! the station list, and the shown station's report, which reloads whenever the choice
//! changes (a later choice wins over one still loading, and the last screens stay until
//! the next are ready). Each renders by matching its value: loading, the screens, or the
//! typed `LoadError` in words. (`<Transition>` with `Suspend` and `<ErrorBoundary>` do
//! the same for 19.5 KB more of gzipped wasm: BENCHMARKS.md, "The dashboard".)

use std::sync::Arc;

use aqcast_core::aqi::Palette;
use aqcast_core::published::{Station, Stations};
use leptos::prelude::*;

use crate::load::{self, LoadError, Source};
use crate::picker::Picker;
use crate::screens::{self, Shown, StationScreens};

const PALETTE_KEY: &str = "aqcast.palette";
const STATION_KEY: &str = "aqcast.station";

/// The data source: `?data=URL` on the page's address, else the page's
/// `<meta name="aqcast-data">`, else `data/` beside the page.
fn source() -> Source {
    let window = web_sys::window();
    let from_query = window
        .as_ref()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| {
            q.trim_start_matches('?')
                .split('&')
                .find_map(|kv| kv.strip_prefix("data="))
                .and_then(|v| js_sys::decode_uri_component(v).ok())
                .and_then(|v| v.as_string())
        });
    let from_meta = || {
        window
            .as_ref()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("meta[name=aqcast-data]").ok().flatten())
            .and_then(|m| m.get_attribute("content"))
    };
    Source::new(
        &from_query
            .filter(|b| load::safe_base(b))
            .or_else(from_meta)
            .unwrap_or_else(|| "data/".into()),
    )
}

/// The station in the address (`#/station/<id>`).
fn station_in_hash() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    let id = hash.strip_prefix("#/station/")?;
    js_sys::decode_uri_component(id).ok()?.as_string()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn remembered(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

fn remember(key: &str, value: &str) {
    if let Some(s) = storage() {
        // A full or disabled storage only loses the preference.
        let _ = s.set_item(key, value);
    }
}

/// Shows station `id` (through the address, as every way of choosing one does).
pub fn go_to(id: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w
            .location()
            .set_hash(&format!("/station/{}", js_sys::encode_uri_component(id)));
    }
}

/// The charts' width: the content column's, within bounds.
fn chart_width() -> f64 {
    let w = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(800.0);
    // Phone: the screen less the page's padding; desktop: the content column.
    if w < 900.0 {
        (w - 34.0).max(280.0)
    } else {
        (w - 380.0).clamp(480.0, 820.0)
    }
}

/// The station shown when the address names none (or one the list does not have): the
/// last one seen, else the one a model forecasts with the newest data.
fn default_station(list: &Stations) -> Option<&Station> {
    remembered(STATION_KEY)
        .and_then(|id| list.get(&id))
        .or_else(|| {
            list.stations
                .iter()
                .filter(|s| !s.models.is_empty())
                .max_by_key(|s| s.data_time)
                .or(list.stations.first())
        })
}

/// The station to show for what the address asks, and the id it asked for when the
/// list does not have it.
fn choose(list: &Stations, asked: Option<&str>) -> Option<(Station, Option<String>)> {
    match asked.and_then(|id| list.get(id)) {
        Some(s) => Some((s.clone(), None)),
        None => default_station(list).map(|s| (s.clone(), asked.map(String::from))),
    }
}

/// Why a station's screens cannot be shown: the station (none when no list was
/// loaded) and what failed.
#[derive(Clone, Debug)]
pub struct NotShown {
    /// The station that was to be shown.
    pub station: Option<String>,
    /// What failed.
    pub error: LoadError,
}

/// One load of the shown station: what the address asked for, the load's number, and
/// the station's screens or why there are none.
#[derive(Clone)]
struct Outcome {
    asked: Option<String>,
    seq: u64,
    result: Result<Arc<Shown>, NotShown>,
}

/// The screens of the station the address asks for (or, when it asks for none or one the
/// list does not have, of the default station), from the station list as loaded.
async fn show_asked(
    src: Source,
    list: Result<Arc<Stations>, LoadError>,
    asked: Option<&str>,
) -> Result<Arc<Shown>, NotShown> {
    let list = list.map_err(|error| NotShown {
        station: None,
        error,
    })?;
    let (station, unknown) = choose(&list, asked).ok_or_else(|| NotShown {
        station: Some(String::new()),
        error: LoadError::NoStations,
    })?;
    let id = station.id.clone();
    screens::show(src, station, unknown)
        .await
        .map(Arc::new)
        .map_err(|error| NotShown {
            station: Some(id),
            error,
        })
}

/// Tells the page's script that a station was shown, so that the service worker keeps
/// what was loaded and the station works offline from the first visit.
pub fn announce_shown() {
    if let Some(w) = web_sys::window() {
        if let Ok(ev) = web_sys::Event::new("aqcast-shown") {
            let _ = w.dispatch_event(&ev);
        }
    }
}

/// An error as the page shows it: its heading and what to do.
fn error_card(e: &LoadError) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <h2>{e.title()}</h2>
            <p>{e.to_string()}</p>
        </div>
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let src = source();
    let selected = RwSignal::new(station_in_hash());
    let palette = RwSignal::new(match remembered(PALETTE_KEY).as_deref() {
        Some("color_vision_assist") => Palette::ColorVisionAssist,
        _ => Palette::Epa,
    });
    let width = RwSignal::new(chart_width());
    window_event_listener(leptos::ev::resize, move |_| width.set(chart_width()));
    // A station chosen on the page (not the first one shown): once its screens are on
    // the page, the focus moves to its Now, which scrolls it into view (on a phone the
    // picker is below the screens).
    // What was chosen: its screens (the load for that address, not an earlier one still
    // rendering) take the focus.
    let chosen = StoredValue::new(None::<String>);
    window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(id) = station_in_hash() {
            chosen.set_value(Some(id.clone()));
            selected.set(Some(id));
        }
    });

    let stations = {
        let src = src.clone();
        LocalResource::new(move || {
            let src = src.clone();
            async move { load::stations(&src).await.map(Arc::new) }
        })
    };
    // The map under the stations: loaded beside them, drawn when it comes.
    let basemap = {
        let src = src.clone();
        LocalResource::new(move || {
            let src = src.clone();
            async move { load::basemap(&src).await.map(Arc::new) }
        })
    };
    let basemap = Signal::derive(move || basemap.get().flatten());
    // Each load of the shown station is numbered, so that the page can tell the screens
    // of this load from those of an earlier one, even of the same station.
    let loads = StoredValue::new(0u64);
    let shown = {
        let src = src.clone();
        LocalResource::new(move || {
            let asked = selected.get();
            loads.update_value(|n| *n += 1);
            let seq = loads.get_value();
            let src = src.clone();
            async move {
                let result = show_asked(src, stations.await, asked.as_deref()).await;
                Outcome { asked, seq, result }
            }
        })
    };
    // The load whose screens (or error) are on the page, set by what renders them once
    // they have rendered.
    let rendered = RwSignal::new(None::<u64>);
    // A retry of the station list in flight.
    let retrying = RwSignal::new(false);
    Effect::new(move |_| {
        stations.track();
        retrying.set(false);
    });
    // What the page is doing, for people (aria-busy) and tests (data-state): ready when
    // the screens on the page are those of the latest load, and that load is for what
    // the address asks.
    let state = move || match (stations.get(), shown.get()) {
        _ if retrying.get() => "loading",
        (Some(Err(_)), _) => "error",
        (_, None) => "loading",
        (_, Some(o)) if o.asked != selected.get() || rendered.get() != Some(o.seq) => "loading",
        (_, Some(o)) if o.result.is_ok() => "ready",
        _ => "error",
    };
    // The station on the page (the one the address asks for, or the one shown in its
    // place), which the map rings.
    let shown_id = Signal::derive(move || {
        shown
            .get()
            .and_then(|o| match o.result {
                Ok(s) => Some(s.report.station.id.clone()),
                Err(e) => e.station,
            })
            .or_else(|| selected.get())
    });
    Effect::new(move |_| {
        if let Some(Outcome { result: Ok(s), .. }) = shown.get() {
            remember(STATION_KEY, &s.report.station.id);
            announce_shown();
            if let Some(d) = web_sys::window().and_then(|w| w.document()) {
                d.set_title(&format!(
                    "{}: air quality now and next — aqcast",
                    crate::picker::place(&s.report.station)
                ));
            }
        }
    });
    // Once the screens (or the error) of the load for `asked` are on the page: the
    // focus goes to the Now of a station chosen on the page.
    let after_render = move |asked: Option<String>, focus: bool| {
        if asked.is_some() && chosen.with_value(|c| *c == asked) {
            chosen.set_value(None);
            if focus {
                screens::show_section("now");
            }
        }
    };

    let toggle_palette = move |_| {
        let next = match palette.get_untracked() {
            Palette::Epa => Palette::ColorVisionAssist,
            Palette::ColorVisionAssist => Palette::Epa,
        };
        remember(
            PALETTE_KEY,
            match next {
                Palette::Epa => "epa",
                Palette::ColorVisionAssist => "color_vision_assist",
            },
        );
        palette.set(next);
    };

    view! {
        <header class="top">
            <div class="brand">
                <span class="logo" aria-hidden="true"></span>
                <div>
                    <h1 class="title">"aqcast"</h1>
                    <p class="subtitle">"The air where you live, now and for the next three days"</p>
                </div>
            </div>
            <button class="palette" aria-pressed=move || (palette.get() == Palette::ColorVisionAssist).to_string()
                on:click=toggle_palette>
                "Colour-blind-safe colours"
            </button>
        </header>
        <div class="layout">
            <aside id="stations" class="picker" aria-labelledby="stations-h">
                <h2 id="stations-h" tabindex="-1">"Stations"</h2>
                {move || match stations.get() {
                    _ if retrying.get() => view! { <p class="muted">"Loading the stations…"</p> }.into_any(),
                    None => view! { <p class="muted">"Loading the stations…"</p> }.into_any(),
                    Some(Ok(list)) => view! {
                        <Picker list=list selected=shown_id palette=palette basemap=basemap/>
                    }.into_any(),
                    Some(Err(e)) => view! {
                        <div class="error" role="alert">
                            <h2>{e.title()}</h2>
                            <p>{e.to_string()}</p>
                            <button on:click=move |_| {
                                retrying.set(true);
                                stations.refetch();
                            }>"Try again"</button>
                        </div>
                    }.into_any(),
                }}
            </aside>
            <main id="main" tabindex="-1"
                data-station=move || shown_id.get().unwrap_or_default()
                data-state=state
                aria-busy=move || (state() == "loading").to_string()>
                {move || match shown.get() {
                    None => placeholder().into_any(),
                    Some(Outcome { seq, asked, result: Ok(s) }) => view! {
                        <StationScreens shown=s palette=palette width=width
                            on_rendered=move || { rendered.set(Some(seq)); after_render(asked.clone(), true); }/>
                    }.into_any(),
                    Some(Outcome { seq, asked, result: Err(e) }) => {
                        Effect::new(move |_| {
                            rendered.set(Some(seq));
                            after_render(asked.clone(), false);
                        });
                        match e.station {
                            None => view! { <p class="muted">"Nothing to show without the station list."</p> }.into_any(),
                            // Offline: the stations this device kept are a tap away.
                            Some(_) if matches!(e.error, LoadError::Offline { .. }) => view! {
                                {error_card(&e.error)}
                                <SavedStations src=src.clone() stations=stations/>
                            }.into_any(),
                            Some(_) => error_card(&e.error).into_any(),
                        }
                    }
                }}
            </main>
        </div>
        <footer class="foot">
            <p>"Forecasts are computed in your browser by aqcast from the published model and measurements. "
            {move || (state() == "ready").then(|| view! {
                <button type="button" class="link" on:click=|_| screens::show_section("about")>"About the model"</button>
            })}</p>
            {move || stations.get().and_then(|l| l.ok()).filter(|l| l.stations.iter().any(|s| s.near.is_some()))
                .map(|_| view! { <p>{aqcast_core::published::geo::PLACES_CREDIT}</p> })}
            {move || basemap.get().map(|b| view! { <p>{format!("{}.", b.credit)}</p> })}
        </footer>
    }
}

/// The stations whose data this device kept (the service worker's cache), as links: what
/// an offline page can still show.
#[component]
fn SavedStations(
    src: Source,
    stations: LocalResource<Result<Arc<Stations>, LoadError>>,
) -> impl IntoView {
    let saved = LocalResource::new(move || {
        let src = src.clone();
        async move {
            let Ok(list) = stations.await else {
                return Vec::new();
            };
            let keys: Vec<String> = list.stations.iter().map(|s| s.snapshot.clone()).collect();
            let kept = load::saved(&src, &keys).await;
            list.stations
                .iter()
                .filter(|s| kept.contains(&s.snapshot))
                .map(|s| (s.id.clone(), crate::picker::label(s)))
                .collect::<Vec<_>>()
        }
    });
    move || {
        saved.get().filter(|v| !v.is_empty()).map(|v| {
            view! {
                <p class="saved">"Saved on this device, to see offline: "
                    {v.into_iter().map(|(id, text)| view! {
                        <a href=format!("#/station/{id}")>{text}</a>" "
                    }).collect_view()}
                </p>
            }
        })
    }
}

/// The space the station screens take while they load (no layout shift).
fn placeholder() -> impl IntoView {
    view! {
        <section class="card now placeholder" aria-hidden="true"><p class="muted">"Loading the forecast…"</p></section>
        <section class="card chart-card placeholder" aria-hidden="true"></section>
    }
}
