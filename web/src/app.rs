//! The page: the station picker (search, near me, map), then the chosen station's
//! screens (Now, Forecast, Why, History, About). The chosen station lives in the URL
//! (`#/station/<id>`), so links, the map's dots, the back button and bookmarks all choose
//! stations the same way.

use std::sync::Arc;

use aqcast_core::aqi::Palette;
use aqcast_core::forecast::Scale;
use aqcast_core::published::{Station, Stations};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::load::{self, LoadError, Source};
use crate::summary::{self, Report};
use crate::{chart, colours, map, words};

/// Something loading, loaded, or not.
#[derive(Clone)]
enum State<T> {
    Loading,
    Failed(LoadError),
    Ready(T),
}

/// A station's report as shown.
struct Shown {
    report: Report,
    /// Local time's offset from UTC at the data time (seconds).
    offset: i64,
    /// When the data were saved, when they come from the offline cache (ms since epoch).
    saved: Option<f64>,
    /// How long the forecast and the rest of the report took in the page (ms).
    compute_ms: f64,
    /// The URL of the model's training report, when one was published.
    report_url: Option<String>,
}

const PALETTE_KEY: &str = "aqcast.palette";
const STATION_KEY: &str = "aqcast.station";

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn perf_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(now_ms, |p| p.now())
}

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

/// The local time's offset from UTC at `t` (seconds).
fn offset_at(t: i64) -> i64 {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t as f64 * 1000.0));
    -(d.get_timezone_offset() as i64) * 60
}

/// The station shown when the address names none: the last one seen, else the one a
/// model forecasts with the newest data.
fn default_station(list: &Stations) -> Option<String> {
    remembered(STATION_KEY)
        .filter(|id| list.get(id).is_some())
        .or_else(|| {
            list.stations
                .iter()
                .filter(|s| !s.models.is_empty())
                .max_by_key(|s| s.data_time)
                .or(list.stations.first())
                .map(|s| s.id.clone())
        })
}

