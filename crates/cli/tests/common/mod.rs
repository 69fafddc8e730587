//! What the CLI test files share: running the binary, the shipped tasks made small for a
//! debug build.
#![allow(dead_code)]

pub mod feed_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `aqcast` binary.
pub fn aqcast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aqcast"))
        .args(args)
        .output()
        .expect("run aqcast")
}

/// Asserts success; returns standard output.
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The project's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path as an argument.
pub fn p(path: &Path) -> String {
    path.display().to_string()
}

/// The canonical station's data.
pub const DATA: &str = "tests/fixtures/data/aurn_no2_2001_2003.csv.gz";

/// Ingests the canonical station's data into the store `store`.
pub fn ingest(store: &str) {
    ok(&aqcast(&[
        "ingest",
        &p(&root().join(DATA)),
        "--store",
        store,
    ]));
}

/// `aqcast train --json` of `task` on `store` into `model`: the report.
pub fn train_json(task: &Path, store: &str, model: &Path) -> serde_json::Value {
    let json = ok(&aqcast(&[
        "train",
        "--config",
        &p(task),
        "--store",
        store,
        "-o",
        &p(model),
        "--json",
    ]));
    serde_json::from_str(&json).unwrap()
}

/// The shipped forecast task made small for a debug build (fewer trees, sparser steps):
/// the same code paths, a coarser model.
pub fn small_task(dir: &Path) -> PathBuf {
    small_forecast_task(dir, "forecast.toml")
}

/// The shipped forecast task `configs/NAME` made small, as [`small_task`], written to
/// `dir/NAME`.
pub fn small_forecast_task(dir: &Path, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("configs").join(name)).unwrap();
    let text = text
        .replace("trees = 300", "trees = 25")
        .replace("learning_rate = 0.05", "learning_rate = 0.2")
        .replace("stride = 6 ", "stride = 24 ")
        .replace("dense_steps = 6", "dense_steps = 1");
    assert!(text.contains("trees = 25") && text.contains("stride = 24"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The shipped 70-station task on five stations, made small.
pub fn stations_task(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("configs/forecast_de.toml")).unwrap();
    let stations = p(&root().join("tests/fixtures/data/airbase_pm10_de_stations.csv"));
    let text = text
        .replace(
            r#"sites = ["*"]"#,
            r#"sites = ["DEBY047", "DENI063", "DEMV017", "DETH026", "DEBB075"]"#,
        )
        .replace(
            r#"stations = "../tests/fixtures/data/airbase_pm10_de_stations.csv""#,
            &format!("stations = {stations:?}"),
        )
        .replace("trees = 300", "trees = 25")
        .replace("learning_rate = 0.05", "learning_rate = 0.2");
    assert!(text.contains("DEMV017") && text.contains("trees = 25"));
    let path = dir.join("forecast_de.toml");
    std::fs::write(&path, text).unwrap();
    path
}
