//! smartcore next to aqcast on the canonical task (tests/fixtures/data/reference_features.csv.gz,
//! train 2001–2002, test 2003, +1 h and +24 h): the linear baseline (smartcore's ridge
//! against the core's `pipeline::stats::ridge`, which the forecast report uses) and a
//! random forest (smartcore's against aqcast's `kind = "random_forest"`), one thread,
//! missing values replaced by the training mean for both. Prints a Markdown table.

use std::io::Read;
use std::time::Instant;

use aqcast_core::pipeline::stats;
use aqcast_core::{Matrix, Predictor};
use aqcast_train::{self as train, Kind, Params};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

fn rmse(p: &[f64], y: &[f64]) -> f64 {
    (p.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / y.len() as f64).sqrt()
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(format!(
            "{root}/tests/fixtures/data/reference_features.csv.gz"
        ))
        .expect("the fixture"),
    )
    .read_to_string(&mut text)
    .expect("gzip");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let nf = header
        .iter()
        .position(|h| *h == "target_h1")
        .expect("target_h1")
        - 1;
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    println!("| horizon | model | test RMSE (µg/m³) | training, 1 thread |");
    println!("|---|---|---|---|");
    for (h, col) in [(1, nf + 1), (24, nf + 2)] {
        let pick = |split: &str| -> (Vec<Vec<f64>>, Vec<f64>) {
            rows.iter()
                .filter(|r| r[r.len() - 1] == split && num(r[col]).is_finite())
                .map(|r| ((1..=nf).map(|j| num(r[j])).collect(), num(r[col])))
                .unzip()
        };
        let (mut xtr, ytr) = pick("train");
        let (mut xte, yte) = pick("test");
        let means: Vec<f64> = (0..nf)
            .map(|j| stats::mean(xtr.iter().map(|r| r[j])).unwrap_or(0.0))
            .collect();
        for r in xtr.iter_mut().chain(xte.iter_mut()) {
            for (v, m) in r.iter_mut().zip(&means) {
                if !v.is_finite() {
                    *v = *m;
                }
            }
        }
        let flat_tr: Vec<f64> = xtr.iter().flatten().copied().collect();
        let flat_te: Vec<f64> = xte.iter().flatten().copied().collect();

        // Linear: the core's ridge (λ = 1e-6, as the forecast report's baseline).
        let t = Instant::now();
        let w = stats::ridge(&flat_tr, &ytr, nf, 1e-6);
        let s_core = t.elapsed().as_secs_f64();
        let p: Vec<f64> = xte
            .iter()
            .map(|r| w[0] + r.iter().zip(&w[1..]).map(|(a, b)| a * b).sum::<f64>())
            .collect();
        println!(
            "| +{h} h | core ridge (`pipeline::stats::ridge`) | {:.3} | {:.4} s |",
            rmse(&p, &yte),
            s_core
        );

        let xm = DenseMatrix::from_2d_vec(&xtr).expect("a matrix");
        let xtm = DenseMatrix::from_2d_vec(&xte).expect("a matrix");
        let t = Instant::now();
        let ridge = RidgeRegression::fit(
            &xm,
            &ytr,
            RidgeRegressionParameters::default().with_alpha(1e-6 * ytr.len() as f64),
        )
        .expect("smartcore ridge");
        let s_sc = t.elapsed().as_secs_f64();
        let p = ridge.predict(&xtm).expect("predict");
        println!(
            "| +{h} h | smartcore `RidgeRegression` | {:.3} | {:.4} s |",
            rmse(&p, &yte),
            s_sc
        );

        // Random forests, 100 trees, one thread.
        let cols: Vec<Vec<f64>> = (0..nf)
            .map(|j| xtr.iter().map(|r| r[j]).collect())
            .collect();
        let col_refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let params = Params {
            kind: Kind::RandomForest,
            trees: 100,
            num_leaves: 1024,
            min_data_in_leaf: 5,
            feature_fraction: 0.33,
            threads: Some(1),
            ..Params::default()
        };
        let t = Instant::now();
        let ours = train::train(&col_refs, &ytr, &params).expect("aqcast forest");
        let s_ours = t.elapsed().as_secs_f64();
        let p = Predictor::new(&ours.ensemble)
            .and_then(|pr| pr.predict(Matrix::RowMajorF64(&flat_te)))
            .expect("predict");
        println!(
            "| +{h} h | aqcast random forest (100 trees, ≤ 1,024 leaves, min 5 rows a leaf, ⅓ of the features a tree) | {:.3} | {:.2} s |",
            rmse(&p, &yte),
            s_ours
        );
        // Every feature in every tree (our forests sample features per tree, as LightGBM's
        // feature_fraction does, not per split).
        let all = Params {
            feature_fraction: 1.0,
            ..params.clone()
        };
        let t = Instant::now();
        let ours = train::train(&col_refs, &ytr, &all).expect("aqcast forest");
        let s_all = t.elapsed().as_secs_f64();
        let p = Predictor::new(&ours.ensemble)
            .and_then(|pr| pr.predict(Matrix::RowMajorF64(&flat_te)))
            .expect("predict");
        println!(
            "| +{h} h | aqcast random forest, every feature in every tree | {:.3} | {:.2} s |",
            rmse(&p, &yte),
            s_all
        );
        let t = Instant::now();
        let rf = RandomForestRegressor::fit(
            &xm,
            &ytr,
            RandomForestRegressorParameters::default()
                .with_n_trees(100)
                .with_min_samples_leaf(5)
                .with_m(nf.div_ceil(3))
                .with_seed(1),
        )
        .expect("smartcore forest");
        let s_rf = t.elapsed().as_secs_f64();
        let p = rf.predict(&xtm).expect("predict");
        println!(
            "| +{h} h | smartcore `RandomForestRegressor` (100 trees, min 5 rows a leaf, ⅓ of the features a split) | {:.3} | {:.2} s |",
            rmse(&p, &yte),
            s_rf
        );
    }
}
