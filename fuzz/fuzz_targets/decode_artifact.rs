//! Untrusted bytes into the `.aqm` decoder: it must return a model or an error, never
//! panic, loop or allocate beyond the input; whatever decodes must compile, predict and
//! explain without panicking. The payload checksum is re-signed so mutations reach the
//! parser behind it.
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
        for p in &ps {
            let _ = p.predict_row(&row);
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