async fn show(src: Source, station: Station) -> Result<Shown, LoadError> {
    let name = station.models.first().ok_or_else(|| LoadError::Unserved {
        station: station.id.clone(),
    })?;
    let served = load::model(&src, name).await?;
    let (snapshot, saved) = load::snapshot(&src, &station.snapshot).await?;
    let t0 = perf_now();
    let offset = offset_at(snapshot.data_time);
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
    })
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let src = source();
    let stations = RwSignal::new_local(State::<Arc<Stations>>::Loading);
    let selected = RwSignal::new(station_in_hash());
    let shown = RwSignal::new_local(State::<Arc<Shown>>::Loading);
    // The station `shown` is about: until it is the selected one, the page is loading
    // (the choice changes before the effect that loads it runs).
    let shown_for = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // A station the address named that the list does not have.
    let unknown = RwSignal::new(None::<String>);
    let palette = RwSignal::new(match remembered(PALETTE_KEY).as_deref() {
        Some("color_vision_assist") => Palette::ColorVisionAssist,
        _ => Palette::Epa,
    });
    let width = RwSignal::new(chart_width());
    let generation = StoredValue::new(0u64);
    window_event_listener(leptos::ev::resize, move |_| width.set(chart_width()));
    window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(id) = station_in_hash() {
            unknown.set(None);
            selected.set(Some(id));
        }
    });

    let load_list = {
        let src = src.clone();
        move || {
            stations.set(State::Loading);
            let src = src.clone();
            spawn_local(async move {
                stations.set(match load::stations(&src).await {
                    Ok(s) => State::Ready(Arc::new(s)),
                    Err(e) => State::Failed(e),
                });
            });
        }
    };
    load_list();

    // Load the chosen station whenever the list or the choice changes; a later choice
    // wins over an earlier one still loading.
    {
        let src = src.clone();
        Effect::new(move |_| {
            let State::Ready(list) = stations.get() else {
                return;
            };
            let asked = selected.get();
            let wanted = asked.clone().filter(|id| list.get(id).is_some());
            if let (Some(a), None) = (&asked, &wanted) {
                unknown.set(Some(a.clone()));
            }
            let Some(id) = wanted.or_else(|| default_station(&list)) else {
                return;
            };
            if selected.get_untracked().as_deref() != Some(id.as_str()) {
                selected.set(Some(id.clone()));
                return;
            }
            let Some(station) = list.get(&id).cloned() else {
                return;
            };
            remember(STATION_KEY, &id);
            generation.update_value(|g| *g += 1);
            let mine = generation.get_value();
            busy.set(true);
            let src = src.clone();
            spawn_local(async move {
                let result = show(src, station).await;
                if generation.get_value() != mine {
                    return;
                }
                let ok = result.is_ok();
                shown.set(match result {
                    Ok(s) => State::Ready(Arc::new(s)),
                    Err(e) => State::Failed(e),
                });
                shown_for.set(Some(id));
                busy.set(false);
                if ok {
                    // The page's script hands what was loaded to the service worker, so the
                    // station works offline from the first visit.
                    if let Some(w) = web_sys::window() {
                        if let Ok(ev) = web_sys::Event::new("aqcast-shown") {
                            let _ = w.dispatch_event(&ev);
                        }
                    }
                }
            });
        });
    }

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

    let list_error = {
        let load_list = load_list.clone();
        move |e: LoadError| {
            let retry = load_list.clone();
            view! {
                <div class="error" role="alert">
                    <h2>{e.title()}</h2>
                    <p>{e.to_string()}</p>
                    <button on:click=move |_| retry()>"Try again"</button>
                </div>
            }
        }
    };

    view! {
        <header class="top">
            <div class="brand">
                <span class="logo" aria-hidden="true"></span>
                <div>
                    <p class="title">"aqcast"</p>
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
                <h2 id="stations-h">"Stations"</h2>
                {move || match stations.get() {
                    State::Loading => view! { <p class="muted">"Loading the stations…"</p> }.into_any(),
                    State::Failed(e) => list_error(e).into_any(),
                    State::Ready(list) => view! {
                        <Picker list=list selected=selected palette=palette/>
                    }.into_any(),
                }}
            </aside>
            <main id="main" tabindex="-1"
                data-station=move || selected.get().unwrap_or_default()
                data-state=move || match shown.get() {
                    _ if busy.get() || shown_for.get() != selected.get() => "loading",
                    State::Loading => "loading",
                    State::Failed(_) => "error",
                    State::Ready(_) => "ready",
                }
                aria-busy=move || busy.get().to_string()>
                {move || unknown.get().map(|id| view! {
                    <p class="notice" role="status">{format!(
                        "There is no station \"{id}\" in the published list, so another one is shown. Pick one from the list or the map."
                    )}</p>
                })}
                {move || match (stations.get(), shown.get()) {
                    (State::Failed(_), _) => view! {
                        <p class="muted">"Nothing to show without the station list."</p>
                    }.into_any(),
                    (_, State::Loading) => placeholder().into_any(),
                    (_, State::Failed(e)) => view! {
                        <div class="error" role="alert">
                            <h2>{e.title()}</h2>
                            <p>{e.to_string()}</p>
                        </div>
                    }.into_any(),
                    (_, State::Ready(s)) => view! {
                        <StationScreens shown=s palette=palette width=width/>
                    }.into_any(),
                }}
            </main>
        </div>
        <footer class="foot">
            <p>"Forecasts are computed in your browser by aqcast from the published model and measurements. "
            <a href="#about">"About the model"</a></p>
        </footer>
    }
}

/// The space the station screens take while they load (no layout shift).
fn placeholder() -> impl IntoView {
    view! {
        <section class="card now placeholder" aria-hidden="true"><p class="muted">"Loading the forecast…"</p></section>
        <section class="card chart-card placeholder" aria-hidden="true"></section>
    }
}

