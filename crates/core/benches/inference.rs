//! Inference benchmarks on the canonical task's model.
//!
//! `AQCAST_BENCH_MODEL` (a LightGBM/XGBoost/aqcast model) and `AQCAST_BENCH_INPUT` (a CSV of
//! feature rows with a header, optionally .gz) choose the workload; by default the
//! committed 100-tree fixture and the canonical test rows. `bench/run.sh` points them at the
//! 500-tree LightGBM model that `bench/reference.py` trains in the same run.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;

use aqcast_core::predict::{Isa, Strategy};
use aqcast_core::{import, shap, Matrix};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &PathBuf) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .expect("gzip");
        out
    } else {
        raw
    }
}

fn workload() -> (aqcast_core::Model, Vec<f64>, usize) {
    let model = std::env::var_os("AQCAST_BENCH_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/fixtures/models/lightgbm_l2.txt"));
    let input = std::env::var_os("AQCAST_BENCH_INPUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/fixtures/models/test_X_h1.csv.gz"));
    let m = import::load_any(&read(&model)).expect("model");
    let text = String::from_utf8(read(&input)).expect("utf-8 input");
    let mut values = Vec::new();
    let mut rows = 0;
    for line in text.lines().skip(1) {
        values.extend(
            line.split(',')
                .map(|c| c.parse::<f64>().unwrap_or(f64::NAN)),
        );
        rows += 1;
    }
    (m, values, rows)
}

fn bench(c: &mut Criterion) {
    let (model, x, rows) = workload();
    let e = &model.heads[0].ensemble;
    let p = &model.predictors().expect("compile")[0];
    let nf = p.n_features();
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let trees = p.n_trees();

    let mut g = c.benchmark_group(format!("batch_{rows}_rows_{trees}_trees"));
    g.throughput(Throughput::Elements(rows as u64));
    g.sample_size(20);
    let mut out = vec![0.0; rows];
    g.bench_function("auto_f64", |b| {
        b.iter(|| p.predict(Matrix::RowMajorF64(black_box(&x))).unwrap())
    });
    g.bench_function("auto_f32", |b| {
        b.iter(|| p.predict(Matrix::RowMajorF32(black_box(&x32))).unwrap())
    });
    for (name, s) in [
        ("sliced_widest", Strategy::Sliced(Isa::Widest)),
        ("sliced_avx2", Strategy::Sliced(Isa::Avx2)),
        ("sliced_plain", Strategy::Sliced(Isa::Plain)),
        ("walk", Strategy::Walk),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                p.predict_with(Matrix::RowMajorF64(black_box(&x)), &mut out, s)
                    .unwrap()
            })
        });
    }
    g.bench_function("row_at_a_time", |b| {
        b.iter(|| p.predict_row_at_a_time(black_box(&x)))
    });
    g.bench_function("canonical_tree_walk", |b| {
        b.iter(|| {
            x.chunks_exact(nf)
                .map(|r| e.predict_reference(black_box(r)))
                .sum::<f64>()
        })
    });
    g.finish();

    // Small batches (a day of hourly rows is 24): the sliced engine computes whole blocks.
    let mut g = c.benchmark_group("small_batch");
    for n in [1usize, 8, 24, 64] {
        let xs = &x[..n * nf];
        let mut out = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("auto_{n}"), |b| {
            b.iter(|| p.predict_into(Matrix::RowMajorF64(black_box(xs)), &mut out))
        });
        g.bench_function(format!("walk_{n}"), |b| {
            b.iter(|| p.predict_with(Matrix::RowMajorF64(black_box(xs)), &mut out, Strategy::Walk))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("one_row");
    let row = &x[..nf];
    g.bench_function("predict_row", |b| {
        b.iter(|| p.predict_row(black_box(row)).unwrap())
    });
    g.bench_function("explain_row", |b| {
        b.iter(|| shap::explain(e, black_box(row)).unwrap())
    });
    g.bench_function("compile_model", |b| {
        b.iter(|| aqcast_core::Predictor::new(black_box(e)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
