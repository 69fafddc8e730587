//! The `aqcast` command line, as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::aqcast;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models")
}

fn fx(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A failure: exit code 2, one line on stderr mentioning every `needle`, no panic.
fn assert_clean_failure(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn floats(text: &str) -> Vec<f64> {
    text.lines().map(|l| l.trim().parse().unwrap()).collect()
}

#[test]
fn predict_equals_lightgbm_on_the_canonical_test_set() {
    let o = aqcast(&[
        "predict",
        "--model",
        &fx("lightgbm_l2.txt"),
        "--input",
        &fx("test_X_h1.csv.gz"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = floats(&stdout(&o));
    let want = floats(&std::fs::read_to_string(fixtures().join("lightgbm_l2_pred.csv")).unwrap());
    assert_eq!(got.len(), 8240);
    assert_eq!(got, want, "bit-exact, printed in shortest round-trip form");
}

#[test]
fn import_inspect_and_predict_through_an_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let aqm = dir.path().join("no2.aqm").display().to_string();
    let names = "hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,no2_lag23,no2_lag167,no2_roll24,bg_no2";
    let o = aqcast(&[
        "import",
        &fx("lightgbm_l2.txt"),
        "-o",
        &aqm,
        "--feature-names",
        names,
        "--target",
        "no2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = aqcast(&["inspect", &aqm]);
    let text = stdout(&o);
    assert!(
        text.contains("aqcast artifact") && text.contains("100 trees"),
        "{text}"
    );
    let o = aqcast(&["inspect", &aqm, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["heads"][0]["trees"], 100);
    assert_eq!(v["named_features"], true);
    assert_eq!(v["heads"][0]["target"], "no2");
    // Columns by name: reorder them and add an unrelated one.
    let src = String::from_utf8(aqcast_e2e_rows(5)).unwrap();
    let mut lines = src.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut shuffled = String::from("station,");
    shuffled.push_str(&header.iter().rev().cloned().collect::<Vec<_>>().join(","));
    shuffled.push('\n');
    for l in lines {
        let cells: Vec<&str> = l.split(',').collect();
        shuffled.push_str("X1,");
        shuffled.push_str(&cells.iter().rev().cloned().collect::<Vec<_>>().join(","));
        shuffled.push('\n');
    }
    let input = write(dir.path(), "rows.csv", &shuffled);
    let by_name = aqcast(&["predict", "--model", &aqm, "--input", &input]);
    assert!(by_name.status.success(), "{}", stderr(&by_name));
    let plain = write(dir.path(), "plain.csv", &src);
    let by_pos = aqcast(&[
        "predict",
        "--model",
        &fx("lightgbm_l2.txt"),
        "--input",
        &plain,
    ]);
    assert_eq!(stdout(&by_name), stdout(&by_pos));
    // --output writes a CSV with a header, atomically.
    let out = dir.path().join("pred.csv");
    let o = aqcast(&[
        "predict",
        "--model",
        &aqm,
        "--input",
        &input,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, format!("no2\n{}", stdout(&by_pos)));
    // The JSON form is a model too.
    let json = dir.path().join("no2.json").display().to_string();
    assert!(aqcast(&["import", &aqm, "-o", &json]).status.success());
    let o = aqcast(&["predict", "--model", &json, "--input", &input]);
    assert_eq!(stdout(&o), stdout(&by_pos));
}

/// The first `n` canonical test rows as CSV text, with the header.
fn aqcast_e2e_rows(n: usize) -> Vec<u8> {
    use std::io::Read;
    let raw = std::fs::read(fixtures().join("test_X_h1.csv.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut out = String::new();
    for l in text.lines().take(n + 1) {
        out.push_str(l);
        out.push('\n');
    }
    out.into_bytes()
}

#[test]
fn explain_sums_to_the_prediction() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "x.csv",
        &String::from_utf8(aqcast_e2e_rows(20)).unwrap(),
    );
    let e = aqcast(&[
        "explain",
        "--model",
        &fx("xgboost_named.json"),
        "--input",
        &input,
    ]);
    assert!(e.status.success(), "{}", stderr(&e));
    let p = aqcast(&[
        "predict",
        "--model",
        &fx("xgboost_named.json"),
        "--input",
        &input,
    ]);
    let text = stdout(&e);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("hour,dow,month,") && header.ends_with(",bias"),
        "{header}"
    );
    for (l, pred) in lines.zip(floats(&stdout(&p))) {
        let sum: f64 = l.split(',').map(|c| c.parse::<f64>().unwrap()).sum();
        assert!((sum - pred).abs() < 1e-3, "{sum} vs {pred}");
    }
}

#[test]
fn missing_values_are_accepted_in_every_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let rows = String::from_utf8(aqcast_e2e_rows(1)).unwrap();
    let header = rows.lines().next().unwrap();
    let text = format!(
        "{header}\n{}\n{}\n{}\n",
        ["NaN"; 15].join(","),
        ["NA"; 15].join(","),
        [""; 15].join(",")
    );
    let input = write(dir.path(), "m.csv", &text);
    let o = aqcast(&[
        "predict",
        "--model",
        &fx("lightgbm_l2.txt"),
        "--input",
        &input,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = floats(&stdout(&o));
    assert_eq!(v.len(), 3);
    assert!(v[0] == v[1] && v[1] == v[2] && v[0].is_finite());
}

#[test]
fn aqi_matches_epa_worked_examples() {
    let o = aqcast(&["aqi", "--pollutant", "o3", "0.07853"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["aqi"], 126);
    assert_eq!(v["category"], "Unhealthy for Sensitive Groups");
    assert_eq!(v["color"], "#FF7E00");
    let o = aqcast(&[
        "aqi",
        "--pollutant",
        "pm2.5",
        "35.9",
        "12.0",
        "--table",
        "2012",
    ]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["aqi"], 102);
    assert_eq!(lines[1]["aqi"], 50);
    let o = aqcast(&["aqi", "--pollutant", "co", "8.4"]);
    assert!(stdout(&o).contains("\"aqi\":90"));
    let o = aqcast(&[
        "aqi",
        "--pollutant",
        "o3",
        "--unit",
        "ppb",
        "--nowcast",
        "63",
        "69",
        "80",
        "74",
        "60",
        "NaN",
        "35",
        "22",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["concentration"], 0.065);
    let o = aqcast(&[
        "aqi",
        "--pollutant",
        "no2",
        "--scale",
        "eea",
        "--unit",
        "ug/m3",
        "95",
    ]);
    assert!(
        stdout(&o).contains("\"category\":\"Moderate\""),
        "{}",
        stdout(&o)
    );
    let o = aqcast(&["aqi", "--pollutant", "pm2.5", "--palette", "cva", "5"]);
    assert!(stdout(&o).contains("\"color\":\"#FCFDBF\""));
}

#[test]
fn bad_input_is_one_clear_line_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let rows = String::from_utf8(aqcast_e2e_rows(3)).unwrap();
    let model = fx("xgboost_named.json");

    // A missing file.
    let o = aqcast(&[
        "predict",
        "--model",
        "/nonexistent/m.txt",
        "--input",
        &fx("test_X_h1.csv.gz"),
    ]);
    assert_clean_failure(&o, &["/nonexistent/m.txt"]);
    // A non-number: file, line and column named.
    let mut lines: Vec<String> = rows.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[2].split(',').map(String::from).collect();
    cells[3] = "fast".into();
    lines[2] = cells.join(",");
    let input = write(dir.path(), "bad.csv", &(lines.join("\n") + "\n"));
    let o = aqcast(&["predict", "--model", &model, "--input", &input]);
    assert_clean_failure(&o, &["bad.csv", "line 3", "column ws", "\"fast\""]);
    // Wrong columns.
    let input = write(dir.path(), "cols.csv", "a,b\n1,2\n");
    let o = aqcast(&["predict", "--model", &model, "--input", &input]);
    assert_clean_failure(&o, &["cols.csv", "hour"]);
    let o = aqcast(&[
        "predict",
        "--model",
        &fx("lightgbm_l2.txt"),
        "--input",
        &input,
    ]);
    assert_clean_failure(&o, &["cols.csv", "2 columns", "15"]);
    // A ragged row.
    let input = write(dir.path(), "ragged.csv", &format!("{}1,2\n", rows));
    let o = aqcast(&["predict", "--model", &model, "--input", &input]);
    assert_clean_failure(&o, &["ragged.csv", "line 5"]);
    // Malformed and truncated models.
    let garbage = write(dir.path(), "garbage.txt", "hello\n");
    let o = aqcast(&["predict", "--model", &garbage, "--input", &input]);
    assert_clean_failure(&o, &["garbage.txt", "unknown model format"]);
    let lgb = std::fs::read_to_string(fixtures().join("lightgbm_l2.txt")).unwrap();
    let cut = write(dir.path(), "cut.txt", &lgb[..lgb.len() / 2]);
    let o = aqcast(&["inspect", &cut]);
    assert_clean_failure(&o, &["cut.txt", "LightGBM"]);
    let aqm = dir.path().join("m.aqm");
    assert!(aqcast(&["import", &model, "-o", aqm.to_str().unwrap()])
        .status
        .success());
    let bytes = std::fs::read(&aqm).unwrap();
    let short = dir.path().join("short.aqm");
    std::fs::write(&short, &bytes[..bytes.len() - 10]).unwrap();
    let o = aqcast(&["inspect", short.to_str().unwrap()]);
    assert_clean_failure(&o, &["short.aqm", "truncated"]);
    let mut flipped = bytes.clone();
    let n = flipped.len() - 3;
    flipped[n] ^= 0x40;
    let bad = dir.path().join("flipped.aqm");
    std::fs::write(&bad, &flipped).unwrap();
    let o = aqcast(&["inspect", bad.to_str().unwrap()]);
    assert_clean_failure(&o, &["flipped.aqm", "checksum"]);
    // AQI requests the table does not define.
    assert_clean_failure(
        &aqcast(&["aqi", "--pollutant", "pm2.5", "-3"]),
        &["negative"],
    );
    assert_clean_failure(&aqcast(&["aqi", "--pollutant", "o3", "0.3"]), &["1-hour"]);
    assert_clean_failure(
        &aqcast(&["aqi", "--pollutant", "benzene", "1"]),
        &["benzene"],
    );
    assert_clean_failure(
        &aqcast(&["aqi", "--pollutant", "pm10", "--table", "2000", "1"]),
        &["2000"],
    );
    // A failed write leaves no file behind.
    let o = aqcast(&["import", &model, "-o", "/nonexistent-dir/x.aqm"]);
    assert_clean_failure(&o, &["/nonexistent-dir/x.aqm"]);
}

#[test]
fn spreadsheet_exports_and_broken_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let rows = String::from_utf8(aqcast_e2e_rows(3)).unwrap();
    // A CSV saved by a spreadsheet: UTF-8 byte-order mark and CRLF line ends.
    let crlf = format!("\u{feff}{}", rows.replace('\n', "\r\n"));
    let input = write(dir.path(), "excel.csv", &crlf);
    let plain = write(dir.path(), "plain.csv", &rows);
    let model = fx("xgboost_named.json");
    let a = aqcast(&["predict", "--model", &model, "--input", &input]);
    assert!(a.status.success(), "{}", stderr(&a));
    let b = aqcast(&["predict", "--model", &model, "--input", &plain]);
    assert_eq!(stdout(&a), stdout(&b));
    // A truncated gzip: a clear error, and no partial output.
    let gz = std::fs::read(fixtures().join("test_X_h1.csv.gz")).unwrap();
    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 3]).unwrap();
    let o = aqcast(&[
        "predict",
        "--model",
        &model,
        "--input",
        cut.to_str().unwrap(),
    ]);
    assert_clean_failure(&o, &["cut.csv.gz", "deflate"]);
    assert!(o.stdout.is_empty());
}

#[test]
fn huge_concentrations_are_hazardous_beyond_the_index_never_good() {
    // 1e17 µg/m³ used to wrap around to AQI 0, "Good"; then to saturate at AQI
    // 4294967295 and a concentration of 9.22e17. Beyond the table the index is
    // extrapolated (Hazardous); past 100 times the table's top it is refused.
    let aqi = |pollutant: &str, value: &str| {
        for averaging in ["1h", "24h", "8h"] {
            let o = aqcast(&[
                "aqi",
                "--pollutant",
                pollutant,
                "--averaging",
                averaging,
                value,
            ]);
            if o.status.success() || stderr(&o).contains("far beyond the index") {
                return o;
            }
        }
        panic!("{pollutant} {value}: no averaging takes it");
    };
    for (pollutant, value) in [
        ("pm2.5", "1000"),
        ("pm10", "5000"),
        ("o3", "5"),
        ("no2", "20000"),
    ] {
        let o = aqi(pollutant, value);
        let v: serde_json::Value = serde_json::from_str(&stdout(&o))
            .unwrap_or_else(|e| panic!("{pollutant} {value}: {e}: {}", stderr(&o)));
        assert_eq!(v["category"], "Hazardous", "{pollutant} {value}: {v}");
        assert_eq!(v["beyond_index"], true, "{pollutant} {value}: {v}");
        let n = v["aqi"].as_u64().unwrap();
        assert!(n > 500 && n < 100_000, "{pollutant} {value}: {v}");
    }
    for (pollutant, value) in [
        ("pm2.5", "1e17"),
        ("pm2.5", "1e12"),
        ("pm10", "1e300"),
        ("o3", "1e9"),
        ("no2", "1e15"),
        ("so2", "1e20"),
        ("co", "1e30"),
    ] {
        let o = aqi(pollutant, value);
        assert_eq!(o.status.code(), Some(2), "{pollutant} {value}");
        let err = stderr(&o);
        assert!(
            err.contains("far beyond the index") && err.contains("check the value and its unit"),
            "{pollutant} {value}: {err}"
        );
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn a_value_that_overflows_its_unit_conversion_is_quarantined_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "big.csv",
        "date,site,no2\n2003-01-01 00:00:00,A,1e308\n2003-01-01 01:00:00,A,12\n2003-01-01 02:00:00,A,-3\n",
    );
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&[
        "ingest",
        &csv,
        "--store",
        &store,
        "--map",
        "time=date",
        "--map",
        "site=site",
        "--map",
        "no2=no2:ug/m3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("beyond physical bounds") || out.contains("rejected"),
        "{out}"
    );
    let exported = stdout(&aqcast(&["export", "--store", &store]));
    assert!(!exported.to_lowercase().contains("inf"), "{exported}");
    assert_eq!(exported.trim().lines().count(), 2, "{exported}");
    let quarantine: String = std::fs::read_dir(dir.path().join("store"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("quarantine"))
        .flat_map(|e| walk(&e.path()))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(
        quarantine.contains("beyond physical bounds"),
        "{quarantine}"
    );
}

fn walk(p: &Path) -> Vec<PathBuf> {
    if !p.exists() {
        return Vec::new();
    }
    if p.is_dir() {
        std::fs::read_dir(p)
            .unwrap()
            .flatten()
            .flat_map(|e| walk(&e.path()))
            .collect()
    } else {
        vec![p.to_path_buf()]
    }
}

#[test]
fn read_only_commands_refuse_a_missing_store_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo-store");
    let m = missing.display().to_string();
    let cfg = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/canonical.toml");
    let cfg = cfg.display().to_string();
    for args in [
        vec!["export", "--store", &m],
        vec!["export", "--store", &m, "--summary"],
        vec!["features", "--config", &cfg, "--store", &m],
        vec!["train", "--config", &cfg, "--store", &m],
    ] {
        let o = aqcast(&args);
        assert_clean_failure(&o, &["no store at"]);
        assert!(!missing.exists(), "{args:?} created the store");
    }
}

#[test]
fn export_summary_quotes_site_ids_and_old_dates_keep_their_year() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "sites.csv",
        "date,site,pm10\n1965-03-01 00:00:00,\"a,b\",10\n1965-03-01 01:00:00,\"a,b\",11\n2001-01-01 00:00:00,plain,5\n",
    );
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&[
        "ingest",
        &csv,
        "--store",
        &store,
        "--map",
        "time=date",
        "--map",
        "site=site",
        "--map",
        "pm10=pm10:ug/m3",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    // Before 1970 the table and the manifest keep the date (they showed 1970-01-01).
    assert!(out.contains("1965-03-01T00:00:00Z"), "{out}");
    let manifest = std::fs::read_to_string(dir.path().join("store/manifest.json")).unwrap();
    assert!(manifest.contains("1965-03-01T00:00:00Z"), "{manifest}");
    let summary = stdout(&aqcast(&["export", "--store", &store, "--summary"]));
    let mut r = csv::Reader::from_reader(summary.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 2, "{summary}");
    assert!(rows.iter().all(|x| x.len() == 5), "{summary}");
    assert!(
        rows.iter().any(|x| &x[0] == "a,b" && &x[2] == "2"),
        "{summary}"
    );
}

#[test]
fn a_feature_column_given_twice_is_an_error_not_the_first_one() {
    let dir = tempfile::tempdir().unwrap();
    let names = "hour,dow,month,ws,wind_u,wind_v,air_temp,no2_lag0,no2_lag1,no2_lag2,no2_lag3,no2_lag23,no2_lag167,no2_roll24,bg_no2";
    let aqm = dir.path().join("m.aqm").display().to_string();
    let o = aqcast(&[
        "import",
        &fx("lightgbm_l2.txt"),
        "-o",
        &aqm,
        "--feature-names",
        names,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let input = write(
        dir.path(),
        "dup.csv",
        &format!("{names},ws\n7,2,3,4.1,-2,1.5,6.5,41,38,35,30,44,39,37.5,20,9\n"),
    );
    let o = aqcast(&["predict", "--model", &aqm, "--input", &input]);
    assert_clean_failure(&o, &["two columns are named \"ws\""]);
    // And a model whose names repeat is refused on import.
    let o = aqcast(&[
        "import",
        &fx("lightgbm_l2.txt"),
        "-o",
        &aqm,
        "--feature-names",
        &names.replace("dow", "hour"),
    ]);
    assert_clean_failure(&o, &["must be distinct"]);
}

#[test]
fn numeric_settings_out_of_range_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs/canonical.toml"),
    )
    .unwrap();
    let table = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/data/reference_features.csv.gz")
        .display()
        .to_string();
    for (from, to, needle) in [
        (
            "max_bin = 255",
            "max_bin = 255\nthreads = 100000",
            "threads must be in 1..=256",
        ),
        (
            "utc_offset = 0",
            "utc_offset = 99999999999",
            "utc_offset must be within",
        ),
        ("lag = 167", "lag = 1000000000", "lag must be in 0..=10000"),
        ("step = 3600 ", "step = 0 ", "grid step must be"),
    ] {
        assert!(base.contains(from), "{from}");
        let path = write(dir.path(), "task.toml", &base.replacen(from, to, 1));
        let o = aqcast(&["train", "--config", &path, "--table", &table]);
        assert_clean_failure(&o, &[needle]);
    }
    // --threads on the command line too.
    let path = write(dir.path(), "task.toml", &base);
    let o = aqcast(&[
        "train",
        "--config",
        &path,
        "--table",
        &table,
        "--threads",
        "100000",
    ]);
    assert_clean_failure(&o, &["threads must be in 1..=256"]);
}

#[test]
fn every_error_is_one_line_naming_the_line_where_there_is_one() {
    let dir = tempfile::tempdir().unwrap();
    // A bad number on the command line (clap's errors are several lines).
    let o = aqcast(&["aqi", "--pollutant", "pm2.5", "abc"]);
    assert_clean_failure(&o, &["abc"]);
    // A truncated gzip, in ingest and in predict: one line with the line reached.
    let full = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/data/aurn_no2_2001_2003.csv.gz"),
    )
    .unwrap();
    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &full[..20_000]).unwrap();
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&["ingest", &cut.display().to_string(), "--store", &store]);
    assert_clean_failure(
        &o,
        &[
            "line ",
            "ends in the middle",
            "nothing of this file was stored",
        ],
    );
    let x = std::fs::read(fixtures().join("test_X_h1.csv.gz")).unwrap();
    let cut_x = dir.path().join("x.csv.gz");
    std::fs::write(&cut_x, &x[..3000]).unwrap();
    let o = aqcast(&[
        "predict",
        "--model",
        &fx("lightgbm_l2.txt"),
        "--input",
        &cut_x.display().to_string(),
    ]);
    assert_clean_failure(&o, &["line ", "truncated or damaged gzip"]);
}

#[test]
fn a_site_id_too_long_for_a_folder_name_loses_only_its_own_rows() {
    // 40 CJK characters: 360 bytes once encoded, beyond what a folder name holds. The
    // whole file used to be refused, other sites' rows included.
    let dir = tempfile::tempdir().unwrap();
    let long: String = "空気質観測所".repeat(7);
    let csv = write(
        dir.path(),
        "long.csv",
        &format!("date,site,no2\n2003-01-01 00:00:00,{long},12\n2003-01-01 00:00:00,short,13\n2003-01-01 01:00:00,{long},14\n"),
    );
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&[
        "ingest",
        &csv,
        "--store",
        &store,
        "--map",
        "time=date",
        "--map",
        "site=site",
        "--map",
        "no2=no2:ppb",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("site id too long"), "{out}");
    let exported = stdout(&aqcast(&["export", "--store", &store]));
    assert_eq!(exported.trim().lines().count(), 2, "{exported}");
    assert!(exported.contains("short"), "{exported}");
}

#[test]
fn a_file_that_gives_no_value_is_refused_loudly_and_can_be_taken_once_fixed() {
    // US dates (1/3/11) are not a timestamp aqcast reads by default: every row rejected.
    // That run used to say "taken" and exit 0, and the manifest then skipped the file
    // for good.
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "us.csv",
        "date,site,pm25\n1/3/11,A,12\n1/4/11,A,13\n",
    );
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&[
        "ingest",
        &csv,
        "--store",
        &store,
        "--map",
        "time=date",
        "--map",
        "site=site",
        "--map",
        "pm2.5=pm25:ug/m3",
    ]);
    assert_clean_failure(&o, &["no value could be taken", "2 bad timestamp"]);
    // Nothing of it in the store: no manifest entry, no quarantine file.
    let manifest =
        std::fs::read_to_string(dir.path().join("store/manifest.json")).unwrap_or_default();
    assert!(!manifest.contains("us.csv"), "{manifest}");
    assert!(walk(&dir.path().join("store/quarantine")).is_empty());
    // The same file with ISO dates (the fix a user makes) is taken.
    std::fs::write(&csv, "date,site,pm25\n2011-01-03,A,12\n2011-01-04,A,13\n").unwrap();
    let o = aqcast(&[
        "ingest",
        &csv,
        "--store",
        &store,
        "--map",
        "time=date",
        "--map",
        "site=site",
        "--map",
        "pm2.5=pm25:ug/m3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("taken"));
}

#[test]
fn us_dates_local_time_and_monitors_of_one_site_are_read_as_asked() {
    // An EPA daily PM2.5 file as people download it: dates like 1/3/11, two monitors (POC
    // 1 and 3) at one site. Every row was rejected as "bad timestamp" and the run said
    // "taken".
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "epa_daily.csv",
        "date,aqs_site_id,poc,daily_mean_pm2_5_concentration\n1/3/11,06-037-1103,1,12.5\n1/3/11,06-037-1103,3,13.1\n1/4/11,06-037-1103,1,9.0\n",
    );
    let store = dir.path().join("store").display().to_string();
    let map = [
        "--map",
        "time=date",
        "--map",
        "site=aqs_site_id",
        "--map",
        "poc=poc",
        "--map",
        "pm2.5=daily_mean_pm2_5_concentration:ug/m3",
    ];
    let mut args = vec![
        "ingest",
        csv.as_str(),
        "--store",
        store.as_str(),
        "--time-format",
        "%m/%d/%y",
    ];
    args.extend(map);
    let o = aqcast(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(" 3 ") && !out.contains("rejected values"),
        "{out}"
    );
    let exported = stdout(&aqcast(&["export", "--store", &store]));
    assert!(
        exported.contains("06-037-1103:1,pm2.5,2011-01-03 00:00:00,12.5"),
        "{exported}"
    );
    assert!(
        exported.contains("06-037-1103:3,pm2.5,2011-01-03 00:00:00,13.1"),
        "{exported}"
    );
    // A file in Beijing time (UTC+8): 08:00 local is midnight UTC.
    let bj = write(
        dir.path(),
        "beijing.csv",
        "time,site,pm25\n2015-01-01 08:00,Dongsi,80\n",
    );
    let store2 = dir.path().join("store2").display().to_string();
    let o = aqcast(&[
        "ingest",
        &bj,
        "--store",
        &store2,
        "--map",
        "time=time",
        "--map",
        "site=site",
        "--map",
        "pm2.5=pm25:ug/m3",
        "--time-format",
        "%Y-%m-%d %H:%M",
        "--utc-offset",
        "+08:00",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let exported = stdout(&aqcast(&["export", "--store", &store2]));
    assert!(
        exported.contains("Dongsi,pm2.5,2015-01-01 00:00:00,80"),
        "{exported}"
    );
    // A bad offset is one clear line.
    let o = aqcast(&[
        "ingest",
        &bj,
        "--store",
        &store2,
        "--map",
        "time=time",
        "--map",
        "pm2.5=pm25",
        "--utc-offset",
        "8 hours",
    ]);
    assert_clean_failure(&o, &["--utc-offset"]);
}

#[test]
fn an_airdata_daily_download_is_recognised_by_its_header() {
    // The CSV EPA's AirData site gives citizens ("Download Daily Data"), as it comes.
    let dir = tempfile::tempdir().unwrap();
    let header = "Date,Source,Site ID,POC,Daily Mean PM2.5 Concentration,Units,Daily AQI Value,Local Site Name,Daily Obs Count,Percent Complete,AQS Parameter Code,AQS Parameter Description,Method Code,CBSA Code,CBSA Name,State FIPS Code,State,County FIPS Code,County,Site Latitude,Site Longitude";
    let pm = write(
        dir.path(),
        "ad_viz_plotval_data.csv",
        &format!("{header}\n01/01/2024,AQS,060371103,1,11.2,ug/m3 LC,47,Los Angeles-North Main Street,1,100.0,88101,PM2.5 - Local Conditions,145,31080,\"Los Angeles-Long Beach-Anaheim, CA\",06,California,037,Los Angeles,34.066429,-118.226755\n01/02/2024,AQS,060371103,1,14.9,ug/m3 LC,61,Los Angeles-North Main Street,1,100.0,88101,PM2.5 - Local Conditions,145,31080,\"Los Angeles-Long Beach-Anaheim, CA\",06,California,037,Los Angeles,34.066429,-118.226755\n01/01/2024,AirNow,060371103,3,12.0,ug/m3 LC,50,Los Angeles-North Main Street,1,100.0,88101,PM2.5 - Local Conditions,209,31080,\"Los Angeles-Long Beach-Anaheim, CA\",06,California,037,Los Angeles,34.066429,-118.226755\n"),
    );
    let ozone = write(
        dir.path(),
        "ozone.csv",
        "Date,Source,Site ID,POC,Daily Max 8-hour Ozone Concentration,Units,Daily AQI Value,Local Site Name,Site Latitude,Site Longitude\n07/04/2024,AQS,060371103,1,0.071,ppm,101,Los Angeles-North Main Street,34.066429,-118.226755\n",
    );
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&["ingest", &pm, &ozone, "--store", &store]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("epa-airdata-daily"), "{out}");
    assert!(!out.contains("rejected values"), "{out}");
    let exported = stdout(&aqcast(&["export", "--store", &store]));
    assert!(
        exported.contains("060371103:1,pm2.5,2024-01-02 00:00:00,14.9"),
        "{exported}"
    );
    assert!(
        exported.contains("060371103:3,pm2.5,2024-01-01 00:00:00,12.0")
            || exported.contains("060371103:3,pm2.5,2024-01-01 00:00:00,12"),
        "{exported}"
    );
    // Ozone in ppm, stored in ppb.
    assert!(
        exported.contains("060371103:1,o3,2024-07-04 00:00:00,71"),
        "{exported}"
    );
    // The site's name and coordinates reach the station list.
    let o = aqcast(&["stations", "publish", "--store", &store]);
    assert!(o.status.success(), "{}", stderr(&o));
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("store/stations.json")).unwrap())
            .unwrap();
    let monitors = list["stations"].as_array().unwrap();
    assert_eq!(monitors.len(), 2, "{list}");
    for m in monitors {
        assert_eq!(m["name"], "Los Angeles-North Main Street", "{m}");
        assert_eq!(m["lat"], 34.066429, "{m}");
        assert_eq!(m["lon"], -118.226755, "{m}");
    }
}