/// Search, near me, the map, and the stations the map cannot show.
#[component]
fn Picker(
    list: Arc<Stations>,
    selected: RwSignal<Option<String>>,
    palette: RwSignal<Palette>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let locate_message = RwSignal::new(None::<String>);
    let search_list = list.clone();
    let matches = move || {
        let q = lower(query.get().trim());
        if q.is_empty() {
            return Vec::new();
        }
        search_list
            .stations
            .iter()
            .filter(|s| {
                lower(&s.id).contains(&q)
                    || s.name.as_deref().is_some_and(|n| lower(n).contains(&q))
            })
            .take(8)
            .map(|s| (s.id.clone(), label(s)))
            .collect::<Vec<_>>()
    };
    let near_list = list.clone();
    let near_me = move |_| {
        let Some(geo) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
            locate_message.set(Some("This browser cannot tell where you are.".into()));
            return;
        };
        locate_message.set(Some("Finding where you are…".into()));
        let list = near_list.clone();
        let ok = Closure::once_into_js(move |p: web_sys::Position| {
            let c = p.coords();
            match nearest(&list.stations, c.latitude(), c.longitude()) {
                Some((id, km)) => {
                    locate_message.set(Some(format!(
                        "The nearest station is {} km away.",
                        words::fixed(km, 0)
                    )));
                    go_to(&id);
                }
                None => locate_message.set(Some("No station has coordinates.".into())),
            }
        });
        let err = Closure::once_into_js(move |e: web_sys::PositionError| {
            locate_message.set(Some(match e.code() {
                1 => "Your location was not shared, so pick a station from the list or the map."
                    .into(),
                _ => "Your location could not be found; pick a station from the list or the map."
                    .into(),
            }));
        });
        if geo
            .get_current_position_with_error_callback(ok.unchecked_ref(), Some(err.unchecked_ref()))
            .is_err()
        {
            locate_message.set(Some("This browser cannot tell where you are.".into()));
        }
    };
    let map_list = list.clone();
    let unmapped: Vec<Station> = list
        .stations
        .iter()
        .filter(|s| s.lat.is_none() || s.lon.is_none())
        .cloned()
        .collect();
    let all = list.clone();
    view! {
        <label for="search" class="label">"Find a station by name or id"</label>
        <input id="search" type="search" autocomplete="off" placeholder="e.g. DEBY or aurn"
            prop:value=move || query.get()
            on:input=move |ev| query.set(event_target_value(&ev))/>
        <ul class="results">
            {move || matches().into_iter().map(|(id, text)| view! {
                <li><a href=format!("#/station/{id}") on:click=move |_| query.set(String::new())>{text}</a></li>
            }).collect_view()}
        </ul>
        <button class="near" on:click=near_me>"Near me"</button>
        <p class="muted" aria-live="polite">{move || locate_message.get()}</p>
        {move || map::map(&map_list.stations, selected.get().as_deref(), palette.get())}
        <p class="muted small">{format!("{} stations", all.stations.len())}</p>
        {(!unmapped.is_empty()).then(|| view! {
            <p class="small">"Not on the map (no coordinates published): "
                {unmapped.iter().map(|s| view! {
                    <a href=format!("#/station/{}", s.id)>{label(s)}</a>" "
                }).collect_view()}
            </p>
        })}
    }
}

fn label(s: &Station) -> String {
    match &s.name {
        Some(n) => format!("{n} ({})", s.id),
        None => s.id.clone(),
    }
}

