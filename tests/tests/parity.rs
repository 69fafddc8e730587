//! aqcast's predictions and explanations equal LightGBM's and XGBoost's own, on every row of
//! the canonical test set (fixtures made by `tests/fixtures/make_fixtures.py`).

use aqcast_core::predict::{Isa, Strategy};
use aqcast_core::{shap, Matrix, Model, Predictor};
use aqcast_e2e::{close, csv, model};

fn test_rows() -> (Vec<f64>, usize) {
    let (header, x, rows) = csv("test_X_h1.csv.gz", true);
    assert_eq!(header.len(), 15);
    assert_eq!(rows, 8240);
    (x, rows)
}

fn expected(name: &str) -> Vec<f64> {
    csv(name, false).1
}

fn check(model_file: &str, pred_file: &str) -> f64 {
    let m = model(model_file);
    let (x, rows) = test_rows();
    let p = Predictor::new(&m.heads[0].ensemble).unwrap();
    let got = p.predict(Matrix::RowMajorF64(&x)).unwrap();
    let want = expected(pred_file);
    assert_eq!(got.len(), rows);
    assert_eq!(want.len(), rows);
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            close(*g, *w),
            "{model_file} row {i}: aqcast {g} vs library {w}"
        );
        worst = worst.max((g - w).abs());
    }
    worst
}

#[test]
fn lightgbm_regression_is_bit_exact() {
    // f64 thresholds and inputs, leaves summed in tree order: the same bits as LightGBM.
    assert_eq!(check("lightgbm_l2.txt", "lightgbm_l2_pred.csv"), 0.0);
}

#[test]
fn lightgbm_poisson_and_quantile_match() {
    check("lightgbm_poisson.txt", "lightgbm_poisson_pred.csv");
    check("lightgbm_q90.txt", "lightgbm_q90_pred.csv");
    assert_eq!(model("lightgbm_q90.txt").heads[0].quantile, Some(0.9));
}

#[test]
fn xgboost_matches_with_and_without_feature_names() {
    check("xgboost_l2.json", "xgboost_l2_pred.csv");
    check("xgboost_named.json", "xgboost_named_pred.csv");
    let named = model("xgboost_named.json");
    assert!(named.named_features);
    assert_eq!(named.features[0], "hour");
    assert!(!model("xgboost_l2.json").named_features);
}

#[test]
fn every_input_layout_gives_the_same_bits() {
    let m = model("lightgbm_l2.txt");
    let e = &m.heads[0].ensemble;
    let p = Predictor::new(e).unwrap();
    let (x, rows) = test_rows();
    let x = &x[..1000 * 15];
    let rows = rows.min(1000);
    let rm = p.predict(Matrix::RowMajorF64(x)).unwrap();
    let cols: Vec<f64> = (0..15)
        .flat_map(|f| (0..rows).map(move |r| x[r * 15 + f]))
        .collect();
    assert_eq!(p.predict(Matrix::ColMajorF64(&cols)).unwrap(), rm);
    for (r, want) in rm.iter().enumerate() {
        let row = &x[r * 15..(r + 1) * 15];
        assert_eq!(p.predict_row(row).unwrap(), *want);
        assert_eq!(e.predict_reference(row), *want);
    }
    assert_eq!(p.predict_row_at_a_time(x), rm);
    for strategy in [
        Strategy::Walk,
        Strategy::Sliced(Isa::Widest),
        Strategy::Sliced(Isa::Avx2),
        Strategy::Sliced(Isa::Plain),
    ] {
        let mut out = vec![0.0; rows];
        p.predict_with(Matrix::RowMajorF64(x), &mut out, strategy)
            .unwrap();
        assert_eq!(out, rm, "{strategy:?}");
    }
    // f32 inputs equal f64 inputs rounded to f32, on both paths.
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let x32_as_64: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
    assert_eq!(
        p.predict(Matrix::RowMajorF32(&x32)).unwrap(),
        p.predict(Matrix::RowMajorF64(&x32_as_64)).unwrap()
    );
}

