//! Shared helpers for the cross-crate tests: loading the committed fixtures.

use std::io::Read;
use std::path::PathBuf;

use aqcast_core::{import, Model};

/// The folder of model fixtures (see `tests/fixtures/make_fixtures.py`).
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/models")
}

/// Reads a fixture, decompressing `.gz`.
pub fn read(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("valid gzip fixture");
        out
    } else {
        raw
    }
}

/// A numeric CSV fixture: `(header, row-major values, rows)`.
pub fn csv(name: &str, has_header: bool) -> (Vec<String>, Vec<f64>, usize) {
    let text = String::from_utf8(read(name)).expect("utf-8");
    let mut lines = text.lines();
    let header = if has_header {
        lines
            .next()
            .map(|h| h.split(',').map(String::from).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut values = Vec::new();
    let mut rows = 0;
    for l in lines.filter(|l| !l.is_empty()) {
        values.extend(l.split(',').map(|c| c.parse::<f64>().expect("number")));
        rows += 1;
    }
    (header, values, rows)
}

/// Loads a model fixture of any kind.
pub fn model(name: &str) -> Model {
    import::load_any(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `|a − b| ≤ 1e-5·|b|`, or `≤ 1e-6` near zero: the parity tolerance of SPEC §5.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * b.abs() || (a - b).abs() <= 1e-6
}