#[test]
fn a_gzip_bomb_and_long_fields_stay_bounded() {
    use std::io::Write as _;
    // 8 MiB of zeros, gzipped to a few KB: one endless "line". Ingest used to buffer it
    // whole (a 1 GB one aborted at 5.2 GB); now it stops at 1 MiB with one line.
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("z.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::fast(),
    );
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..8 {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap();
    let bomb = bomb.display().to_string();
    let store = dir.path().join("store").display().to_string();
    let o = aqcast(&["ingest", &bomb, "--store", &store]);
    assert_clean_failure(&o, &["longer than 1048576 bytes"]);
    let o = aqcast(&[
        "predict",
        "--model",
        &fx("lightgbm_l2.txt"),
        "--input",
        &bomb,
    ]);
    assert_clean_failure(&o, &["longer than 1048576 bytes"]);
    // A 600 KB field is rejected with an excerpt, not copied whole into the quarantine.
    let long = "9".repeat(600_000) + "x";
    let csv = write(
        dir.path(),
        "long.csv",
        &format!("date,site,no2\n2003-01-01 00:00:00,A,{long}\n2003-01-01 01:00:00,A,12\n"),
    );
    let o = aqcast(&[
        "ingest",
        &csv,
        "--store",
        &store,
        "--map",
        "time=date",
        "--map",
        "site=site",
        "--map",
        "no2=no2:ppb",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q: Vec<PathBuf> = walk(&dir.path().join("store/quarantine"));
    assert_eq!(q.len(), 1, "{q:?}");
    let text = std::fs::read_to_string(&q[0]).unwrap();
    assert!(
        text.len() < 1_000 && text.contains("(600001 bytes)"),
        "{}",
        text.len()
    );
}

#[test]
fn local_times_in_a_named_time_zone_follow_its_summer_time() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "ny_local.csv",
        "site,time,no2\nny,2024-03-10 01:00:00,10\nny,2024-03-10 02:30:00,11\nny,2024-03-10 03:00:00,12\nny,2024-11-03 01:30:00,13\nny,2024-07-01 12:00:00,14\n",
    );
    let store = dir.path().join("store").display().to_string();
    let maps = [
        "--map",
        "site=site",
        "--map",
        "time=time",
        "--map",
        "no2=no2:ppb",
    ];
    let mut args = vec![
        "ingest",
        csv.as_str(),
        "--store",
        store.as_str(),
        "--timezone",
        "America/New_York",
    ];
    args.extend(maps);
    let o = aqcast(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    // 02:30 on the day summer time begins never happens: rejected, with its line.
    assert!(stdout(&o).contains("bad"), "{}", stdout(&o));
    let exported = stdout(&aqcast(&["export", "--store", &store]));
    for want in [
        "ny,no2,2024-03-10 06:00:00,10", // EST, UTC-5
        "ny,no2,2024-03-10 07:00:00,12", // EDT, UTC-4
        "ny,no2,2024-11-03 05:30:00,13", // 01:30 happens twice: the first (EDT)
        "ny,no2,2024-07-01 16:00:00,14",
    ] {
        assert!(exported.contains(want), "{want}\n{exported}");
    }
    assert!(!exported.contains(",11"), "{exported}");
    // A name that is not a zone, and a zone with an offset, are one-line errors.
    let mut bad = vec![
        "ingest",
        csv.as_str(),
        "--store",
        store.as_str(),
        "--timezone",
        "Mars/Olympus",
    ];
    bad.extend(maps);
    assert_clean_failure(&aqcast(&bad), &["not a time zone name"]);
    let mut both = vec![
        "ingest",
        csv.as_str(),
        "--store",
        store.as_str(),
        "--timezone",
        "UTC",
        "--utc-offset",
        "+01:00",
    ];
    both.extend(maps);
    assert_clean_failure(&aqcast(&both), &["--timezone"]);
}

#[test]
fn publishing_station_data_rewrites_only_the_stations_whose_data_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.display().to_string();
    let rows = |site: &str, hours: std::ops::Range<u32>| -> String {
        hours
            .map(|h| format!("2024-03-01 {h:02}:00:00,{site},{}\n", 10 + h))
            .collect()
    };
    let first = write(
        dir.path(),
        "first.csv",
        &format!("date,site,no2\n{}{}", rows("A", 0..10), rows("B", 0..10)),
    );
    let o = aqcast(&["ingest", &first, "--store", &s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = aqcast(&["stations", "publish", "--store", &s]);
    assert!(
        stdout(&o).contains("2 snapshots refreshed"),
        "{}",
        stdout(&o)
    );
    let snap =
        |site: &str| std::fs::read(store.join(format!("stations/{site}/recent.json"))).unwrap();
    let (a0, b0) = (snap("A"), snap("B"));
    // New hours at A only: the ingest refreshes A's snapshot and leaves B's alone.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = write(
        dir.path(),
        "second.csv",
        &format!("date,site,no2\n{}", rows("A", 10..12)),
    );
    let o = aqcast(&["ingest", &second, "--store", &s]);
    assert!(stdout(&o).contains("and 1 snapshots"), "{}", stdout(&o));
    assert_eq!(snap("B"), b0, "B's data did not change");
    assert_ne!(snap("A"), a0);
    let a: serde_json::Value = serde_json::from_slice(&snap("A")).unwrap();
    let t = aqcast_core::time::parse_datetime("2024-03-01 11:00:00").unwrap();
    assert_eq!(a["data_time"], t, "{a}");
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("stations.json")).unwrap()).unwrap();
    let ids: Vec<&str> = list["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["A", "B"]);
    // Nothing new: nothing rewritten; --full rewrites all.
    let o = aqcast(&["stations", "publish", "--store", &s]);
    assert!(
        stdout(&o).contains("0 snapshots refreshed"),
        "{}",
        stdout(&o)
    );
    let o = aqcast(&["stations", "publish", "--store", &s, "--full"]);
    assert!(
        stdout(&o).contains("2 snapshots refreshed"),
        "{}",
        stdout(&o)
    );
}