#[test]
fn treeshap_equals_lightgbm_pred_contrib() {
    let m = model("lightgbm_l2.txt");
    let e = &m.heads[0].ensemble;
    let (x, _) = test_rows();
    let (_, contrib, rows) = csv("lightgbm_l2_contrib.csv.gz", false);
    assert_eq!(rows, 400);
    let p = Predictor::new(e).unwrap();
    for r in 0..rows {
        let row = &x[r * 15..(r + 1) * 15];
        let phi = shap::explain(e, row).unwrap();
        let want = &contrib[r * 16..(r + 1) * 16];
        for (j, (g, w)) in phi.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-5 * w.abs().max(1.0),
                "row {r} feature {j}: aqcast {g} vs LightGBM {w}"
            );
        }
        let sum: f64 = phi.iter().sum();
        let pred = p.predict_row(row).unwrap();
        assert!((sum - pred).abs() <= 1e-9 * pred.abs().max(1.0), "row {r}");
    }
}

#[test]
fn artifact_round_trips_keep_every_prediction() {
    for name in [
        "lightgbm_l2.txt",
        "xgboost_named.json",
        "lightgbm_poisson.txt",
    ] {
        let m = model(name);
        let bytes = m.encode().unwrap();
        let back = Model::decode(&bytes).unwrap();
        assert_eq!(back, m, "{name}: binary round trip");
        let json = m.to_json().unwrap();
        assert_eq!(
            Model::from_json(&json).unwrap(),
            m,
            "{name}: JSON round trip"
        );
        // Compact: smaller than the source model file.
        assert!(
            bytes.len() < aqcast_e2e::read(name).len() / 2,
            "{name}: {}",
            bytes.len()
        );
    }
}

/// Explanations of the LightGBM fixture with its counts edited: finite, and
/// summing to the prediction.
fn explains_every_row_finitely(text: &str, what: &str) {
    let m = aqcast_core::import::load_any(text.as_bytes()).unwrap();
    let e = &m.heads[0].ensemble;
    let (x, rows) = test_rows();
    let p = Predictor::new(e).unwrap();
    // Every 4th row (a debug build explains slowly); 7,887 of 8,240 rows were NaN.
    for r in (0..rows).step_by(4) {
        let row = &x[r * 15..(r + 1) * 15];
        let phi = shap::explain(e, row).unwrap();
        assert!(
            phi.iter().all(|v| v.is_finite()),
            "{what}, row {r}: {phi:?}"
        );
        let sum: f64 = phi.iter().sum();
        let pred = p.predict_row(row).unwrap();
        assert!(
            (sum - pred).abs() <= 1e-9 * pred.abs().max(1.0),
            "{what}, row {r}: sum {sum} vs prediction {pred}"
        );
    }
}

#[test]
fn treeshap_holds_when_a_leaf_or_every_count_is_zero() {
    let text = String::from_utf8(aqcast_e2e::read("lightgbm_l2.txt")).unwrap();
    // One leaf of one tree with no training rows (as a hand-edited or pruned model has).
    let one = text.replacen("leaf_count=849 ", "leaf_count=0 ", 1);
    assert_ne!(one, text);
    explains_every_row_finitely(&one, "one zero leaf count");
    // Every count lost: the fractions fall back to halves, consistently.
    let zero_counts = |line: &str| {
        let (key, values) = line.split_once('=').unwrap();
        let zeros: Vec<&str> = values.split(' ').map(|_| "0").collect();
        format!("{key}={}", zeros.join(" "))
    };
    let all: String = text
        .lines()
        .map(|l| {
            if l.starts_with("leaf_count=") || l.starts_with("internal_count=") {
                zero_counts(l)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    explains_every_row_finitely(&all, "every count zero");
}

#[test]
fn treeshap_of_a_forged_negative_zero_cover_is_finite() {
    // An artifact whose covers are −0.0 (decodes: −0.0 is a number), explained.
    let mut m = model("lightgbm_l2.txt");
    let e = &mut m.heads[0].ensemble;
    e.node_cover.iter_mut().for_each(|c| *c = -0.0);
    e.leaf_cover.iter_mut().for_each(|c| *c = -0.0);
    let bytes = m.encode().unwrap();
    let back = Model::decode(&bytes).unwrap();
    let e = &back.heads[0].ensemble;
    let (x, _) = test_rows();
    for r in 0..200 {
        let row = &x[r * 15..(r + 1) * 15];
        let phi = shap::explain(e, row).unwrap();
        let sum: f64 = phi.iter().sum();
        let pred = e.predict_reference(row);
        assert!(
            (sum - pred).abs() <= 1e-9 * pred.abs().max(1.0),
            "row {r}: {sum} vs {pred}"
        );
    }
}
