//! Reference histograms in the artifact: written, read back equal, absent from models made
//! before they existed (which still load), refused when inconsistent.

use aqcast_core::drift::Reference;
use aqcast_core::{Model, Parts};

fn model() -> Model {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/models/lightgbm_l2.txt"
    ))
    .expect("fixture");
    aqcast_core::import::load_any(&text).expect("imports")
}

#[test]
fn reference_histograms_round_trip_and_older_models_still_load() {
    let mut m = model();
    // A model without histograms (every model before them) reads as before.
    let old = m.encode().unwrap();
    assert_eq!(Model::decode(&old).unwrap().reference, None);
    assert_eq!(Parts::decode(&old).unwrap().reference().unwrap(), None);
    let columns: Vec<Vec<f64>> = (0..m.features.len())
        .map(|j| (0..500).map(|i| ((i * (j + 3)) % 97) as f64).collect())
        .collect();
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    m.reference = Some(Reference::fit(&m.features, &refs));
    let bytes = m.encode().unwrap();
    let back = Model::decode(&bytes).unwrap();
    assert_eq!(back.reference, m.reference);
    assert_eq!(
        Parts::decode(&bytes).unwrap().reference().unwrap(),
        m.reference
    );
    // The JSON form carries them too.
    let json = m.to_json().unwrap();
    assert_eq!(Model::from_json(&json).unwrap().reference, m.reference);
}

#[test]
fn inconsistent_histograms_are_refused_clearly() {
    let mut m = model();
    let columns: Vec<Vec<f64>> = (0..m.features.len()).map(|_| vec![1.0, 2.0, 3.0]).collect();
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let mut r = Reference::fit(&m.features, &refs);
    r.features[0].fractions.pop();
    m.reference = Some(r);
    // Never written…
    let e = m.encode().unwrap_err().to_string();
    assert!(e.contains("reference histogram"), "{e}");
    // …and refused when read (a JSON model edited by hand).
    let json = serde_json::to_string(&m).unwrap();
    let e = Model::from_json(&json).unwrap_err().to_string();
    assert!(e.contains("reference histogram"), "{e}");
}
