//! The binding tests shared by the Node and browser test binaries.

use aqcast_wasm::{Aqi, Model};
use aqcast_wasm_import::import_model;
use js_sys::{Float32Array, Float64Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

const LGB: &[u8] = include_bytes!("../../../tests/fixtures/models/lightgbm_l2.txt");
const XGB: &[u8] = include_bytes!("../../../tests/fixtures/models/xgboost_named.json");
const LGB_PRED: &str = include_str!("../../../tests/fixtures/models/lightgbm_l2_pred.csv");

/// The first two rows of the canonical test set (tests/fixtures/models/test_X_h1.csv.gz),
/// copied digit for digit as the fixture writes them (`%.17g`).
#[allow(clippy::excessive_precision)]
const ROWS: [[f64; 15]; 2] = [
    [
        0.0,
        2.0,
        1.0,
        4.5999999999999996,
        -2.4806214518938385,
        3.8738246233411369,
        4.9000000000000004,
        37.722499999999997,
        45.362499999999997,
        46.794999999999995,
        54.434999999999995,
        13.369999999999999,
        15.279999999999999,
        37.941354166666663,
        f64::NAN,
    ],
    [
        1.0,
        2.0,
        1.0,
        4.0999999999999996,
        -2.2548036410881287,
        3.4243043877750869,
        4.9000000000000004,
        31.196666666666662,
        37.722499999999997,
        45.362499999999997,
        46.794999999999995,
        13.369999999999999,
        15.916666666666668,
        38.684131944444438,
        14.1,
    ],
];

fn code(e: &JsValue) -> String {
    Reflect::get(e, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

/// A fixture model imported into `.aqm` bytes by `aqcast/import`, loaded by the runtime.
fn load(bytes: &[u8]) -> Model {
    Model::from_bytes(&import_model(bytes).unwrap()).unwrap()
}

#[wasm_bindgen_test]
fn loads_models_of_every_kind() {
    let m = load(LGB);
    assert_eq!(m.features().len(), 15);
    assert!(!m.named_features());
    let x = load(XGB);
    assert_eq!(x.features()[0], "hour");
    assert!(x.named_features());
}

#[wasm_bindgen_test]
fn without_the_import_module_other_formats_say_how_to_load_it() {
    // Nothing registers `aqcast/import` in this test binary: the runtime alone reads .aqm.
    let e = Model::from_bytes(LGB).err().unwrap();
    assert_eq!(code(&e), "needs_module");
    let msg = Reflect::get(&e, &JsValue::from_str("message"))
        .unwrap()
        .as_string()
        .unwrap();
    assert!(msg.contains("aqcast/import"), "{msg}");
}

#[wasm_bindgen_test]
fn batch_f64_and_f32_and_single_rows_agree() {
    let m = load(LGB);
    let flat: Vec<f64> = ROWS.iter().flatten().copied().collect();
    let batch = m
        .predict_batch(Float64Array::from(&flat[..]).into(), 2, None)
        .unwrap()
        .to_vec();
    for (i, r) in ROWS.iter().enumerate() {
        let one = m.predict(Float64Array::from(&r[..]).into(), None).unwrap();
        assert_eq!(one.to_bits(), batch[i].to_bits());
    }
    let f32s: Vec<f32> = flat.iter().map(|&v| v as f32).collect();
    let b32 = m
        .predict_batch(Float32Array::from(&f32s[..]).into(), 2, None)
        .unwrap();
    assert_eq!(b32.length(), 2);
    let phi = m
        .explain(Float64Array::from(&ROWS[0][..]).into(), None)
        .unwrap()
        .to_vec();
    let sum: f64 = phi.iter().sum();
    assert!((sum - batch[0]).abs() < 1e-9);
}

#[wasm_bindgen_test]
fn lightgbm_predictions_are_bit_exact_in_wasm() {
    // LightGBM's own predictions of these rows (the Node suite checks all 8,240).
    let m = load(LGB);
    for (r, line) in ROWS.iter().zip(LGB_PRED.lines()) {
        let want: f64 = line.parse().unwrap();
        let got = m.predict(Float64Array::from(&r[..]).into(), None).unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{got} vs {want}");
    }
}

#[wasm_bindgen_test]
fn errors_are_aqcast_errors_with_codes() {
    let e = import_model(b"nonsense").err().unwrap();
    assert_eq!(code(&e), "unsupported_model");
    let mut aqm = import_model(LGB).unwrap();
    let last = aqm.len() - 1;
    aqm[last] ^= 1;
    let e = Model::from_bytes(&aqm).err().unwrap();
    assert_eq!(code(&e), "checksum_mismatch");
    assert!(e.is_instance_of::<js_sys::Error>());
    let m = load(LGB);
    let e = m
        .predict(Float64Array::new_with_length(3).into(), None)
        .err()
        .unwrap();
    assert_eq!(code(&e), "bad_input_shape");
    let e = m
        .predict(Float64Array::from(&ROWS[0][..]).into(), Some(4))
        .err()
        .unwrap();
    assert_eq!(code(&e), "no_such_head");
    let e = Aqi::compute("pm2.5", -3.0, None).err().unwrap();
    assert_eq!(code(&e), "aqi_undefined");
}

#[wasm_bindgen_test]
fn aqi_worked_examples() {
    let r = Aqi::compute("o3", 0.07853, None).unwrap();
    assert_eq!(
        Reflect::get(&r, &JsValue::from_str("aqi"))
            .unwrap()
            .as_f64(),
        Some(126.0)
    );
    let n = Aqi::nowcast("pm2.5", &[10.0; 12]).unwrap();
    assert!((n - 10.0).abs() < 1e-12);
}
