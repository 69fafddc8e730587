//! What an attacker and a careless operator tried against the CLI (issue 27), each case
//! rebuilt as it was reported: S3 settings that panicked, outputs that replaced device
//! nodes and links, tags that read as selectors or hide characters, pipeline files that
//! misled the plan, publications that changed a name's meaning without a word.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{aqcast, ok, p, root};

/// Runs `aqcast` with the AWS environment replaced by `env`.
fn aqcast_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aqcast"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c.args(args).envs(env.iter().copied()).output().unwrap()
}

/// Asserts a refusal: exit 2, one line on stderr that contains `want`; returns it.
fn refused(o: &Output, want: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "want exit 2, {want:?}: {err}");
    assert!(err.contains(want), "want {want:?} in: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

fn import(dir: &Path, file: &str, target: &str) -> String {
    let out = dir.join(file);
    ok(&aqcast(&[
        "import",
        &p(&root().join("tests/fixtures/models/lightgbm_l2.txt")),
        "-o",
        &p(&out),
        "--target",
        target,
    ]));
    p(&out)
}

#[test]
fn a_bad_s3_endpoint_is_refused_by_name_and_never_panics() {
    let keys = [("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")];
    for endpoint in [
        "localhost:9000",
        "http://",
        "ftp://127.0.0.1:9",
        "not a url",
    ] {
        let mut env = keys.to_vec();
        env.push(("AWS_ENDPOINT_URL", endpoint));
        for args in [
            vec!["models", "list", "--store", "s3://bucket/x"],
            vec!["models", "show", "no2", "--store", "s3://bucket/x"],
        ] {
            let err = refused(&aqcast_env(&args, &env), "AWS_ENDPOINT_URL");
            assert!(err.contains(&format!("{endpoint:?}")), "{err}");
        }
    }
    // Empty (a CI secret that is not set) is unset, as the AWS tools read it: the request
    // goes to AWS itself and fails there (no network here, or a key AWS does not know),
    // as an error, not a panic.
    let mut env = keys.to_vec();
    env.push(("AWS_ENDPOINT_URL", ""));
    let o = aqcast_env(&["models", "list", "--store", "s3://bucket/x"], &env);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_s3_credentials_are_named_not_retried_as_an_outage() {
    let o = aqcast_env(
        &["models", "list", "--store", "s3://bucket/x"],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    let err = refused(&o, "no S3 credentials");
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
}

#[test]
fn a_missing_argument_is_named() {
    let o = aqcast(&["aqi", "12"]);
    refused(&o, "--pollutant");
}

#[test]
fn what_a_terminal_would_obey_is_escaped_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = p(&dir.path().join("store"));
    let model = import(dir.path(), "m.aqm", "no2");
    ok(&aqcast(&[
        "publish", &model, "--name", "no2", "--store", &store,
    ]));
    let o = aqcast(&[
        "models",
        "show",
        "no2",
        "x\u{1b}]0;owned\u{7}",
        "--store",
        &store,
    ]);
    let err = refused(&o, "\\u{1b}]0;owned\\u{7}");
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
}

#[test]
fn outputs_write_through_pipes_keep_links_and_refuse_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join("in.csv");
    std::fs::write(&csv, "date,site,no2\n2020-01-01 00:00,a,10\n").unwrap();
    let store = p(&d.join("store"));
    ok(&aqcast(&["ingest", &p(&csv), "--store", &store]));
    let export = |out: &Path| aqcast(&["export", "--store", &store, "-o", &p(out)]);

    // A link: the file it points to gets the rows, the link stays a link.
    std::fs::write(d.join("real.csv"), "old").unwrap();
    std::os::unix::fs::symlink(d.join("real.csv"), d.join("link.csv")).unwrap();
    ok(&export(&d.join("link.csv")));
    assert!(std::fs::symlink_metadata(d.join("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    let rows = std::fs::read_to_string(d.join("real.csv")).unwrap();
    assert!(rows.starts_with("site,variable,time,value"), "{rows}");

    // A named pipe: written through (a reader gets the rows), never replaced by a file.
    let fifo = d.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    ok(&export(&fifo));
    // Still a pipe (checked before waiting for the reader: had a file been renamed over
    // it, the reader would wait for ever on the pipe it opened).
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    let through = reader.join().unwrap();
    assert_eq!(through, rows);

    // `/dev/stdout` redirected to a file (`>> log`): appended to, never renamed over.
    let log = d.join("log.csv");
    std::fs::write(&log, "kept\n").unwrap();
    let appending = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_aqcast"))
        .args(["export", "--store", &store, "-o", "/dev/stdout"])
        .stdout(appending)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("kept\n{rows}")
    );

    // A folder, and a link to nothing: refused, nothing written.
    std::fs::create_dir(d.join("folder")).unwrap();
    refused(&export(&d.join("folder")), "a folder");
    std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling")).unwrap();
    refused(&export(&d.join("dangling")), "a symbolic link to nothing");
    assert!(!d.join("nowhere").exists());
}

#[test]
fn tags_that_read_as_selectors_or_hide_characters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = p(&dir.path().join("store"));
    let model = import(dir.path(), "m.aqm", "no2");
    ok(&aqcast(&[
        "publish", &model, "--name", "no2", "--store", &store,
    ]));
    for tag in [
        "v2",
        "V7",
        "latest",
        "../x",
        "/abs",
        "a\u{200b}b",
        "a\u{1b}[2J",
        "-x",
    ] {
        let o = aqcast(&["models", "tag", "no2", "1", tag, "--store", &store]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{tag:?} was taken: {err}");
        assert!(
            err.contains("selector") || err.contains("ASCII") || err.contains("unexpected"),
            "{tag:?}: {err}"
        );
    }
    let tag = |args: &[&str]| {
        let mut all = vec!["models", "tag", "no2", "1"];
        all.extend(args);
        all.extend(["--store", &store]);
        ok(&aqcast(&all))
    };
    assert!(tag(&["best-2003"]).contains("added"));
    assert!(tag(&["best-2003"]).contains("already there"));
    assert!(tag(&["best-2003", "--remove"]).contains("removed"));
    assert!(tag(&["best-2003", "--remove"]).contains("was not there"));
}

#[test]
fn a_name_keeps_its_meaning_and_a_published_version_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = p(&d.join("store"));
    let no2 = import(d, "no2.aqm", "no2");
    let pm10 = import(d, "pm10.aqm", "pm10");
    refused(
        &aqcast(&[
            "publish", &no2, "--name", "no2", "--stage", "archived", "--store", &store,
        ]),
        "cannot enter stage archived",
    );
    std::fs::write(d.join("no2.report.json"), br#"{"first":true}"#).unwrap();
    ok(&aqcast(&[
        "publish", &no2, "--name", "no2", "--store", &store,
    ]));
    // Another target under the same name: refused, the registry as it was.
    let err = refused(
        &aqcast(&["publish", &pm10, "--name", "no2", "--store", &store]),
        "publish it under another name",
    );
    assert!(err.contains("of no2") && err.contains("of pm10"), "{err}");
    // The same bytes again with another report and a stage: nothing replaced, and said so.
    std::fs::write(d.join("no2.report.json"), br#"{"second":true}"#).unwrap();
    let out = ok(&aqcast(&[
        "publish",
        &no2,
        "--name",
        "no2",
        "--stage",
        "production",
        "--store",
        &store,
    ]));
    assert!(out.contains("nothing new registered"), "{out}");
    assert!(out.contains("--stage production not applied"), "{out}");
    let doc = aqcast_core::published::Registry::from_json(
        &std::fs::read(d.join("store/registry/no2.json")).unwrap(),
    )
    .unwrap();
    let v = &doc.versions[0];
    assert_eq!(doc.versions.len(), 1);
    assert_eq!(v.stage, aqcast_core::published::Stage::Dev);
    let key = v.report.as_ref().unwrap();
    let stored = std::fs::read(d.join("store").join(key)).unwrap();
    assert_eq!(stored, br#"{"first":true}"#);
    assert_eq!(
        v.hashes[key],
        aqcast_core::published::sha256_hex(&stored),
        "the registry's hash is the stored report's"
    );
    // Archiving what serves leaves nothing in production: said, with what serves now.
    ok(&aqcast(&[
        "models",
        "promote",
        "no2",
        "1",
        "--to",
        "production",
        "--store",
        &store,
    ]));
    let out = ok(&aqcast(&[
        "models",
        "archive",
        "no2",
        "production",
        "--store",
        &store,
    ]));
    assert!(out.contains("every version of no2 is archived"), "{out}");
}

fn pipeline(dir: &Path, extra: &str) -> Output {
    let text = format!("[store]\nlocation = \"store\"\nwork = \"work\"\n{extra}\n",);
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    aqcast(&["pipeline", "run", "--config", &p(&path), "--dry-run"])
}

#[test]
fn a_pipeline_file_is_checked_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let task = p(&root().join("configs/forecast.toml"));
    for (extra, want) in [
        ("[retry]\nfirst_seconds = inf", "[retry] first_seconds = inf"),
        ("[retry]\nfirst_seconds = 1e300", "first_seconds"),
        ("[retry]\nattempts = 0", "[retry] attempts"),
        ("[promote]\nmetric = \"accuracy\"", "[promote] metric = \"accuracy\""),
        (
            &format!(
                "[[models]]\nname = \"a\"\ntask = {task:?}\n[[models]]\nname = \"a\"\ntask = {task:?}"
            ),
            "two [[models]] are named \"a\"",
        ),
    ] {
        refused(&pipeline(d, extra), want);
    }
    // A file whose name starts with '-' is a file, not an option of the inner ingest
    // (with the pipeline file named relative to the working folder, the name reaches
    // the inner command as written).
    let archive = d.join("moved");
    let o = pipeline(d, "[[ingest]]\nfiles = [\"--archive=moved\"]");
    let plan = ok(&o);
    assert!(plan.contains(" -- "), "{plan}");
    let o = Command::new(env!("CARGO_BIN_EXE_aqcast"))
        .args(["pipeline", "run", "--config", "pipeline.toml"])
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--archive="), "named as a file: {err}");
    assert!(!archive.exists(), "the option was obeyed: {err}");
}

#[test]
fn ingest_takes_regular_files_only_and_walks_each_folder_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("in");
    std::fs::create_dir_all(input.join("sub")).unwrap();
    std::fs::write(
        input.join("sub/a.csv"),
        "date,site,no2\n2020-01-01 00:00,a,10\n",
    )
    .unwrap();
    // Links back up the tree (twice, so a walk that follows them grows without end), a
    // pipe and a link to an endless device, named as inputs.
    std::os::unix::fs::symlink(&input, input.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(&input, input.join("loop2")).unwrap();
    let made = Command::new("mkfifo")
        .arg(input.join("pipe.csv"))
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", input.join("zero.csv")).unwrap();
    let store = p(&d.join("store"));
    // The file is taken once; the pipe and the device are refused (exit 2), not read.
    let o = aqcast(&["ingest", &p(&input), "--store", &store]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("not a regular file") && err.contains("the other files were taken"),
        "{err}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("a.csv").count(), 1, "{out}");
    assert!(out.contains("sub/a.csv"), "{out}");
    // Named on the command line, a pipe or a device is refused, not read for ever.
    for name in ["pipe.csv", "zero.csv"] {
        refused(
            &aqcast(&["ingest", &p(&input.join(name)), "--store", &store]),
            "not a regular file",
        );
    }
}

#[test]
fn ingest_refuses_a_file_of_endless_columns_and_clears_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let wide = d.join("wide.csv");
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    std::fs::write(
        &wide,
        format!("date,{}\n2020-01-01 00:00,1\n", header.join(",")),
    )
    .unwrap();
    let store = d.join("store");
    let err = refused(
        &aqcast(&["ingest", &p(&wide), "--store", &p(&store), "--strict"]),
        "100001 columns",
    );
    assert!(err.contains("at most 2000"), "{err}");
    // Parts of a file the manifest does not list, written long ago (a kill): removed by
    // the next ingest; a recent one (a writer still at work) is left.
    let csv = d.join("a.csv");
    std::fs::write(&csv, "date,site,no2\n2020-01-01 00:00,a,10\n").unwrap();
    ok(&aqcast(&["ingest", &p(&csv), "--store", &p(&store)]));
    let part = store.join("data/site=a/variable=no2");
    let old = part.join("0123456789abcdef-0.parquet");
    let new = part.join("fedcba9876543210-0.parquet");
    for f in [&old, &new] {
        std::fs::write(f, b"left by a killed run").unwrap();
    }
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    std::fs::write(&csv, "date,site,no2\n2020-01-01 01:00,a,11\n").unwrap();
    ok(&aqcast(&["ingest", &p(&csv), "--store", &p(&store)]));
    assert!(!old.exists(), "the old orphan stays");
    assert!(new.exists(), "a part being written was removed");
}

#[test]
fn a_model_file_that_inflates_without_end_is_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.aqm");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bomb).unwrap(),
        flate2::Compression::fast(),
    );
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..300 {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap();
    for args in [
        vec!["inspect", "BOMB"],
        vec!["publish", "BOMB", "--name", "x", "--store", "STORE"],
    ] {
        let store = p(&dir.path().join("store"));
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("BOMB", &p(&bomb)).replace("STORE", &store))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&aqcast(&args), "more than 256 MiB once decompressed");
    }
}

#[test]
fn a_mistyped_store_leaves_no_folder_behind() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    refused(
        &aqcast(&["stations", "publish", "--store", &p(&missing)]),
        "no store at",
    );
    assert!(!missing.exists(), "the folder was created");
}
