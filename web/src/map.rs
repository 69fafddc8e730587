//! The station map: every station with coordinates drawn as SVG from its latitude and
//! longitude (an equirectangular projection scaled by the cosine of the middle
//! latitude), coloured by the AQI category of its latest measurement when that is recent
//! (grey otherwise). Each dot is a link; the map is one tab stop (the selected station's
//! dot), and the arrow keys move between dots ([`towards`]). Stations without
//! coordinates are listed under the map.

use aqcast_core::aqi::Palette;
use aqcast_core::published::{Basemap, Place, Station};
use leptos::prelude::*;

use crate::colours;

/// How the map turns latitude and longitude into the box's x and y: an equirectangular
/// projection scaled by the cosine of the middle latitude, fitted to the stations and
/// centred.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    lat1: f64,
    lon0: f64,
    k: f64,
    scale: f64,
    ox: f64,
    oy: f64,
}

impl Projection {
    /// The projection that fits every station with coordinates in a `w`×`h` box with a
    /// margin; none when no station has coordinates.
    pub fn fit(stations: &[Station], w: f64, h: f64, margin: f64) -> Option<Projection> {
        let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lat, lon) in located(stations).map(|(_, a, b)| (a, b)) {
            lat0 = lat0.min(lat);
            lat1 = lat1.max(lat);
            lon0 = lon0.min(lon);
            lon1 = lon1.max(lon);
        }
        if lat0 > lat1 {
            return None;
        }
        let k = ((lat0 + lat1) / 2.0).to_radians().cos().max(0.1);
        // At least half a degree each way (a single station, or a few at one place, get a
        // map of their surroundings, not of a point).
        let (mid_lat, mid_lon) = ((lat0 + lat1) / 2.0, (lon0 + lon1) / 2.0);
        let (lat0, lat1) = (lat0.min(mid_lat - 0.25), lat1.max(mid_lat + 0.25));
        let (lon0, lon1) = (lon0.min(mid_lon - 0.25 / k), lon1.max(mid_lon + 0.25 / k));
        let span_x = (lon1 - lon0) * k;
        let span_y = lat1 - lat0;
        let scale = ((w - 2.0 * margin) / span_x).min((h - 2.0 * margin) / span_y);
        Some(Projection {
            lat1,
            lon0,
            k,
            scale,
            // Centred in the box.
            ox: (w - span_x * scale) / 2.0,
            oy: (h - span_y * scale) / 2.0,
        })
    }

    /// Where (`lat`, `lon`) goes: (x, y).
    pub fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            self.ox + (lon - self.lon0) * self.k * self.scale,
            self.oy + (self.lat1 - lat) * self.scale,
        )
    }
}

/// The stations with coordinates: (index, latitude, longitude).
fn located(stations: &[Station]) -> impl Iterator<Item = (usize, f64, f64)> + '_ {
    stations
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match (s.lat, s.lon) {
            (Some(lat), Some(lon)) if lat.is_finite() && lon.is_finite() => Some((i, lat, lon)),
            _ => None,
        })
}

/// Where each station with coordinates goes in a `w`×`h` box with a margin: (index into
/// `stations`, x, y).
pub fn project(stations: &[Station], w: f64, h: f64, margin: f64) -> Vec<(usize, f64, f64)> {
    let Some(p) = Projection::fit(stations, w, h, margin) else {
        return Vec::new();
    };
    located(stations)
        .map(|(i, lat, lon)| {
            let (x, y) = p.xy(lat, lon);
            (i, x, y)
        })
        .collect()
}

/// How far apart two dots' centres must be for each to stay a target a finger can hit:
/// 24 px, so that a 24 px circle around each touches no other (WCAG 2.2's target spacing).
pub const APART: f64 = 24.0;

/// The most dots [`spread`] moves apart (its rounds cost the square of their number).
pub const SPREAD_MAX: usize = 400;

