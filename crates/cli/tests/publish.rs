//! Models reaching people, as an operator meets it: `aqcast pipeline run` (ingest →
//! validate → train → publish → promote → station data, resumable), `aqcast publish`,
//! `aqcast models …`, `aqcast runs …`, `aqcast stations publish`, on a local folder and,
//! for the CLI's S3 path, on a real S3-compatible server.

use std::path::Path;

use aqcast_core::published::{layout, Registry, Snapshot, Stage, Stations};
use aqcast_core::Model;

#[path = "../../store/tests/common/mod.rs"]
mod s3;

mod common;
use common::{aqcast, ok, p, root, small_task, stations_task, DATA};

const AIRBASE: &str = "tests/fixtures/data/airbase_pm10_de_1998_2009.csv.gz";
const AIRBASE_STATIONS: &str = "tests/fixtures/data/airbase_pm10_de_stations.csv";

fn pipeline_toml(dir: &Path, pm10_task: &Path) -> std::path::PathBuf {
    let no2 = small_task(dir);
    let text = format!(
        r#"
[store]
location = "store"
work = "work"

[[ingest]]
files = [{aurn:?}]

[[ingest]]
files = [{airbase:?}]
map = ["site=code", "time=date", "pm10=pm10:ug/m3"]

[[models]]
name = "no2-72h"
task = {no2:?}

[[models]]
name = "pm10-de"
task = {pm10:?}

[promote]
metric = "skill"
margin = 0.0

[stations]
file = {stations:?}

[retry]
attempts = 2
first_seconds = 0.1
"#,
        aurn = p(&root().join(DATA)),
        airbase = p(&root().join(AIRBASE)),
        no2 = p(&no2),
        pm10 = p(pm10_task),
        stations = p(&root().join(AIRBASE_STATIONS)),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn registry(store: &Path, name: &str) -> Registry {
    Registry::from_json(&std::fs::read(store.join(layout::registry(name))).unwrap()).unwrap()
}

fn sha256_file(path: &Path) -> String {
    aqcast_core::published::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn the_pipeline_publishes_models_and_station_data_and_resumes_after_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let pm10_task = dir.path().join("pm10").join("forecast_de.toml");
    let config = pipeline_toml(dir.path(), &pm10_task);
    let cfg = p(&config);

    // The plan, and nothing run.
    let plan = ok(&aqcast(&["pipeline", "run", "--config", &cfg, "--dry-run"]));
    assert!(plan.contains("11 steps"), "{plan}");
    assert!(
        plan.contains("aqcast ingest") && plan.contains("aqcast train"),
        "{plan}"
    );
    assert!(!store.exists(), "a dry run writes nothing");

    // First run: the second model's task is not there yet; the pipeline stops there with
    // one clear error, after the first model is published.
    let o = aqcast(&["pipeline", "run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("forecast_de.toml"), "{err}");
    let first = String::from_utf8_lossy(&o.stdout);
    assert!(
        first.contains("no2-72h v1 promoted to production"),
        "{first}"
    );
    assert!(first.contains("FAILED"), "{first}");
    assert_eq!(registry(&store, "no2-72h").versions.len(), 1);

    // Fixed, re-run: what was done is skipped, the rest runs.
    std::fs::create_dir_all(pm10_task.parent().unwrap()).unwrap();
    std::fs::copy(stations_task(dir.path()), &pm10_task).unwrap();
    let second = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    for step in ["ingest:1", "ingest:2", "train:no2-72h", "publish:no2-72h"] {
        let line = second
            .lines()
            .find(|l| l.trim_start().starts_with(step))
            .unwrap();
        assert!(line.contains("skipped (done)"), "{step}: {line}\n{second}");
    }
    assert!(
        second.contains("pm10-de v1 promoted to production"),
        "{second}"
    );
    assert!(second.contains("published 71 stations"), "{second}");

    // The registry: both models in production, with provenance down to the data's hash.
    let no2 = registry(&store, "no2-72h");
    let v1 = no2.resolve("production").unwrap();
    assert_eq!(v1.kind, "forecast");
    assert_eq!(v1.stations, vec!["aurn_no2_2001_2003".to_string()]);
    assert_eq!(v1.metrics.per_step.len(), 72);
    assert!(v1.metrics.summary["coverage"] > 0.5);
    let data_hash = format!("sha256:{}", sha256_file(&root().join(DATA)));
    assert!(
        v1.provenance.data.iter().any(|d| d.hash == data_hash),
        "{:?}",
        v1.provenance.data
    );
    assert_eq!(
        v1.provenance.task_sha256.as_deref(),
        Some(sha256_file(&dir.path().join("forecast.toml")).as_str())
    );
    let artifact = store.join(&v1.model);
    assert_eq!(sha256_file(&artifact), v1.sha256);
    let list = ok(&aqcast(&["models", "list", "--store", &p(&store)]));
    assert!(
        list.contains("no2-72h") && list.contains("pm10-de"),
        "{list}"
    );

    // Station data: every station, its models, and a snapshot that is enough for the
    // forecast: the same numbers as forecasting from the whole store.
    let stations =
        Stations::from_json(&std::fs::read(store.join(layout::STATIONS)).unwrap()).unwrap();
    assert_eq!(stations.stations.len(), 71);
    let de = stations.get("DEBY047").unwrap();
    assert_eq!(de.models, vec!["pm10-de".to_string()]);
    assert!(de.lat.is_some() && de.lon.is_some());
    let aurn = stations.get("aurn_no2_2001_2003").unwrap();
    assert_eq!(aurn.models, vec!["no2-72h".to_string()]);
    let snap = Snapshot::from_json(&std::fs::read(store.join(&aurn.snapshot)).unwrap()).unwrap();
    let bytes = std::fs::read(&artifact).unwrap();
    let model = Model::decode(&bytes).unwrap();
    // The snapshot holds the version's bands, tracked over the station's whole record:
    // with them, its recent data give the forecast the CLI replays from the store.
    let sha = aqcast_core::published::sha256_hex(&bytes);
    let tracked = snap.tracked_for("no2-72h", &sha).expect("tracked bands");
    assert!(tracked.outcomes > 100_000, "{}", tracked.outcomes);
    assert!(snap.tracked_for("no2-72h", &"0".repeat(64)).is_none());
    let from_snapshot = model
        .forecaster()
        .unwrap()
        .forecast_with(
            &snap.series(),
            None,
            Some("aurn_no2_2001_2003"),
            Some(tracked),
        )
        .unwrap();
    assert_eq!(from_snapshot.tracked, Some(tracked.outcomes));
    let cli: serde_json::Value = serde_json::from_str(&ok(&aqcast(&[
        "forecast",
        "--model",
        &p(&artifact),
        "--store",
        &p(&store),
        "--json",
    ])))
    .unwrap();
    assert_eq!(from_snapshot.origin, cli["origin"].as_i64().unwrap());
    for (s, c) in from_snapshot
        .steps
        .iter()
        .zip(cli["steps"].as_array().unwrap())
    {
        assert_eq!(s.p50, c["p50"].as_f64().unwrap(), "step {}", s.step);
        assert_eq!(s.p90, c["p90"].as_f64().unwrap(), "step {}", s.step);
    }

    // Run records: both trainings, with their data by hash.
    let runs = ok(&aqcast(&["runs", "list", "--store", &p(&store)]));
    assert_eq!(
        runs.lines()
            .filter(|l| l.contains(" train ") && l.contains(" ok "))
            .count(),
        2,
        "{runs}"
    );
    let id = runs
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&aqcast(&["runs", "show", id, "--store", &p(&store)]))).unwrap();
    assert_eq!(shown["status"], "ok");
    assert!(shown["data"][0]["hash"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    // A third run with nothing new: everything skipped but the station data.
    let third = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    assert_eq!(third.matches("skipped (done)").count(), 10, "{third}");

    // A changed task: retrained, published as v2, and promoted only if it beats v1.
    let task = dir.path().join("forecast.toml");
    let text = std::fs::read_to_string(&task)
        .unwrap()
        .replace("trees = 25", "trees = 8");
    std::fs::write(&task, text).unwrap();
    let fourth = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    let no2 = registry(&store, "no2-72h");
    assert_eq!(no2.versions.len(), 2);
    let (s1, s2) = (
        no2.versions[0].metrics.summary["skill"],
        no2.versions[1].metrics.summary["skill"],
    );
    if s2 > s1 {
        assert!(
            fourth.contains("no2-72h v2 promoted to production"),
            "{fourth}"
        );
        assert_eq!(no2.versions[1].stage, Stage::Production);
        assert_eq!(no2.versions[0].stage, Stage::Archived);
    } else {
        assert!(fourth.contains("no2-72h v2 stays in staging"), "{fourth}");
        assert_eq!(no2.versions[1].stage, Stage::Staging);
        assert_eq!(no2.versions[0].stage, Stage::Production);
    }
    let cmp = ok(&aqcast(&[
        "models",
        "compare",
        "no2-72h",
        "1",
        "2",
        "--store",
        &p(&store),
    ]));
    assert!(cmp.contains("v1") && cmp.contains("v2"), "{cmp}");
    assert_eq!(
        cmp.lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .count(),
        72,
        "{cmp}"
    );

    // A later ingest refreshes the station data published from this store: the new hour
    // is in the snapshot, and the coordinates stay.
    let later = dir.path().join("later.csv");
    std::fs::write(
        &later,
        "site,time,no2\naurn_no2_2001_2003,2004-01-01 00:00:00,31.5\n",
    )
    .unwrap();
    let o = ok(&aqcast(&[
        "ingest",
        &p(&later),
        "--store",
        &p(&store),
        "--map",
        "site=site",
        "--map",
        "time=time",
        "--map",
        "no2=no2:ppb",
    ]));
    // Only the station with new data gets a new snapshot.
    assert!(
        o.contains("refreshed the station list and 1 snapshots"),
        "{o}"
    );
    let stations =
        Stations::from_json(&std::fs::read(store.join(layout::STATIONS)).unwrap()).unwrap();
    let aurn = stations.get("aurn_no2_2001_2003").unwrap();
    assert_eq!(aurn.data_time, Some(1_072_915_200));
    assert!(stations.get("DEBY047").unwrap().lat.is_some());
    let snap = Snapshot::from_json(&std::fs::read(store.join(&aurn.snapshot)).unwrap()).unwrap();
    assert!(snap
        .observations
        .iter()
        .any(|o| o.variable == "no2" && o.time == 1_072_915_200 && o.value == 31.5));

    // New data alone does not retrain a model trained less than `retrain_days` ago; a
    // model without it is retrained.
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "\n\n[[models]]\nname = \"pm10-de\"",
        "\nretrain_days = 7\n\n[[models]]\nname = \"pm10-de\"",
        1,
    );
    assert!(text.contains("retrain_days = 7"), "{text}");
    std::fs::write(&config, text).unwrap();
    let fifth = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    for (step, skipped) in [
        ("validate:no2-72h", true),
        ("train:no2-72h", true),
        ("train:pm10-de", false),
    ] {
        let line = fifth
            .lines()
            .find(|l| l.trim_start().starts_with(step))
            .unwrap();
        assert_eq!(
            line.contains("skipped (done)"),
            skipped,
            "{step}: {line}\n{fifth}"
        );
    }

    // A trained model deleted from the work folder: trained again, even within
    // `retrain_days` (not stuck until --force).
    let artifact = dir.path().join("work/no2-72h/model.aqm");
    std::fs::remove_file(&artifact).unwrap();
    let sixth = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    let line = sixth
        .lines()
        .find(|l| l.trim_start().starts_with("train:no2-72h"))
        .unwrap();
    assert!(!line.contains("skipped"), "{line}\n{sixth}");
    assert!(artifact.exists());
}

#[test]
fn registry_commands_fail_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = p(&dir.path().join("store"));
    let junk = dir.path().join("junk.aqm");
    std::fs::write(&junk, b"not a model").unwrap();
    let model = dir.path().join("model.aqm");
    ok(&aqcast(&[
        "import",
        &p(&root().join("tests/fixtures/models/lightgbm_l2.txt")),
        "-o",
        &p(&model),
        "--name",
        "no2-h1",
    ]));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "models".into(),
                "list".into(),
                "--store".into(),
                p(&dir.path().join("typo")),
            ],
            "no store at",
        ),
        (
            vec![
                "publish".into(),
                p(&junk),
                "--name".into(),
                "no2".into(),
                "--store".into(),
                store.clone(),
            ],
            "refusing to publish",
        ),
        (
            vec![
                "publish".into(),
                p(&model),
                "--name".into(),
                "../up".into(),
                "--store".into(),
                store.clone(),
            ],
            "cannot name objects",
        ),
        (
            vec![
                "publish".into(),
                p(&model),
                "--name".into(),
                "no2".into(),
                "--stage".into(),
                "live".into(),
                "--store".into(),
                store.clone(),
            ],
            "not a stage",
        ),
    ];
    for (args, want) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = aqcast(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
    assert!(!dir.path().join("typo").exists());
    ok(&aqcast(&[
        "publish",
        &p(&model),
        "--name",
        "no2",
        "--store",
        &store,
    ]));
    for (args, want) in [
        (vec!["models", "show", "nothing"], "no model named"),
        (
            vec!["models", "promote", "no2", "7", "--to", "staging"],
            "no version",
        ),
        (vec!["models", "tag", "no2", "1", "production"], "selector"),
        (vec!["runs", "show", "../x"], "not a run id"),
    ] {
        let mut args = args;
        args.extend(["--store", &store]);
        let o = aqcast(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // The artifact corrupted in the store: `models get` says so and writes nothing.
    let doc = registry(Path::new(&store), "no2");
    let key = Path::new(&store).join(&doc.versions[0].model);
    let mut bytes = std::fs::read(&key).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&key, bytes).unwrap();
    let out = dir.path().join("got.aqm");
    let o = aqcast(&[
        "models",
        "get",
        "no2",
        "latest",
        "-o",
        &p(&out),
        "--store",
        &store,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("SHA-256"), "{err}");
    assert!(!out.exists());
}

#[test]
fn the_cli_shares_a_data_store_and_publishes_models_on_an_s3_server() {
    // The S3 server the store crate's tests use (moto, stopped by PID when dropped).
    let Some(bin) = s3::moto_binary() else { return };
    let server = s3::Moto::start(&bin, false);
    let port = server.port;
    for bucket in ["models", "shared-data"] {
        server.bucket(bucket);
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.aqm");
    ok(&aqcast(&[
        "import",
        &p(&root().join("tests/fixtures/models/lightgbm_l2.txt")),
        "-o",
        &p(&model),
        "--name",
        "no2-h1",
    ]));
    // Each "machine" has its own local mirror of the shared data store.
    let on = |machine: &str, args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aqcast"))
            .args(args)
            .env("AQCAST_CACHE", dir.path().join(machine))
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let aurn = p(&root().join(DATA));
    let airbase = p(&root().join(AIRBASE));
    let maps = [
        "--map",
        "site=code",
        "--map",
        "time=date",
        "--map",
        "pm10=pm10:ug/m3",
    ];
    // Two machines ingest one file each into the bucket; a third reads both, and sees what
    // a local store holding both files holds.
    ok(&on(
        "a",
        &["ingest", &aurn, "--store", "s3://shared-data/store"],
    ));
    let mut args = vec![
        "ingest",
        airbase.as_str(),
        "--store",
        "s3://shared-data/store",
    ];
    args.extend(maps);
    ok(&on("b", &args));
    let shared = ok(&on(
        "c",
        &["export", "--store", "s3://shared-data/store", "--summary"],
    ));
    let local = p(&dir.path().join("local"));
    ok(&aqcast(&["ingest", &aurn, "--store", &local]));
    let mut args = vec!["ingest", airbase.as_str(), "--store", local.as_str()];
    args.extend(maps);
    ok(&aqcast(&args));
    let expected = ok(&aqcast(&["export", "--store", &local, "--summary"]));
    assert_eq!(shared, expected);
    assert_eq!(shared.lines().count(), 76, "{shared}");
    // The first machine catches up on the second's file when it next reads.
    let a = ok(&on(
        "a",
        &[
            "export",
            "--store",
            "s3://shared-data/store",
            "--site",
            "DEBY047",
        ],
    ));
    assert!(a.lines().count() > 1000, "{a}");
    // Taking a file again on another machine changes nothing.
    let again = ok(&on(
        "c",
        &["ingest", &aurn, "--store", "s3://shared-data/store"],
    ));
    assert!(
        again.contains("skipped") || again.contains("already"),
        "{again}"
    );
    assert_eq!(
        ok(&on(
            "b",
            &["export", "--store", "s3://shared-data/store", "--summary"]
        )),
        expected
    );

    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aqcast"))
            .args(args)
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    };
    let out = ok(&run(&[
        "publish",
        &p(&model),
        "--name",
        "no2-h1",
        "--store",
        "s3://models/team-a",
    ]));
    assert!(out.contains("published no2-h1 version 1"), "{out}");
    assert!(out.contains("s3://models/team-a/models/no2-h1/"), "{out}");
    ok(&run(&[
        "models",
        "promote",
        "no2-h1",
        "1",
        "--to",
        "production",
        "--store",
        "s3://models/team-a",
    ]));
    let list = ok(&run(&["models", "list", "--store", "s3://models/team-a"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("no2-h1") && l.contains("v1")),
        "{list}"
    );
    let got = dir.path().join("got.aqm");
    ok(&run(&[
        "models",
        "get",
        "no2-h1",
        "production",
        "-o",
        &p(&got),
        "--store",
        "s3://models/team-a",
    ]));
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&model).unwrap());
}
