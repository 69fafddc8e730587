//! Untrusted bytes into every model reader (format detection, LightGBM text, XGBoost JSON,
//! aqcast JSON and binary): a model or an error, never a panic. Whatever loads predicts a
//! 140-row batch (through the batch engines) equal, bit for bit, to its rows predicted one
//! by one.
#![no_main]

use aqcast_core::Matrix;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = aqcast_core::import::load_any(data) {
        let nf = m.features.len();
        let values = [
            f64::NAN,
            0.5,
            -1e300,
            1e300,
            f64::NEG_INFINITY,
            -3.0,
            0.0,
            7.25,
        ];
        let batch: Vec<f64> = (0..140 * nf)
            .map(|i| values[(i * 7 + i / 5) % values.len()])
            .collect();
        if let Ok(ps) = m.predictors() {
            let p = &ps[0];
            if let Ok(many) = p.predict(Matrix::RowMajorF64(&batch)) {
                for (r, got) in many.iter().enumerate() {
                    let want = p.predict_row(&batch[r * nf..(r + 1) * nf]);
                    assert_eq!(want.ok().map(f64::to_bits), Some(got.to_bits()));
                }
            }
        }
    }
});
