//! Properties of the time arithmetic and the feature pipeline, on random inputs.

use aqcast_forecast::pipeline::{Series, Spec};
use aqcast_forecast::time;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Formatting then parsing gives the same instant; the calendar fields agree with
    /// counting days.
    #[test]
    fn timestamps_round_trip(t in -62_135_596_800i64..253_402_300_799) {
        let s = time::format_datetime(t);
        prop_assert_eq!(time::parse_datetime(&s), Some(t));
        let c = time::civil(t);
        prop_assert_eq!(time::days_from_civil(c.year, c.month, c.day), t.div_euclid(86_400));
        prop_assert_eq!(i64::from(c.weekday), (t.div_euclid(86_400) + 3).rem_euclid(7));
    }

    /// Parsing never panics on any text.
    #[test]
    fn parsing_any_text_is_safe(s in ".{0,40}") {
        let _ = time::parse_datetime(&s);
    }

    /// Shifting every observation by whole days shifts the table and changes no feature
    /// but the calendar ones (which are excluded here); fills never fill more than their
    /// limit; interpolated values lie between their neighbours.
    #[test]
    fn features_are_shift_invariant_and_steps_keep_their_promises(
        values in prop::collection::vec(prop::option::weighted(0.7, 0.0f64..500.0), 30..200),
        days in -400i64..400,
        limit in 1u32..5,
    ) {
        let spec: Spec = serde_json::from_str(&format!(r#"{{
            "grid": {{"step": 3600}},
            "inputs": [{{"variable": "pm2.5", "name": "raw"}}, {{"variable": "pm2.5", "name": "filled"}}, {{"variable": "pm2.5", "name": "interp"}}],
            "steps": [
              {{"kind": "fill", "method": "forward", "limit": {limit}, "columns": ["filled"]}},
              {{"kind": "interpolate", "limit": {limit}, "columns": ["interp"]}}
            ],
            "features": [
              {{"kind": "value", "name": "raw", "of": "raw"}},
              {{"kind": "value", "name": "filled", "of": "filled"}},
              {{"kind": "value", "name": "interp", "of": "interp"}},
              {{"kind": "lag", "name": "lag3", "of": "raw", "lag": 3}},
              {{"kind": "rolling", "name": "mean6", "of": "raw", "window": 6, "min_count": 3, "stat": "mean"}}
            ]}}"#)).unwrap();
        let t0 = 1_000_000_800i64; // on the hour
        let series = |shift: i64| {
            let (mut times, mut vals) = (Vec::new(), Vec::new());
            for (i, v) in values.iter().enumerate() {
                times.push(t0 + shift + i as i64 * 3600);
                vals.push(v.unwrap_or(f64::NAN));
            }
            // Pin both ends so the grid spans all rows.
            if vals[0].is_nan() { vals[0] = 1.0; }
            let last = vals.len() - 1;
            if vals[last].is_nan() { vals[last] = 2.0; }
            vec![Series { variable: "pm2.5".into(), times, values: vals }]
        };
        let a = spec.fit(&series(0), None).unwrap().transform(&series(0), None).unwrap();
        let b = spec.fit(&series(days * 86_400), None).unwrap().transform(&series(days * 86_400), None).unwrap();
        prop_assert_eq!(a.times.len(), values.len());
        prop_assert_eq!(b.times[0] - a.times[0], days * 86_400);
        for (x, y) in a.features.iter().zip(&b.features) {
            let same = x.values.iter().zip(&y.values).all(|(p, q)| p.to_bits() == q.to_bits());
            prop_assert!(same, "{} changed under a shift", x.name);
        }
        let raw = &a.features[0].values;
        let filled = &a.features[1].values;
        let interp = &a.features[2].values;
        let mut run = 0u32;
        let mut last = f64::NAN;
        for i in 0..raw.len() {
            if raw[i].is_nan() {
                run += 1;
                if run <= limit {
                    prop_assert_eq!(filled[i].to_bits(), last.to_bits());
                } else {
                    prop_assert!(filled[i].is_nan());
                }
                if !interp[i].is_nan() {
                    let lo = raw[..i].iter().rev().find(|v| !v.is_nan()).copied().unwrap();
                    let hi = raw[i..].iter().find(|v| !v.is_nan()).copied().unwrap();
                    prop_assert!(interp[i] >= lo.min(hi) - 1e-9 && interp[i] <= lo.max(hi) + 1e-9);
                }
            } else {
                run = 0;
                last = raw[i];
                prop_assert_eq!(filled[i].to_bits(), raw[i].to_bits());
                prop_assert_eq!(interp[i].to_bits(), raw[i].to_bits());
            }
        }
    }
}