/// Dots moved apart until no two are closer than [`APART`] (each pair that is pushed
/// apart by half the shortfall each, some rounds), staying in the `w`×`h` box: a dot a few
/// pixels from where it is, rather than one hidden under another.
pub fn spread(mut dots: Vec<(usize, f64, f64)>, w: f64, h: f64) -> Vec<(usize, f64, f64)> {
    // Pairwise, so for a region's stations, not a continent's (which would need the map
    // to cluster; see the scale issue).
    if dots.len() > SPREAD_MAX {
        return dots;
    }
    let half = APART / 2.0;
    for _ in 0..60 {
        let mut moved = false;
        for a in 0..dots.len() {
            for b in a + 1..dots.len() {
                let (dx, dy) = (dots[b].1 - dots[a].1, dots[b].2 - dots[a].2);
                let d = dx.hypot(dy);
                if d >= APART - 1e-9 {
                    continue;
                }
                // Two at one place part along a fixed slant.
                let (ux, uy) = if d < 1e-6 {
                    (0.8, 0.6)
                } else {
                    (dx / d, dy / d)
                };
                let push = (APART - d) / 2.0 + 1e-6;
                dots[a].1 -= ux * push;
                dots[a].2 -= uy * push;
                dots[b].1 += ux * push;
                dots[b].2 += uy * push;
                moved = true;
            }
        }
        for d in &mut dots {
            d.1 = d.1.clamp(half, w - half);
            d.2 = d.2.clamp(half, h - half);
        }
        if !moved {
            break;
        }
    }
    dots
}

/// The basemap's lines as SVG path data in the box of `p`.
pub fn path(lines: &[Vec<[f64; 2]>], p: &Projection) -> String {
    let mut d = String::new();
    for line in lines {
        for (i, pt) in line.iter().enumerate() {
            let (x, y) = p.xy(pt[1], pt[0]);
            d.push_str(if i == 0 { "M" } else { "L" });
            d.push_str(&crate::words::fixed(x, 1));
            d.push(' ');
            d.push_str(&crate::words::fixed(y, 1));
        }
    }
    d
}

/// The places to name on the map: the most populous first (the list's order), inside the
/// `w`×`h` box, none closer to another than a label's room: (name, x, y).
pub fn labels(places: &[Place], p: &Projection, w: f64, h: f64) -> Vec<(String, f64, f64)> {
    let mut out: Vec<(String, f64, f64)> = Vec::new();
    for place in places {
        let (x, y) = p.xy(place.lat, place.lon);
        if !(8.0..w - 8.0).contains(&x) || !(12.0..h - 4.0).contains(&y) {
            continue;
        }
        if out
            .iter()
            .any(|(_, a, b)| (a - x).abs() < 70.0 && (b - y).abs() < 16.0)
        {
            continue;
        }
        out.push((place.name.clone(), x, y));
        if out.len() == 8 {
            break;
        }
    }
    out
}

