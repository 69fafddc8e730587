//! The station map: every station with coordinates drawn as SVG from its latitude and
//! longitude (an equirectangular projection scaled by the cosine of the middle
//! latitude), coloured by the AQI category of its latest measurement when that is recent (grey otherwise). Each dot is a link,
//! so the keyboard reaches it; stations without coordinates are listed under the map.

use aqcast_core::aqi::Palette;
use aqcast_core::published::Station;
use leptos::prelude::*;

use crate::colours;

/// Where each station with coordinates goes in a `w`×`h` box with a margin: (index into
/// `stations`, x, y).
pub fn project(stations: &[Station], w: f64, h: f64, margin: f64) -> Vec<(usize, f64, f64)> {
    let located: Vec<(usize, f64, f64)> = stations
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match (s.lat, s.lon) {
            (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => Some((i, lat, lon)),
            _ => None,
        })
        .collect();
    if located.is_empty() {
        return Vec::new();
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(_, lat, lon) in &located {
        lat0 = lat0.min(lat);
        lat1 = lat1.max(lat);
        lon0 = lon0.min(lon);
        lon1 = lon1.max(lon);
    }
    let k = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.1);
    let span_x = ((lon1 - lon0) * k).max(1e-6);
    let span_y = (lat1 - lat0).max(1e-6);
    let scale = ((w - 2.0 * margin) / span_x).min((h - 2.0 * margin) / span_y);
    // Centred in the box.
    let ox = (w - span_x * scale) / 2.0;
    let oy = (h - span_y * scale) / 2.0;
    located
        .into_iter()
        .map(|(i, lat, lon)| (i, ox + (lon - lon0) * k * scale, oy + (lat1 - lat) * scale))
        .collect()
}

/// The map of `stations`, `selected` ringed.
pub fn map(stations: &[Station], selected: Option<&str>, palette: Palette) -> impl IntoView {
    let (w, h) = (320.0, 380.0);
    let dots = project(stations, w, h, 14.0);
    if dots.is_empty() {
        return view! { <p class="muted">"No station has coordinates to draw a map with."</p> }
            .into_any();
    }
    let shown = dots.len();
    let now = crate::screens::now_seconds() as i64;
    let items = dots
        .into_iter()
        .map(|(i, x, y)| {
            let s = &stations[i];
            let (fill, rating) = match &s.latest {
                // An old rating is not today's air: grey, and said so.
                _ if !s.is_recent(now) => ("#BBBBBB", "no recent measurement".to_string()),
                Some(l) => {
                    let name = aqcast_core::aqi::categories(l.scale)
                        .get(usize::from(l.category))
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    (colours::category(l.scale, l.category, palette), name)
                }
                None if s.models.is_empty() => ("#BBBBBB", "not forecast".to_string()),
                None => ("#BBBBBB", "not rated".to_string()),
            };
            let is_selected = selected == Some(s.id.as_str());
            let label = format!("{}: {rating}", s.name.clone().unwrap_or_else(|| s.id.clone()));
            // `a` and `title` would be made HTML elements here, so each dot is a focusable
            // circle with the link's role and keys.
            let (id, key_id) = (s.id.clone(), s.id.clone());
            view! {
                <circle cx=x cy=y r=if is_selected { 9.0 } else { 6.5 } fill=fill
                    class=if is_selected { "dot selected" } else { "dot" }
                    tabindex="0" role="link" aria-label=label aria-current=is_selected.then_some("true")
                    on:click=move |_| crate::app::go_to(&id)
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" || ev.key() == " " {
                            ev.prevent_default();
                            crate::app::go_to(&key_id);
                        }
                    }/>
            }
        })
        .collect_view();
    // The legend of the scale the stations are rated on.
    let legend = stations.iter().find_map(|s| s.latest.as_ref()).map(|l| {
        let scale = l.scale;
        aqcast_core::aqi::categories(scale)
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let fill = colours::category(scale, i as u8, palette);
                view! { <li><span class="chip" style=format!("background:{fill}")></span>{c.name}</li> }
            })
            .collect_view()
    });
    let unrated = stations
        .iter()
        .any(|s| s.latest.is_none() || !s.is_recent(now))
        .then(|| {
            view! { <li><span class="chip" style="background:#BBBBBB"></span>"no recent measurement, or not rated"</li> }
        });
    view! {
        <svg class="map" viewBox=format!("0 0 {w} {h}") role="group"
            aria-label=format!("Map of {shown} stations, coloured by their recent air quality")>
            {items}
        </svg>
        <ul class="map-legend small">{legend}{unrated}</ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(id: &str, lat: Option<f64>, lon: Option<f64>) -> Station {
        Station {
            id: id.into(),
            name: None,
            lat,
            lon,
            pollutants: Vec::new(),
            models: Vec::new(),
            snapshot: String::new(),
            data_time: None,
            step: None,
            latest: None,
            source: None,
        }
    }

    #[test]
    fn north_is_up_east_is_right_and_everything_fits() {
        let s = [
            station("north", Some(54.0), Some(10.0)),
            station("south", Some(48.0), Some(10.0)),
            station("east", Some(51.0), Some(14.0)),
            station("nowhere", None, None),
        ];
        let p = project(&s, 320.0, 380.0, 10.0);
        assert_eq!(p.len(), 3);
        let at = |i: usize| p.iter().find(|d| d.0 == i).map(|d| (d.1, d.2)).unwrap();
        assert!(at(0).1 < at(1).1, "north above south");
        assert!(at(2).0 > at(0).0, "east right of west");
        for (_, x, y) in &p {
            assert!((10.0..=310.0).contains(x) && (10.0..=370.0).contains(y));
        }
    }
}
