//! Untrusted bytes into every model reader (format detection, LightGBM text, XGBoost JSON,
//! aqcast JSON and binary): a model or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = aqcast_core::import::load_any(data) {
        let row = vec![f64::NAN; m.features.len()];
        if let Ok(ps) = m.predictors() {
            let _ = ps[0].predict_row(&row);
        }
    }
});
