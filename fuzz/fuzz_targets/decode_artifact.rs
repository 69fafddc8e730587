//! Untrusted bytes into the `.aqm` decoder: it must return a model or an error, never
//! panic, loop or allocate beyond the input; whatever decodes must compile, predict and
//! explain without panicking, and predict a batch equal, bit for bit, to its rows one by
//! one. The payload checksum is re-signed so mutations reach the parser behind it.
#![no_main]

use aqcast_core::{shap, Model};
use libfuzzer_sys::fuzz_target;

/// Writes a valid checksum for the payload into the header, so that mutated bytes get past
/// the checksum and into the parser.
fn resign(bytes: &mut [u8]) {
    if bytes.len() >= aqcast_core::artifact::HEADER_LEN {
        let sum = aqcast_core::artifact::checksum(&bytes[aqcast_core::artifact::HEADER_LEN..]);
        bytes[24..56].copy_from_slice(&sum);
    }
}

fn exercise(m: &Model) {
    if let Ok(ps) = m.predictors() {
        let row = vec![0.5; m.features.len()];
        // A batch through the batch engines, with missing, infinite and extreme values:
        // 140 rows are full blocks and a partial one for every block size, and a tail
        // small enough to be walked for the 128-row block.
        let values = [0.5, f64::NAN, -1e300, 1e300, f64::INFINITY, -3.0, 0.0, 7.25];
        let nf = m.features.len();
        let batch: Vec<f64> = (0..140 * nf)
            .map(|i| values[(i * 7 + i / 5) % values.len()])
            .collect();
        for p in &ps {
            let _ = p.predict_row(&row);
            // The batch engines agree with the single-row walk.
            if let Ok(many) = p.predict(aqcast_core::Matrix::RowMajorF64(&batch)) {
                for (r, got) in many.iter().enumerate() {
                    let want = p.predict_row(&batch[r * nf..(r + 1) * nf]);
                    assert_eq!(want.ok().map(f64::to_bits), Some(got.to_bits()));
                }
            }
        }
        let _ = shap::explain(&m.heads[0].ensemble, &row);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Model::decode(data) {
        exercise(&m);
    }
    let mut signed = data.to_vec();
    resign(&mut signed);
    if let Ok(m) = Model::decode(&signed) {
        exercise(&m);
    }
});
