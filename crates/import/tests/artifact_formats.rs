//! An imported LightGBM model through every artifact format this build writes: format 2
//! files still read, format 3 is written and smaller, a newer format is refused.

use aqcast_forecast::{Error, Model};

fn imported() -> Model {
    let text = include_bytes!("../../../tests/fixtures/models/lightgbm_l2.txt");
    aqcast_import::load_any(text).expect("the fixture imports")
}

#[test]
fn format_2_files_still_read_and_format_3_is_written() {
    let m = imported();
    let v2 = m.encode_format_2().expect("encodes");
    assert_eq!(Model::decode(&v2).expect("a format 2 file reads"), m);
    let v3 = m.encode().expect("encodes");
    assert_eq!(u16::from_le_bytes([v3[8], v3[9]]), 3);
    assert_eq!(Model::decode(&v3).expect("reads"), m);
    // A LightGBM model's f64 leaves fit no grid, yet its bin-bound thresholds and
    // integer covers still shrink.
    assert!(v3.len() < v2.len(), "{} vs {}", v3.len(), v2.len());
    let mut newer = v3.clone();
    newer[8] = 4;
    assert!(matches!(
        Model::decode(&newer),
        Err(Error::UnsupportedVersion { found: 4, .. })
    ));
}
