//! Choosing a station: search by a place's name, the station's name or its id, "near
//! me", the map, and the stations the map cannot show. Every way of choosing goes
//! through the address (`#/station/<id>`). "Near me" takes the nearest station with a
//! recent measurement ([`Station::is_recent`]), unless asked to include the others, and
//! only when it is within [`FAR_KM`]: farther, it says how far and moves nowhere.

use std::sync::Arc;

use aqcast_core::aqi::Palette;
use aqcast_core::published::{geo, Basemap, Station, Stations};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::app::go_to;
use crate::{map, words};

/// How far the nearest station may be for "near me" to show it as the air where you are.
pub const FAR_KM: f64 = 25.0;

/// Search, near me, the map, and the stations the map cannot show.
#[component]
pub fn Picker(
    list: Arc<Stations>,
    /// The station on the page, which the map rings.
    selected: Signal<Option<String>>,
    palette: RwSignal<Palette>,
    /// The map under the stations, once (and if) it has loaded.
    basemap: Signal<Option<Arc<Basemap>>>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let locate_message = RwSignal::new(None::<String>);
    let include_stale = RwSignal::new(false);
    // Read at each use: the page may stay open for hours.
    let now = || crate::screens::now_seconds() as i64;
    let search_list = list.clone();
    let matches = Memo::new(move |_| {
        let q = lower(query.get().trim());
        if q.is_empty() {
            return Vec::new();
        }
        let stale = |s: &Station| {
            if s.is_recent(now()) {
                String::new()
            } else {
                " — no recent measurement".to_string()
            }
        };
        // Stations by id, name or the place they are named after; then places by name,
        // each with its nearest station.
        let stations = search_list
            .stations
            .iter()
            .filter(|s| {
                lower(&s.id).contains(&q)
                    || s.name.as_deref().is_some_and(|n| lower(n).contains(&q))
                    || s.near
                        .as_ref()
                        .is_some_and(|n| lower(&n.place).contains(&q))
            })
            .take(8)
            .map(|s| (s.id.clone(), format!("{}{}", label(s), stale(s))));
        let places = search_list
            .places
            .iter()
            .filter(|p| lower(&p.name).contains(&q))
            .take(4)
            .filter_map(|p| {
                let (id, km) = nearest(search_list.stations.iter(), p.lat, p.lon)?;
                let s = search_list.get(&id)?;
                Some((
                    id,
                    format!(
                        "{}: the nearest station is {} km away ({}){}",
                        p.name,
                        words::fixed(km, 0),
                        label(s),
                        stale(s)
                    ),
                ))
            });
        stations.chain(places).take(10).collect::<Vec<_>>()
    });
    // The station near me chose, so that its message goes when another is chosen; and
    // the nearest station when it was too far to be chosen.
    let located = RwSignal::new(None::<String>);
    let too_far = RwSignal::new(None::<(String, String)>);
    Effect::new(move |_| {
        if selected.get() != located.get_untracked() {
            locate_message.set(None);
            too_far.set(None);
        }
    });
    let near_list = list.clone();
    let near_me = move |_| {
        let Some(geo) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
            locate_message.set(Some("This browser cannot tell where you are.".into()));
            return;
        };
        locate_message.set(Some("Finding where you are…".into()));
        too_far.set(None);
        let list = near_list.clone();
        let all = include_stale.get_untracked();
        let ok = Closure::once_into_js(move |p: web_sys::Position| {
            let c = p.coords();
            let (lat, lon) = (c.latitude(), c.longitude());
            let now = now();
            let recent = nearest(list.stations.iter().filter(|s| s.is_recent(now)), lat, lon);
            let any = nearest(list.stations.iter(), lat, lon);
            let km = |d: f64| words::fixed(d, 0);
            let chosen = if all { any.clone() } else { recent.clone() };
            match (chosen, any) {
                // Too far to say anything of the air where you are: said, not shown.
                (Some((id, d)), _) if d > FAR_KM => {
                    let name = list.get(&id).map(label).unwrap_or_else(|| id.clone());
                    locate_message.set(Some(format!(
                        "The nearest station{} is {} km away ({name}): too far to tell what the air is like where you are.",
                        if all { "" } else { " with a recent measurement" },
                        km(d)
                    )));
                    too_far.set(Some((id, name)));
                }
                (Some((id, d)), Some((nid, nd))) => {
                    locate_message.set(Some(if nid == id {
                        format!("The nearest station is {} km away.", km(d))
                    } else {
                        format!(
                            "The nearest station with a recent measurement is {} km away (one {} km away has none).",
                            km(d),
                            km(nd)
                        )
                    }));
                    located.set(Some(id.clone()));
                    too_far.set(None);
                    go_to(&id);
                }
                (None, Some(_)) => locate_message.set(Some(
                    "No station has a recent measurement. Tick \"Include stations without recent measurements\" to see the nearest all the same."
                        .into(),
                )),
                _ => locate_message.set(Some("No station has coordinates.".into())),
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
        <label for="search" class="label">"Find a town or a station"</label>
        <input id="search" type="search" autocomplete="off" placeholder="e.g. Berlin"
            prop:value=move || query.get()
            on:input=move |ev| query.set(event_target_value(&ev))/>
        <ul class="results">
            {move || matches.get().into_iter().map(|(id, text)| view! {
                <li><a href=format!("#/station/{id}") on:click=move |_| query.set(String::new())>{text}</a></li>
            }).collect_view()}
        </ul>
        <p class="muted small" aria-live="polite">{move || {
            let q = query.get();
            (!q.trim().is_empty() && matches.with(Vec::is_empty)).then(|| format!(
                "No station or town matches \u{201c}{}\u{201d}. Try the name of a town or a station's code; towns more than {} km from every station are not listed.",
                q.trim(),
                geo::NEAR_KM
            ))
        }}</p>
        <button class="near" on:click=near_me>"Near me"</button>
        <label class="small include-stale">
            <input type="checkbox" prop:checked=move || include_stale.get()
                on:change=move |ev| include_stale.set(event_target_checked(&ev))/>
            " Include stations without recent measurements"
        </label>
        <p class="muted" aria-live="polite">{move || locate_message.get()}</p>
        {move || too_far.get().map(|(id, name)| view! {
            <p class="small"><a href=format!("#/station/{id}")>{format!("Show {name} all the same")}</a></p>
        })}
        {move || map::map(
            &map_list.stations,
            &map_list.places,
            basemap.get().as_deref(),
            selected.get().as_deref(),
            palette.get(),
        )}
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

/// How a station is called where it is shown: its name, else its id and where it is
/// ("DEUB038, 12 km W of Neumünster"), else its id.
pub fn place(s: &Station) -> String {
    match (&s.name, &s.near) {
        (Some(n), _) => n.clone(),
        (None, Some(near)) => format!("{}, {}", s.id, near.words()),
        (None, None) => s.id.clone(),
    }
}

/// A station in a list: its name with its id, else [`place`].
pub fn label(s: &Station) -> String {
    match &s.name {
        Some(n) => format!("{n} ({})", s.id),
        None => place(s),
    }
}

/// The nearest station with coordinates, and how far it is (km, great circle).
pub fn nearest<'a>(
    stations: impl Iterator<Item = &'a Station>,
    lat: f64,
    lon: f64,
) -> Option<(String, f64)> {
    stations
        .filter_map(|s| Some((s.id.clone(), geo::km(lat, lon, s.lat?, s.lon?))))
        .min_by(|a, b| a.1.total_cmp(&b.1))
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
            step: None,
            latest: None,
            source: None,
            near: None,
        };
        let list = [s("berlin", 52.52, 13.40), s("munich", 48.14, 11.58)];
        let (id, km) = nearest(list.iter(), 52.0, 13.0).unwrap();
        assert_eq!(id, "berlin");
        assert!((50.0..70.0).contains(&km), "{km}");
        assert_eq!(nearest([].iter(), 0.0, 0.0), None);
    }
}
