//! The gazetteer: every place of 50,000 people or more in GeoNames (geonames.org, CC BY
//! 4.0; sections of cities left out), built into the binary from `data/places.tsv`
//! (made by `scripts/make-places.mjs`).
//! `aqcast stations publish` names each station after its nearest place and lists the
//! places near stations, so that the dashboard can say "23 km SW of Kiel" instead of a
//! code and find stations by a place's name.

use std::sync::OnceLock;

use aqcast_core::published::{geo, Near, Place};

const TSV: &str = include_str!("../data/places.tsv");

/// Every place, most populous first.
fn all() -> &'static [Place] {
    static PLACES: OnceLock<Vec<Place>> = OnceLock::new();
    PLACES.get_or_init(|| {
        TSV.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split('\t');
                let (name, country) = (f.next()?, f.next()?);
                let lat: f64 = f.next()?.parse().ok()?;
                let lon: f64 = f.next()?.parse().ok()?;
                Some(Place {
                    name: name.to_string(),
                    country: country.to_string(),
                    lat,
                    lon,
                })
            })
            .collect()
    })
}

/// The places within [`geo::NEAR_KM`] of (`lat`, `lon`), with their distance: a cheap
/// box first (a degree of latitude is 111 km), the sphere after.
fn within(lat: f64, lon: f64) -> impl Iterator<Item = (usize, &'static Place, f64)> {
    let dlat = geo::NEAR_KM / 111.0;
    let dlon = dlat / lat.to_radians().cos().max(0.01);
    all()
        .iter()
        .enumerate()
        .filter(move |(_, p)| (p.lat - lat).abs() <= dlat && (p.lon - lon).abs() <= dlon)
        .map(move |(i, p)| (i, p, geo::km(p.lat, p.lon, lat, lon)))
        .filter(|(_, _, km)| *km <= geo::NEAR_KM)
}

/// The nearest place to a station at (`lat`, `lon`), if one is within [`geo::NEAR_KM`]
/// (of two as near, the more populous).
pub fn near(lat: f64, lon: f64) -> Option<Near> {
    if !(lat.is_finite() && lon.is_finite()) {
        return None;
    }
    let (p, km) = within(lat, lon).fold(None::<(&Place, f64)>, |best, (_, p, km)| match best {
        Some((_, b)) if b <= km => best,
        _ => Some((p, km)),
    })?;
    Some(Near {
        place: p.name.clone(),
        country: p.country.clone(),
        km: (km * 10.0).round() / 10.0,
        bearing: geo::compass(p.lat, p.lon, lat, lon).to_string(),
    })
}

/// The places within [`geo::NEAR_KM`] of any of `points` (latitude, longitude), most
/// populous first, each once.
pub fn around(points: &[(f64, f64)]) -> Vec<Place> {
    let mut hit = vec![false; all().len()];
    for &(lat, lon) in points
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
    {
        for (i, _, _) in within(lat, lon) {
            hit[i] = true;
        }
    }
    all()
        .iter()
        .zip(hit)
        .filter(|(_, h)| *h)
        .map(|(p, _)| p.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gazetteer_is_read_whole() {
        assert!(all().len() > 8_000, "{}", all().len());
        assert_eq!(all()[0].name, "Shanghai");
    }

    #[test]
    fn a_station_is_named_after_its_nearest_place() {
        // DEUB038 of the German set (54.073 N, 9.792 E): west of Neumünster.
        let n = near(54.073119, 9.791584).unwrap();
        assert_eq!(n.words(), "12 km W of Neumünster");
        assert_eq!(n.country, "DE");
        // Central Berlin is Berlin.
        assert_eq!(near(52.52, 13.40).unwrap().words(), "Berlin");
        // Mid-Atlantic: nowhere.
        assert_eq!(near(40.0, -40.0), None);
        assert_eq!(near(f64::NAN, 0.0), None);
    }

    #[test]
    fn the_places_near_stations_are_listed_once() {
        let p = around(&[(52.52, 13.40), (52.50, 13.45)]);
        assert_eq!(p.iter().filter(|p| p.name == "Berlin").count(), 1);
        assert!(p.iter().any(|p| p.name == "Potsdam"));
        assert!(p.iter().all(|p| p.country == "DE" || p.country == "PL"));
        assert!(around(&[]).is_empty());
    }
}
