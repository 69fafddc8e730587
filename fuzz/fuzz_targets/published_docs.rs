//! Untrusted bytes into the readers of the published documents, as the edge worker and the
//! dashboard fetch them (the first byte picks the document: station list, snapshot,
//! registry, basemap, station summary, published forecast; the rest is its JSON): each
//! returns a document or an error, never panics;
//! what reads back is used as they use it (a snapshot's series and measurements, a
//! registry's versions and stages) and written out again to the same document.
#![no_main]

use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::published::{layout, Basemap, Registry, Snapshot, Stage, Stations, Summary};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, json)) = data.split_first() else {
        return;
    };
    match kind % 6 {
        0 => {
            if let Ok(s) = Stations::from_json(json) {
                for st in &s.stations {
                    assert!(s.get(&st.id).is_some());
                    let _ = layout::is_published(&st.snapshot);
                }
                assert_eq!(
                    Stations::from_json(&s.to_json())
                        .ok()
                        .map(|t| t.stations.len()),
                    Some(s.stations.len())
                );
            }
        }
        1 => {
            if let Ok(s) = Snapshot::from_json(json) {
                // What is read is written back and read again the same.
                assert_eq!(Snapshot::from_json(&s.to_json()).ok().as_ref(), Some(&s));
                let series = s.series();
                let n: usize = series.iter().map(|x| x.times.len()).sum();
                assert_eq!(n, s.observations.len());
                for p in [
                    Pollutant::No2,
                    Pollutant::Pm10,
                    Pollutant::Pm25,
                    Pollutant::O3,
                ] {
                    let m = s.measured(p, Unit::UgM3);
                    assert!(m.windows(2).all(|w| w[0].0 <= w[1].0));
                }
            }
        }
        3 => {
            if let Ok(b) = Basemap::from_json(json) {
                // Drawn point by point, as the dashboard's map does.
                let n: usize = b.coasts.iter().chain(&b.borders).map(Vec::len).sum();
                let _ = b
                    .coasts
                    .iter()
                    .chain(&b.borders)
                    .flatten()
                    .fold(0.0, |a, p| a + p[0] - p[1]);
                assert_eq!(
                    Basemap::from_json(&b.to_json()).ok().as_ref(),
                    Some(&b),
                    "{n}"
                );
            }
        }
        4 => {
            if let Ok(s) = Summary::from_json(json) {
                for p in &s.pollutants {
                    let _ = p.variable.parse::<Pollutant>();
                    let _: u32 = p
                        .months
                        .iter()
                        .map(|m| m.over.saturating_add(m.days) / 2)
                        .fold(0, u32::saturating_add);
                }
                assert_eq!(Summary::from_json(&s.to_json()).ok().as_ref(), Some(&s));
            }
        }
        5 => {
            // A published forecast, as the worker checks it and the page reads it: its
            // head, the forecast, and the page's days from it in three time zones.
            let head = aqcast_core::published::forecast::Head::from_json(json);
            let fc = serde_json::from_slice::<aqcast_core::forecast::Forecast>(json);
            if let Ok(f) = &fc {
                for offset in [0, 3600, -36_000] {
                    let _ = aqcast_core::daily::days(f, offset);
                }
            }
            if let (Ok(h), Ok(f)) = (head, fc) {
                let made = aqcast_core::published::forecast::Made {
                    station: &h.station,
                    model: &h.model,
                    version: h.version,
                    sha256: &h.sha256,
                    snapshot_start: h.snapshot_start,
                    snapshot_data_time: h.snapshot_data_time,
                    generated: "2026-12-08T00:00:00Z",
                };
                // Written again, it reads back the same.
                let again = aqcast_core::published::forecast::answer(&f, &made).unwrap();
                assert_eq!(
                    aqcast_core::published::forecast::Head::from_json(&again).ok(),
                    Some(h)
                );
                assert_eq!(
                    serde_json::from_slice::<aqcast_core::forecast::Forecast>(&again).ok(),
                    Some(f)
                );
            }
        }
        _ => {
            if let Ok(r) = Registry::from_json(json) {
                let _ = r.latest(Some(Stage::Production));
                let _ = r.latest(None);
                for sel in ["production", "staging", "latest", "1", "v2", "x"] {
                    let _ = r.resolve(sel);
                }
                if r.validate().is_ok() {
                    assert!(Registry::from_json(&r.to_json()).is_ok());
                }
            }
        }
    }
});