/// The nearest station with coordinates, and how far it is (km, great circle).
pub fn nearest(stations: &[Station], lat: f64, lon: f64) -> Option<(String, f64)> {
    stations
        .iter()
        .filter_map(|s| {
            let (a, b) = (s.lat?, s.lon?);
            let (p1, p2) = (lat.to_radians(), a.to_radians());
            let dp = p2 - p1;
            let dl = (b - lon).to_radians();
            let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            Some((s.id.clone(), 6_371.0 * 2.0 * h.sqrt().min(1.0).asin()))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The screens of the station shown.
#[component]
fn StationScreens(
    shown: Arc<Shown>,
    palette: RwSignal<Palette>,
    width: RwSignal<f64>,
) -> impl IntoView {
    let r = &shown.report;
    let fc = &r.forecast;
    let offset = shown.offset;
    let name = label(&r.station);
    let hourly = fc.step_seconds < 86_400;
    let unit = fc.unit.symbol();
    let now = now_ms() / 1000.0;
    let age = now as i64 - fc.data_time;
    let stale = age > 3 * fc.step_seconds.max(3_600);
    let saved = shown.saved.map(|ms| {
        view! {
            <p class="notice" role="status">
                {format!("You are offline: this is the copy saved on this device {}.", words::age((now - ms / 1000.0) as i64))}
            </p>
        }
    });
    let scale_name = match fc.scale {
        Scale::Epa => "US EPA Air Quality Index",
        Scale::Eea => "European Air Quality Index (levels 1–6)",
    };

    let now_card = {
        let shown = shown.clone();
        move || {
            let r = &shown.report;
            let Some(n) = &r.now else {
                return view! { <p>"This station publishes no pollutant with an AQI."</p> }
                    .into_any();
            };
            let d = &n.dominant;
            let bg = colours::category(r.forecast.scale, d.category, palette.get());
            let cat = r
                .forecast
                .categories
                .get(usize::from(d.category))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let (general, sensitive) = summary::health(r.forecast.scale, d.category, d.pollutant);
            let others = n
                .all
                .iter()
                .skip(1)
                .map(|o| {
                    format!(
                        "{} {} {}",
                        o.pollutant.label(),
                        words::value(o.value),
                        o.unit
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <div class="aqi" style=format!("background:{bg};color:{}", colours::text_on(bg))>
                    <span class="aqi-number" data-aqi=d.aqi>{d.aqi}</span>
                    <span class="aqi-category">{cat}</span>
                </div>
                <div class="now-text">
                    <p class="muted small">{scale_name}</p>
                    <p>"Dominant pollutant: "<strong>{d.pollutant.label()}</strong>
                        {format!(", {} {}{} measured {}", words::value(d.value), d.unit, words::basis(d.basis), words::datetime(d.time, offset))}
                        " ("{words::age(now as i64 - d.time)}")"</p>
                    {(!others.is_empty()).then(|| view! { <p class="small">"Also measured: "{others.clone()}</p> })}
                    <p class="health">{general}</p>
                    <p class="small">{sensitive}</p>
                </div>
            }.into_any()
        }
    };

    let days = r.days.iter().enumerate().map(|(i, d)| {
        let fc2 = fc.clone();
        let d2 = d.clone();
        let day = words::relative_day(d.start, now as i64, offset);
        let when = if i == 0 && hourly {
            format!("{day} (from {})", words::hour(d.start, offset))
        } else {
            day
        };
        view! {
            <li>
                <span class="chip" style=move || format!("background:{}", colours::category(fc2.scale, d2.category, palette.get()))></span>
                <strong>{when}": "</strong>{summary::day_sentence(d, fc)}
            </li>
        }
    }).collect_view();

    let chart_shown = shown.clone();
    let history_shown = shown.clone();
    let why = &r.why;
    let why_items = {
        let mut items: Vec<String> = Vec::new();
        if let Some((what, v)) = &why.start {
            items.push(format!(
                "It starts from {what}: {} {unit}.",
                words::value(*v)
            ));
        }
        for (what, by) in &why.reasons {
            items.push(format!("{}.", summary::reason_sentence(what, *by, fc.unit)));
        }
        items.push(format!(
            "Everything else together {} it by {} {unit}.",
            if why.rest >= 0.0 { "raises" } else { "lowers" },
            words::value(why.rest.abs())
        ));
        items
            .into_iter()
            .map(|t| view! { <li>{t}</li> })
            .collect_view()
    };
    let h = &r.history;
    let history_text = match (h.mae, h.inside) {
        (Some(mae), (inside, n)) if n > 0 => format!(
            "Over these days, the forecast made the day before was off by {} {unit} on average, and {inside} of {n} measurements ({} %) fell inside its 80 % band.",
            words::value(mae),
            words::fixed(100.0 * inside as f64 / n as f64, 0)
        ),
        _ => "There are no measurements to compare with in these days.".to_string(),
    };
    let v = &r.version;
    let per_step = |k: u32| v.metrics.per_step.iter().find(|m| m.step == k).cloned();
    let next_day = if hourly { 24 } else { 1 };
    let skill = per_step(next_day).and_then(|m| m.skill);
    let coverage = v.metrics.summary.get("coverage").copied();
    // File names only: where they sat on the trainer's machine is no one's business.
    let data_files = v
        .provenance
        .data
        .iter()
        .map(|d| {
            d.name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&d.name)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ");
    let table_rows = fc.steps.iter().map(|s| {
        let cat = fc.categories.get(usize::from(s.category)).map(|c| c.name.clone()).unwrap_or_default();
        view! {
            <tr data-time=s.time data-p10=format!("{:?}", s.p10) data-p50=format!("{:?}", s.p50) data-p90=format!("{:?}", s.p90) data-aqi=s.aqi>
                <th scope="row">{words::datetime(s.time, offset)}</th>
                <td>{words::value(s.p10)}</td><td>{words::value(s.p50)}</td><td>{words::value(s.p90)}</td>
                <td>{s.aqi}</td><td>{cat}</td>
            </tr>
        }
    }).collect_view();

    view! {
        <nav class="sections" aria-label="Sections">
            <a href="#now">"Now"</a><a href="#forecast">"Forecast"</a><a href="#why">"Why"</a>
            <a href="#history">"History"</a><a href="#about">"About"</a><a href="#stations">"Stations"</a>
        </nav>
        {saved}
        <section id="now" class="card now" aria-labelledby="now-h">
            <h2 id="now-h">"Now at "{name.clone()}</h2>
            {stale.then(|| view! {
                <p class="notice" role="status">{format!(
                    "These are the latest measurements published for this station, from {} ({}). Newer ones have not arrived, so the forecast below starts from them.",
                    words::datetime(fc.data_time, offset), words::age(age))}</p>
            })}
            <div class="now-body">{now_card}</div>
        </section>
        <section id="forecast" class="card" aria-labelledby="forecast-h">
            <h2 id="forecast-h">{if hourly { format!("The next {} hours", fc.steps.len()) } else { format!("The next {} days", fc.steps.len()) }}</h2>
            <ul class="days">{days}</ul>
            <div class="chart-box">
                {move || chart::forecast(&chart_shown.report, palette.get(), width.get(), chart_shown.offset)}
            </div>
            <p class="legend small"><span class="key band-key"></span>"80 % of outcomes (P10–P90) "
                <span class="key line-key"></span>"central forecast (P50) "
                "· colour strip: each "{if hourly { "hour" } else { "day" }}"'s AQI category · times "{words::offset(offset)}</p>
            <details>
                <summary>"The forecast as a table"</summary>
                <div class="table-wrap">
                <table class="steps">
                    <caption>{format!("{} in {unit}, P10–P90 is the 80 % band", fc.pollutant.label())}</caption>
                    <thead><tr><th scope="col">"Time"</th><th scope="col">"P10"</th><th scope="col">"P50"</th><th scope="col">"P90"</th><th scope="col">"AQI"</th><th scope="col">"Category"</th></tr></thead>
                    <tbody>{table_rows}</tbody>
                </table>
                </div>
            </details>
        </section>
        <section id="why" class="card" aria-labelledby="why-h">
            <h2 id="why-h">"Why"</h2>
            <p>{format!("The forecast for {} is {} {unit}.", if hourly { words::datetime(why.time, offset) } else { words::date(why.time, offset) }, words::value(why.forecast))}</p>
            <ul class="why">{why_items}</ul>
        </section>
        <section id="history" class="card" aria-labelledby="history-h">
            <h2 id="history-h">"The last days: measured and forecast"</h2>
            <div class="chart-box">
                {move || chart::history(&history_shown.report.history, history_shown.report.forecast.unit.symbol(), history_shown.report.forecast.step_seconds, width.get(), history_shown.offset)}
            </div>
            <p class="legend small"><span class="key measured-key"></span>"measured "<span class="key dashed-key"></span>"forecast a day earlier, with its 80 % band"</p>
            <p>{history_text}</p>
        </section>
        <section id="about" class="card" aria-labelledby="about-h">
            <h2 id="about-h">"About this forecast"</h2>
            <dl class="about">
                <dt>"Model"</dt><dd>{format!("{} version {} ({})", r.model, v.version, v.stage.name())}</dd>
                <dt>"Trained"</dt><dd>{v.provenance.trained.clone().unwrap_or_else(|| "not recorded".into())}{format!(" by {}", v.provenance.source)}</dd>
                <dt>"On"</dt><dd>{if data_files.is_empty() { "not recorded".to_string() } else { data_files }}</dd>
                <dt>"Test skill"</dt><dd>{match skill {
                    Some(s) => format!("{} at {} ahead (1 − RMSE / RMSE of persistence; above 0 beats \"same as now\")", words::fixed(s, 2), if hourly { "24 hours" } else { "1 day" }),
                    None => "not recorded".into(),
                }}</dd>
                <dt>"Band coverage"</dt><dd>{match coverage {
                    Some(c) => format!("{} % of test measurements fell in the 80 % band", words::fixed(c * 100.0, 0)),
                    None => "not recorded".into(),
                }}</dd>
                <dt>"Bands"</dt><dd>{match r.forecast.tracked {
                    Some(n) => format!("kept to 80 % by this station's own record: {} outcomes since training moved them", words::count(n)),
                    None => "as calibrated in training".into(),
                }}</dd>
                <dt>"Published"</dt><dd>{v.provenance.published.clone()}</dd>
                <dt>"Fingerprint"</dt><dd><code>{v.sha256.get(..16).unwrap_or_default().to_string()}</code></dd>
            </dl>
            {shown.report_url.clone().map(|u| view! { <p><a href=u>"The full training report"</a></p> })}
            <p class="muted small" data-compute-ms=words::fixed(shown.compute_ms, 1)>
                {format!("Forecast computed in this browser in {} ms.", words::fixed(shown.compute_ms, 0))}
            </p>
        </section>
    }
}

/// `s` in lower case for matching a search, by the browser's own Unicode tables (the
/// app does not carry Rust's).
fn lower(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        String::from(js_sys::JsString::from(s).to_lower_case())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_station_is_the_closest_on_the_sphere() {
        let s = |id: &str, lat, lon| Station {
            id: id.into(),
            name: None,
            lat: Some(lat),
            lon: Some(lon),
            pollutants: Vec::new(),
            models: Vec::new(),
            snapshot: String::new(),
            data_time: None,
            latest: None,
        };
        let list = [s("berlin", 52.52, 13.40), s("munich", 48.14, 11.58)];
        let (id, km) = nearest(&list, 52.0, 13.0).unwrap();
        assert_eq!(id, "berlin");
        assert!((50.0..70.0).contains(&km), "{km}");
        assert_eq!(nearest(&[], 0.0, 0.0), None);
    }
}
