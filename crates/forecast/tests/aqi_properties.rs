//! The AQI over the whole f64 range, for every pollutant, averaging period and table: no
//! panic, never a smaller index for more pollution, and beyond the top of a table
//! "Hazardous", beyond the index, never wrapped around to "Good".

use aqcast_forecast::aqi::epa::{compute, Averaging, Table};
use aqcast_forecast::aqi::Category;
use aqcast_forecast::pollutant::Pollutant;
use proptest::prelude::*;

const TABLES: [Table; 3] = [Table::Y1999, Table::Y2012, Table::Y2024];
const AVERAGING: [Averaging; 3] = [Averaging::Hour1, Averaging::Hour8, Averaging::Hour24];

/// Every (pollutant, averaging, table) that has breakpoints.
fn defined() -> Vec<(Pollutant, Averaging, Table)> {
    let mut v = Vec::new();
    for p in Pollutant::ALL {
        for a in AVERAGING {
            for t in TABLES {
                if compute(p, 0.0, p.canonical_unit(), Some(a), t).is_ok()
                    || compute(p, 1.0, p.canonical_unit(), Some(a), t).is_ok()
                {
                    v.push((p, a, t));
                }
            }
        }
    }
    v
}

#[test]
fn huge_concentrations_are_hazardous_beyond_the_index() {
    let all = defined();
    assert!(all.len() >= 15, "{all:?}");
    for (p, a, t) in all {
        // Beyond the table's top: Hazardous, marked beyond the index.
        let mut beyond = 0;
        for v in [1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0] {
            if let Ok(r) = compute(p, v, p.canonical_unit(), Some(a), t) {
                if r.beyond_index {
                    beyond += 1;
                    assert_eq!(r.category, Category::Hazardous, "{p:?} {a:?} {t:?} {v}");
                    assert!(r.aqi > 500, "{p:?} {a:?} {t:?} {v}: {r:?}");
                }
            }
        }
        // Far beyond it (a wrong unit, a broken sensor): refused, never a wrapped or
        // saturated index.
        for v in [1e6, 1e12, 1e17, 1e100, f64::MAX] {
            match compute(p, v, p.canonical_unit(), Some(a), t) {
                Ok(r) => panic!("{p:?} {a:?} {t:?} {v}: {r:?}"),
                Err(e) => {
                    let e = e.to_string();
                    assert!(
                        e.contains("far beyond the index") || (beyond == 0 && e.contains("use")),
                        "{p:?} {a:?} {t:?} {v}: {e}"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn more_pollution_never_lowers_the_index(
        which in any::<prop::sample::Index>(),
        bits_a in any::<u64>(),
        bits_b in any::<u64>(),
    ) {
        let all = defined();
        let (p, a, t) = all[which.index(all.len())];
        // Uniform over the bit patterns of non-negative finite doubles: every magnitude.
        let v = |bits: u64| f64::from_bits(bits & 0x7fef_ffff_ffff_ffff);
        let (x, y) = (v(bits_a).min(v(bits_b)), v(bits_a).max(v(bits_b)));
        let (rx, ry) = (
            compute(p, x, p.canonical_unit(), Some(a), t),
            compute(p, y, p.canonical_unit(), Some(a), t),
        );
        // (Some tables refuse values above them by design, as EPA's 8-hour ozone does.)
        if let (Ok(rx), Ok(ry)) = (&rx, &ry) {
            prop_assert!(rx.aqi <= ry.aqi, "{:?} {:?} {:?}: {} → {}, {} → {}", p, a, t, x, rx.aqi, y, ry.aqi);
            prop_assert!(rx.category <= ry.category);
        }
    }
}
