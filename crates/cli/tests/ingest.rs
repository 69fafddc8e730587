//! `aqcast ingest`, `export` and `features`, as a user runs them, on files of every
//! supported format and on malformed ones.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;
use common::{aqcast, ok};

fn aqcast_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aqcast"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run aqcast")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn fx(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// (site, variable, time) → value, from `aqcast export`.
fn export(store: &str) -> HashMap<(String, String, String), f64> {
    let out = ok(&aqcast(&["export", "--store", store]));
    let mut m = HashMap::new();
    for line in out.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        m.insert(
            (f[0].into(), f[1].into(), f[2].into()),
            f[3].parse().unwrap(),
        );
    }
    m
}

fn get(m: &HashMap<(String, String, String), f64>, site: &str, var: &str, time: &str) -> f64 {
    *m.get(&(site.into(), var.into(), time.into()))
        .unwrap_or_else(|| panic!("no {site} {var} {time}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// The store's manifest (no file yet: no manifest).
fn manifest(store: &str) -> serde_json::Value {
    match std::fs::read(Path::new(store).join("manifest.json")) {
        Ok(b) => serde_json::from_slice(&b).unwrap(),
        Err(_) => serde_json::json!({"files": []}),
    }
}

#[test]
fn canonical_feature_table_equals_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    ok(&aqcast(&[
        "ingest",
        &fx("data/aurn_no2_2001_2003.csv.gz"),
        "--store",
        &store,
    ]));
    let out = dir.path().join("features.csv").display().to_string();
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/canonical.toml");
    ok(&aqcast(&[
        "features",
        "--config",
        &config.display().to_string(),
        "--store",
        &store,
        "-o",
        &out,
    ]));

    let mut reference = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(fx("data/reference_features.csv.gz")).unwrap(),
    )
    .read_to_string(&mut reference)
    .unwrap();
    let ours = std::fs::read_to_string(&out).unwrap();
    let (r, o): (Vec<&str>, Vec<&str>) = (reference.lines().collect(), ours.lines().collect());
    assert_eq!(r[0], o[0], "same columns in the same order");
    assert_eq!(r.len(), o.len(), "same rows");
    assert_eq!(r.len(), 26_281);
    let mut compared = 0;
    for (i, (a, b)) in r.iter().zip(&o).enumerate().skip(1) {
        let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
        assert_eq!(
            (a[0], a[a.len() - 1]),
            (b[0], b[b.len() - 1]),
            "line {}: date and split",
            i + 1
        );
        for c in 1..a.len() - 1 {
            let (x, y): (f64, f64) = (a[c].parse().unwrap(), b[c].parse().unwrap());
            assert_eq!(
                x.is_nan(),
                y.is_nan(),
                "line {}, column {}: NaN where the reference has NaN",
                i + 1,
                r[0].split(',').nth(c).unwrap()
            );
            if !x.is_nan() {
                assert!(
                    (x - y).abs() <= 1e-9 * x.abs().max(1e-3),
                    "line {}, column {c}: {x} vs {y}",
                    i + 1
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 400_000, "{compared}");
}

#[test]
fn every_format_is_detected_and_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s").display().to_string();
    let out = ok(&aqcast(&["ingest", &fx("ingest/good"), "--store", &store]));
    for format in [
        "epa-aqs-hourly",
        "epa-aqs-daily",
        "airnow-hourly",
        "openaq",
        "openair-wide",
    ] {
        assert!(out.contains(format), "{format} in {out}");
    }
    ok(&aqcast(&[
        "ingest",
        &fx("ingest/mapped/station_daily.csv"),
        "--store",
        &store,
        "--map",
        "time=Date",
        "--map",
        "site=Station",
        "--map",
        "o3=ozone_ppb:ppb",
        "--map",
        "temp=temp_f:F",
    ]));
    let m = export(&store);
    // EPA hourly: ozone in ppm → ppb; GMT time; a second monitor (POC 2) is its own series.
    assert!(close(
        get(&m, "06-037-1103", "o3", "2023-07-01 00:00:00"),
        6.0
    ));
    assert_eq!(m.keys().filter(|k| k.0 == "06-037-1103:2").count(), 24);
    // EPA daily: one value per site and day although each day has a row per standard.
    assert_eq!(m.keys().filter(|k| k.0 == "01-003-0002").count(), 30);
    let man = manifest(&store);
    let daily = man["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["format"] == "epa-aqs-daily")
        .unwrap();
    assert_eq!(
        (daily["repeated"].as_u64(), daily["rejected"].as_u64()),
        (Some(30 * 2), Some(0))
    );
    // AirNow: MM/DD/YY GMT; -999 is missing; BC is not a variable aqcast stores.
    assert!(close(
        get(&m, "060371103", "co", "2023-07-01 00:00:00"),
        0.3
    ));
    assert!(close(
        get(&m, "360610135", "pm2.5", "2023-07-01 02:00:00"),
        10.5
    ));
    assert!(!m.keys().any(|k| k.1 == "no2" && k.0 == "060371103"));
    let airnow = man["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["format"] == "airnow-hourly")
        .unwrap();
    assert_eq!(airnow["rejected_by_reason"]["unknown parameter"], 6);
    assert_eq!(airnow["missing"], 6);
    // OpenAQ: an offset timestamp (01:00+01:00 is 00:00 UTC), ozone ppm → ppb.
    assert!(close(get(&m, "2178", "o3", "2023-03-01 00:00:00"), 20.0));
    assert!(close(get(&m, "2178", "temp", "2023-03-01 00:00:00"), 0.0));
    // openair/AURN: NO2 µg/m³ → ppb at 25 °C (× 24.45 / 46.0055); the file names the site.
    assert!(close(
        get(&m, "aurn_slice", "no2", "2001-01-01 00:00:00"),
        5.7682 * 24.45 / 46.0055
    ));
    assert!(close(
        get(&m, "aurn_slice", "temp", "2001-01-01 00:00:00"),
        5.55
    ));
    // Mapped: °F → °C.
    assert!(close(
        get(&m, "NYC", "temp", "1973-05-01 00:00:00"),
        (67.0 - 32.0) * 5.0 / 9.0
    ));
    assert!(close(get(&m, "NYC", "o3", "1973-05-01 00:00:00"), 41.0));
}

/// Ingests one malformed file into a fresh store; returns (output, store).
fn ingest_one(name: &str, extra: &[&str]) -> (Output, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s").display().to_string();
    let f = fx(&format!("ingest/bad/{name}"));
    let mut args = vec!["ingest", &f as &str, "--store", &store];
    args.extend_from_slice(extra);
    (aqcast(&args), store, dir)
}

#[test]
fn malformed_files_have_their_documented_outcome() {
    // Files that cannot be read at all are refused: exit 2, a message naming the file, and
    // nothing of them in the store.
    for (name, needle) in [
        ("empty.csv", "empty file"),
        ("wrong_header.csv", "matches no format"),
        ("truncated.csv.gz", "ends in the middle"),
    ] {
        let (o, store, _d) = ingest_one(name, &[]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains(name) && err.contains(needle) && !err.contains("panicked"),
            "{name}: {err}"
        );
        assert_eq!(
            manifest(&store)["files"].as_array().map(Vec::len),
            Some(0),
            "{name}"
        );
        assert_eq!(
            ok(&aqcast(&["export", "--store", &store])).lines().count(),
            1,
            "{name}: store is empty"
        );
    }
    // Files with bad values are taken; each bad value is in the quarantine file with its
    // line, column and reason, and every other value is stored.
    for (name, taken, missing, quarantined) in [
        (
            "non_numeric.csv",
            38,
            10,
            vec![
                ("5", "no2", "not a number", "abc"),
                ("7", "wd", "not a number", "twelve"),
            ],
        ),
        (
            "negative.csv",
            3,
            0,
            vec![
                ("3", "value", "negative concentration", "-2.5"),
                ("5", "value", "negative concentration", "-0.1"),
            ],
        ),
        (
            "duplicated.csv",
            40,
            11,
            vec![
                ("6", "no2", "duplicate timestamp", "7.377375000000001"),
                ("6", "ws", "duplicate timestamp", "6.2"),
                ("6", "wd", "duplicate timestamp", "180.8146863663629"),
                ("6", "air_temp", "duplicate timestamp", "8.4"),
            ],
        ),
        (
            "bad_time.csv",
            36,
            9,
            vec![("4", "date", "bad timestamp", "2001-13-45 00:00:00")],
        ),
        (
            "short_line.csv",
            36,
            9,
            vec![(
                "7",
                "(line)",
                "missing fields",
                "2001-01-01 05:00:00,5.772975000000001,",
            )],
        ),
        (
            "mixed_units.csv",
            4,
            0,
            vec![("6", "value", "unknown unit", "7")],
        ),
    ] {
        let (o, store, _d) = ingest_one(name, &[]);
        ok(&o);
        let f = &manifest(&store)["files"][0];
        assert_eq!(
            (f["observations"].as_u64(), f["missing"].as_u64()),
            (Some(taken), Some(missing)),
            "{name}"
        );
        assert_eq!(
            f["rejected"].as_u64(),
            Some(quarantined.len() as u64),
            "{name}"
        );
        let q = std::fs::read_to_string(Path::new(&store).join(f["quarantine"].as_str().unwrap()))
            .unwrap();
        let mut r = csv::Reader::from_reader(q.as_bytes());
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(rows.len(), quarantined.len(), "{name}: {q}");
        for (row, (line, col, reason, value)) in rows.iter().zip(&quarantined) {
            assert!(row[0].ends_with(name), "{row:?}");
            assert_eq!(
                (&row[1][..], &row[2][..], &row[3][..]),
                (*line, *col, *reason),
                "{name}"
            );
            // A value keeps its text; a rejected line (bad timestamp) keeps the whole line.
            if *reason == "bad timestamp" {
                assert!(
                    row[4].starts_with(value) && row[4].matches(',').count() >= 4,
                    "{name}: {row:?}"
                );
            } else {
                assert_eq!(&row[4], value, "{name}");
            }
        }
        assert_eq!(
            export(&store).len() as u64,
            taken,
            "{name}: the store holds exactly what was taken"
        );
    }
    // Mixed units in one file: each value converted from its own unit.
    let (_, store, _d) = ingest_one("mixed_units.csv", &[]);
    let m = export(&store);
    assert!(close(get(&m, "9", "o3", "2023-05-01 00:00:00"), 31.0));
    assert!(close(get(&m, "9", "o3", "2023-05-01 01:00:00"), 33.0));
    assert!(close(
        get(&m, "9", "co", "2023-05-01 00:00:00"),
        0.5 * 24.45 / 28.010
    ));
}

#[test]
fn strict_fails_on_the_first_bad_value_and_stores_nothing_of_the_file() {
    let (o, store, _d) = ingest_one("non_numeric.csv", &["--strict"]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("non_numeric.csv, line 5, column no2: not a number (\"abc\")"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(manifest(&store)["files"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        ok(&aqcast(&["export", "--store", &store])).lines().count(),
        1
    );
}

#[test]
fn taken_files_are_skipped_and_archived() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    for f in std::fs::read_dir(fixtures().join("ingest/good")).unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    let store = dir.path().join("s").display().to_string();
    let archive = dir.path().join("archive");
    ok(&aqcast(&[
        "ingest",
        &inbox.display().to_string(),
        "--store",
        &store,
        "--archive",
        &archive.display().to_string(),
    ]));
    assert_eq!(
        std::fs::read_dir(&inbox).unwrap().count(),
        0,
        "every taken file moved"
    );
    assert_eq!(std::fs::read_dir(&archive).unwrap().count(), 5);
    let before = export(&store);
    let out = ok(&aqcast(&[
        "ingest",
        &archive.display().to_string(),
        "--store",
        &store,
    ]));
    assert_eq!(out.matches("already taken").count(), 5, "{out}");
    assert_eq!(export(&store), before);
    assert_eq!(manifest(&store)["files"].as_array().map(Vec::len), Some(5));
    // Archiving the archive into itself moves nothing.
    ok(&aqcast(&[
        "ingest",
        &archive.display().to_string(),
        "--store",
        &store,
        "--archive",
        &archive.display().to_string(),
    ]));
    assert_eq!(std::fs::read_dir(&archive).unwrap().count(), 5);
}

#[test]
fn a_file_taken_but_not_yet_archived_is_archived_by_the_next_run() {
    // A run killed between its manifest write and the move leaves a taken file in the
    // inbox: the next run with --archive moves it (it used to stay there for good).
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let src = fixtures().join("ingest/good");
    let first = std::fs::read_dir(&src)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::copy(&first, inbox.join(first.file_name().unwrap())).unwrap();
    let store = dir.path().join("s").display().to_string();
    ok(&aqcast(&[
        "ingest",
        &inbox.display().to_string(),
        "--store",
        &store,
    ]));
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 1);
    let archive = dir.path().join("archive");
    let out = ok(&aqcast(&[
        "ingest",
        &inbox.display().to_string(),
        "--store",
        &store,
        "--archive",
        &archive.display().to_string(),
    ]));
    assert!(out.contains("already taken"), "{out}");
    assert_eq!(std::fs::read_dir(&inbox).unwrap().count(), 0, "{out}");
    assert_eq!(std::fs::read_dir(&archive).unwrap().count(), 1);
}

/// Writes an EPA AQS hourly file of `sites` × `hours` ozone values in `year`.
fn big_epa_file(path: &Path, year: usize, sites: usize, hours: usize) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "State Code,County Code,Site Num,Parameter Code,POC,Latitude,Longitude,Datum,Parameter Name,Date Local,Time Local,Date GMT,Time GMT,Sample Measurement,Units of Measure,MDL,Uncertainty,Qualifier,Method Type,Method Code,Method Name,State Name,County Name,Date of Last Change").unwrap();
    for s in 0..sites {
        for h in 0..hours {
            let (d, hh) = (h / 24, h % 24);
            let (m, day) = (1 + d / 28, 1 + d % 28);
            writeln!(w, "06,037,{s:04},44201,1,34.0,-118.2,WGS84,Ozone,{year}-{m:02}-{day:02},{hh:02}:00,{year}-{m:02}-{day:02},{hh:02}:00,0.0{},Parts per million,0.005,,,FEM,087,UV,California,Los Angeles,2024-02-01", 10 + (s + h) % 80).unwrap();
        }
    }
}

#[test]
fn a_killed_ingest_neither_loses_nor_doubles_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let (sites, hours) = (40, 24 * 28 * 4);
    for k in 0..3 {
        big_epa_file(
            &inbox.join(format!("hourly_44201_202{k}.csv")),
            2020 + k,
            sites / 2 + k * 5,
            hours,
        );
    }
    let expected: usize = (0..3).map(|k| (sites / 2 + k * 5) * hours).sum();
    let store = dir.path().join("s").display().to_string();
    let args = [
        "ingest",
        &inbox.display().to_string() as &str,
        "--store",
        &store,
    ];
    let mut killed_mid_run = 0;
    for delay_ms in [40u64, 90, 150, 230, 330, 460, 650] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aqcast"))
            .args(args)
            .env("AQCAST_INGEST_BUFFER_ROWS", "3000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL: no clean-up runs
            killed_mid_run += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        killed_mid_run > 0,
        "no run was interrupted; the test proves nothing"
    );
    ok(&aqcast_env(&args, &[("AQCAST_INGEST_BUFFER_ROWS", "3000")]));
    let summary = ok(&aqcast(&["export", "--store", &store, "--summary"]));
    let total: usize = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(
        total, expected,
        "every row once, after {killed_mid_run} kills"
    );
    assert_eq!(manifest(&store)["files"].as_array().map(Vec::len), Some(3));
    // The part files themselves hold every row exactly once (reading de-duplicates by
    // time, so the export alone could hide a doubled part).
    let rows_in_parts: i64 = walk(&Path::new(&store).join("data"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| {
            use parquet::file::reader::FileReader;
            let r =
                parquet::file::reader::SerializedFileReader::new(std::fs::File::open(p).unwrap())
                    .unwrap();
            r.metadata().file_metadata().num_rows()
        })
        .sum();
    assert_eq!(rows_in_parts as usize, expected);
    // Nothing half-written is left behind.
    let stray = walk(Path::new(&store))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp-"))
        .count();
    assert_eq!(stray, 0);
}

fn walk(p: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_step_kind_runs_on_real_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    ok(&aqcast(&[
        "ingest",
        &fx("data/aurn_no2_2001_2003.csv.gz"),
        "--store",
        &store,
    ]));
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/every-step.toml");
    let out = ok(&aqcast(&[
        "features",
        "--config",
        &config.display().to_string(),
        "--store",
        &store,
    ]));
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows.len(), 26_280);
    let values = |name: &str, split: Option<&str>| -> Vec<f64> {
        rows.iter()
            .filter(|r| split.is_none_or(|s| r[col("split")] == s))
            .map(|r| r[col(name)].parse().unwrap())
            .collect()
    };
    // Imputed columns have no gaps left; the target (the measured value) still has them.
    for c in ["no2", "ws_scaled", "temp_z", "bg_robust", "u"] {
        assert!(
            values(c, None).iter().all(|v| v.is_finite()),
            "{c} has gaps"
        );
    }
    assert!(values("target_h6", None).iter().any(|v| v.is_nan()));
    // Scalers fitted on the training rows.
    let t = values("temp_z", Some("train"));
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    let sd = (t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / t.len() as f64).sqrt();
    assert!(
        mean.abs() < 0.05 && (sd - 1.0).abs() < 0.05,
        "standard: mean {mean}, sd {sd}"
    );
    let w = values("ws_scaled", Some("train"));
    let (lo, hi) = w
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(
        (lo - 0.0).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12,
        "min-max: {lo}..{hi}"
    );
    // Calendar and cyclic features.
    assert!(values("weekend", None)
        .iter()
        .all(|&v| v == 0.0 || v == 1.0));
    assert!(values("hour_sin", None)
        .iter()
        .zip(values("hour_cos", None))
        .all(|(s, c)| (s * s + c * c - 1.0).abs() < 1e-12));
}

#[test]
fn a_folder_holding_the_store_or_an_unreadable_file_is_handled() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(
        fixtures().join("ingest/good/aurn_slice.csv"),
        inbox.join("aurn_slice.csv"),
    )
    .unwrap();
    // A dangling link named like a measurement file cannot be read.
    std::os::unix::fs::symlink(inbox.join("gone.csv"), inbox.join("dangling.csv")).unwrap();
    // The store inside the folder being ingested (with a quarantine CSV in it).
    let store = inbox.join("store").display().to_string();
    ok(&aqcast(&[
        "ingest",
        &fx("ingest/bad/non_numeric.csv"),
        "--store",
        &store,
    ]));
    let o = aqcast(&["ingest", &inbox.display().to_string(), "--store", &store]);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("dangling.csv")
            && err.contains("the other files were taken")
            && err.trim().lines().count() == 1,
        "{err}"
    );
    let out = text(&o.stdout);
    assert!(
        out.contains("aurn_slice.csv") && out.contains("taken") && !out.contains("quarantine/"),
        "{out}"
    );
    assert_eq!(manifest(&store)["files"].as_array().map(Vec::len), Some(2));
}

#[test]
fn leftovers_of_an_interrupted_run_are_cleared_before_the_file_is_taken_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s");
    let file = fixtures().join("ingest/bad/non_numeric.csv");
    let id = blake3::hash(&std::fs::read(&file).unwrap()).to_hex()[..16].to_string();
    // What a killed run leaves: a half-written quarantine file and a part of this file.
    std::fs::create_dir_all(store.join("quarantine")).unwrap();
    let tmp = store
        .join("quarantine")
        .join(format!(".{id}.csv.tmp-99999"));
    std::fs::write(&tmp, "file,line\nhalf").unwrap();
    let part_dir = store.join("data/site=non_numeric/variable=no2");
    std::fs::create_dir_all(&part_dir).unwrap();
    std::fs::write(part_dir.join(format!("{id}-00007.parquet")), b"not parquet").unwrap();
    ok(&aqcast(&[
        "ingest",
        &file.display().to_string(),
        "--store",
        &store.display().to_string(),
    ]));
    assert!(!tmp.exists() && !part_dir.join(format!("{id}-00007.parquet")).exists());
    assert!(store.join("quarantine").join(format!("{id}.csv")).exists());
    assert_eq!(export(&store.display().to_string()).len(), 38);
}