/// The dot to move to from dot `from` (an index into `dots`) for an arrow key pointing
/// (`dx`, `dy`) (screen axes): the nearest dot within 60° of that direction, a dot off
/// the line counting as farther.
pub fn towards(dots: &[(usize, f64, f64)], from: usize, dx: f64, dy: f64) -> Option<usize> {
    let &(_, x0, y0) = dots.get(from)?;
    dots.iter()
        .enumerate()
        .filter(|(i, _)| *i != from)
        .filter_map(|(i, &(_, x, y))| {
            let (ex, ey) = (x - x0, y - y0);
            let along = ex * dx + ey * dy;
            let across = (ex * dy - ey * dx).abs();
            // Within 60° of the direction: across ≤ along · tan 60°.
            (along > 0.0 && across <= along * 1.733).then_some((i, along + 2.0 * across))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Moves the keyboard focus to the map's dot `i`.
fn focus_dot(i: usize) {
    use wasm_bindgen::JsCast;
    if let Some(e) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("dot-{i}")))
        .and_then(|e| e.dyn_into::<web_sys::SvgElement>().ok())
    {
        let _ = e.focus();
    }
}

/// The map of `stations` over `basemap` (coasts, borders, the largest of `places`),
/// `selected` ringed.
pub fn map(
    stations: &[Station],
    places: &[Place],
    basemap: Option<&Basemap>,
    selected: Option<&str>,
    palette: Palette,
) -> impl IntoView {
    let (w, h) = (320.0, 380.0);
    let dots = spread(project(stations, w, h, 14.0), w, h);
    let Some(proj) = Projection::fit(stations, w, h, 14.0) else {
        return view! { <p class="muted">"No station has coordinates to draw a map with."</p> }
            .into_any();
    };
    if dots.is_empty() {
        return view! { <p class="muted">"No station has coordinates to draw a map with."</p> }
            .into_any();
    }
    let shown = dots.len();
    let now = crate::screens::now_seconds() as i64;
    // The one tab stop: the selected station's dot, else the first.
    let stop = dots
        .iter()
        .position(|d| selected == Some(stations[d.0].id.as_str()))
        .unwrap_or(0);
    let positions = std::sync::Arc::new(dots.clone());
    let items = dots
        .into_iter()
        .enumerate()
        .map(|(k, (i, x, y))| {
            let s = &stations[i];
            // The colour, what it says, and the category's number (1 best to 6) written in
            // the dot, so that colour is never alone in saying it.
            let (fill, rating, number) = match &s.latest {
                // An old rating is not today's air: grey, and said so.
                _ if !s.is_recent(now) => ("#BBBBBB", "no recent measurement".to_string(), None),
                Some(l) => {
                    let name = aqcast_core::aqi::categories(l.scale)
                        .get(usize::from(l.category))
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    let fill = colours::category(l.scale, l.category, palette);
                    (fill, name, Some((l.category + 1).to_string()))
                }
                None if s.models.is_empty() => ("#BBBBBB", "not forecast".to_string(), None),
                None => ("#BBBBBB", "not rated".to_string(), None),
            };
            let is_selected = selected == Some(s.id.as_str());
            let label = format!("{}: {rating}", crate::picker::place(s));
            let number = number.map(|n| {
                view! {
                    <text class="dot-number" x=x y=y + 3.0 fill=colours::text_on(fill) aria-hidden="true">{n}</text>
                }
            });
            // `a` and `title` would be made HTML elements here, so each dot is a focusable
            // circle with the link's role and keys.
            let (id, key_id) = (s.id.clone(), s.id.clone());
            let positions = positions.clone();
            view! {
                <circle id=format!("dot-{k}") cx=x cy=y r=if is_selected { 9.5 } else { 7.5 } fill=fill
                    class=if is_selected { "dot selected" } else { "dot" }
                    tabindex=if k == stop { "0" } else { "-1" } role="link" aria-label=label
                    aria-current=is_selected.then_some("true")
                    on:click=move |_| crate::app::go_to(&id)
                    on:keydown=move |ev| {
                        let dir = match ev.key().as_str() {
                            "Enter" | " " => {
                                ev.prevent_default();
                                crate::app::go_to(&key_id);
                                return;
                            }
                            "ArrowLeft" => (-1.0, 0.0),
                            "ArrowRight" => (1.0, 0.0),
                            "ArrowUp" => (0.0, -1.0),
                            "ArrowDown" => (0.0, 1.0),
                            _ => return,
                        };
                        ev.prevent_default();
                        if let Some(next) = towards(&positions, k, dir.0, dir.1) {
                            focus_dot(next);
                        }
                    }/>
                {number}
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
    // What is under the stations: drawn for the eye only (the stations carry the words).
    let under = basemap.map(|b| {
        let named = labels(places, &proj, w, h)
            .into_iter()
            .map(|(name, x, y)| {
                view! {
                    <circle class="town" cx=x cy=y r="2"/>
                    <text class="town-name" x=x + 4.0 y=y - 3.0>{name}</text>
                }
            })
            .collect_view();
        view! {
            <g class="basemap" aria-hidden="true">
                <path class="coast" d=path(&b.coasts, &proj)/>
                <path class="border" d=path(&b.borders, &proj)/>
                {named}
            </g>
        }
    });
    view! {
        <svg class="map" viewBox=format!("0 0 {w} {h}") role="group"
            aria-label=format!("Map of {shown} stations, coloured by their recent air quality; arrow keys move between stations, Enter chooses one")>
            {under}
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
            near: None,
        }
    }

    #[test]
    fn arrow_keys_move_to_the_nearest_dot_that_way() {
        // A cross: centre 0, east 1, west 2, north 3 (up the screen), far north-east 4.
        let dots = [
            (0, 100.0, 100.0),
            (1, 140.0, 102.0),
            (2, 60.0, 100.0),
            (3, 100.0, 50.0),
            (4, 200.0, 0.0),
        ];
        assert_eq!(towards(&dots, 0, 1.0, 0.0), Some(1));
        assert_eq!(towards(&dots, 0, -1.0, 0.0), Some(2));
        assert_eq!(towards(&dots, 0, 0.0, -1.0), Some(3));
        assert_eq!(towards(&dots, 0, 0.0, 1.0), None, "nothing below");
        assert_eq!(
            towards(&dots, 3, 1.0, 0.0),
            Some(1),
            "off the line counts as farther"
        );
        assert_eq!(towards(&dots, 1, 1.0, -1.0), Some(4));
        assert_eq!(towards(&dots, 9, 1.0, 0.0), None);
    }

    #[test]
    fn one_station_gets_a_map_of_its_surroundings() {
        let s = [station("alone", Some(52.5), Some(13.4))];
        let p = Projection::fit(&s, 320.0, 380.0, 14.0).unwrap();
        let (x, y) = p.xy(52.5, 13.4);
        assert!(
            (x - 160.0).abs() < 1e-6 && (y - 190.0).abs() < 1e-6,
            "{x} {y}"
        );
        // Half a degree spans the box, no more.
        let (x2, _) = p.xy(52.5, 13.4 + 0.25 / 52.5f64.to_radians().cos());
        assert!((x2 - x - 146.0).abs() < 1.0, "{x2}");
    }

    #[test]
    fn close_dots_are_spread_to_stay_tappable() {
        // Three at one place, two close, one alone.
        let dots = vec![
            (0, 100.0, 100.0),
            (1, 100.0, 100.0),
            (2, 100.0, 100.0),
            (3, 200.0, 200.0),
            (4, 205.0, 203.0),
            (5, 10.0, 370.0),
        ];
        let out = spread(dots, 320.0, 380.0);
        for a in 0..out.len() {
            for b in a + 1..out.len() {
                let d = (out[a].1 - out[b].1).hypot(out[a].2 - out[b].2);
                assert!(d >= APART - 0.01, "{:?} {:?}: {d}", out[a], out[b]);
            }
            assert!((12.0..=308.0).contains(&out[a].1) && (12.0..=368.0).contains(&out[a].2));
        }
        // Each stays near where it was.
        assert!((out[3].1 - 200.0).abs() < APART && (out[5].1 - 10.0).abs() <= 2.0);
        assert_eq!(
            out.iter().map(|d| d.0).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn town_names_keep_their_room_and_the_box() {
        let s = [
            station("a", Some(48.0), Some(8.0)),
            station("b", Some(54.0), Some(14.0)),
        ];
        let p = Projection::fit(&s, 320.0, 380.0, 14.0).unwrap();
        let place = |name: &str, lat, lon| Place {
            name: name.into(),
            country: "DE".into(),
            lat,
            lon,
        };
        let places = [
            place("Big", 51.0, 11.0),
            place("Beside", 51.01, 11.1), // too close to Big
            place("Far", 49.0, 9.0),
            place("Outside", 40.0, 11.0), // off the map
        ];
        let named: Vec<String> = labels(&places, &p, 320.0, 380.0)
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(named, ["Big", "Far"]);
        // The lines go through the same projection as the dots.
        let (x, y) = p.xy(48.0, 8.0);
        let d = path(&[vec![[8.0, 48.0], [14.0, 54.0]]], &p);
        assert!(
            d.starts_with(&format!(
                "M{} {}L",
                crate::words::fixed(x, 1),
                crate::words::fixed(y, 1)
            )),
            "{d}"
        );
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
