//! The registry, publishing and run records, run as one suite against a local folder and
//! against a real S3-compatible server (moto) on 127.0.0.1; and what happens when things
//! fail: the server stopped mid-upload or mid-registration, wrong credentials, a full or
//! read-only local store, corrupted objects. Each failure must give a clear error, leave
//! no half-published model and the registry as it was.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aqcast_core::published::{layout, Registry, Stage};
use aqcast_store::publish::{publish, Upload};
use aqcast_store::{registry, runs, Error, Objects};

use common::{models, moto_binary, DyingProxy, Moto};

fn upload(name: &str, model: &[u8], stage: Stage) -> Upload {
    Upload {
        name: name.into(),
        model: model.to_vec(),
        report_json: Some(b"{\"rmse\": 1}".to_vec()),
        report_html: None,
        stage,
    }
}

/// Opens a store: a folder, or a bucket of the given server.
fn open(location: &str, s3: &[(&'static str, String)]) -> Objects {
    let s3: Vec<(&str, &str)> = s3.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Objects::open_with(location, &s3).expect("opens")
}

/// Everything the registry promises, against one store.
fn suite(location: &str, s3: &[(&'static str, String)]) {
    let objects = open(location, s3);
    let m = models(3);

    // Publish: uploaded under its hash, read back, registered in dev.
    let p = publish(&objects, upload("no2", &m[0], Stage::Dev)).expect("publishes");
    assert!(p.new);
    assert_eq!(p.version.version, 1);
    assert_eq!(p.version.stage, Stage::Dev);
    assert_eq!(p.version.model, layout::model("no2", &p.version.sha256));
    assert_eq!(p.version.metrics.per_step[0].rmse, 10.0);
    let bytes = registry::fetch_model(&objects, &p.version).expect("fetches");
    assert_eq!(bytes, m[0]);
    let report = p.version.report.clone().expect("a report key");
    registry::fetch_verified(&objects, &report, &p.version.hashes[&report]).expect("report");
    // The same bytes again: the same version, nothing new.
    let again = publish(&objects, upload("no2", &m[0], Stage::Dev)).expect("republishes");
    assert!(!again.new);
    assert_eq!(again.version.version, 1);

    // Stages, tags, selectors.
    publish(&objects, upload("no2", &m[1], Stage::Staging)).expect("v2");
    assert_eq!(
        registry::promote(&objects, "no2", "1", Stage::Production, Some("first")).expect("promote"),
        1
    );
    assert_eq!(
        registry::promote(&objects, "no2", "staging", Stage::Production, None).expect("promote"),
        2
    );
    let doc = registry::get(&objects, "no2").expect("doc");
    assert_eq!(doc.resolve("production").expect("prod").version, 2);
    assert_eq!(
        doc.version(1).expect("v1").stage,
        Stage::Archived,
        "production has one version"
    );
    registry::tag(&objects, "no2", "v1", "best-2003", false).expect("tag");
    let doc = registry::get(&objects, "no2").expect("doc");
    assert_eq!(doc.resolve("best-2003").expect("tag").version, 1);
    assert!(matches!(
        registry::promote(&objects, "no2", "9", Stage::Staging, None),
        Err(Error::Registry(_))
    ));
    assert!(matches!(
        registry::promote(&objects, "nothing", "1", Stage::Staging, None),
        Err(Error::Registry(_))
    ));
    assert_eq!(
        registry::names(&objects).expect("names"),
        vec!["no2".to_string()]
    );

    // A model that is not a model is refused before anything is written.
    let before = registry::get(&objects, "no2").expect("doc");
    assert!(matches!(
        publish(&objects, upload("no2", b"not a model", Stage::Dev)),
        Err(Error::Registry(_))
    ));
    assert!(matches!(
        publish(&objects, upload("../x", &m[2], Stage::Dev)),
        Err(Error::Registry(_))
    ));
    assert_eq!(registry::get(&objects, "no2").expect("doc"), before);

    // Run records.
    let mut r = runs::RunRecord::start("train", "no2");
    r.status = "ok".into();
    r.metrics.insert("rmse".into(), 3.5);
    runs::write(&objects, &r).expect("records");
    assert!(
        runs::write(&objects, &r).is_err(),
        "a run id is recorded once"
    );
    let all = runs::list(&objects).expect("lists");
    assert_eq!(all, vec![r.clone()]);
    assert_eq!(runs::get(&objects, &r.id).expect("gets"), r);
    assert!(runs::get(&objects, "../../etc").is_err());

    // Corruption is caught: a changed byte in an artifact, a broken registry document
    // (which is then not overwritten: the update refuses).
    let v1 = registry::get(&objects, "no2")
        .expect("doc")
        .version(1)
        .cloned()
        .expect("v1");
    let mut bad = m[0].clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    objects.put(&v1.model, bad).expect("corrupts");
    let e = registry::fetch_model(&objects, &v1).expect_err("corrupt");
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("SHA-256"), "{e}");
    // Publishing the same bytes again repairs the object.
    publish(&objects, upload("no2", &m[0], Stage::Dev)).expect("repairs");
    assert_eq!(
        registry::fetch_model(&objects, &v1).expect("repaired"),
        m[0]
    );
    let good = objects.get_required(&layout::registry("no2")).expect("doc");
    objects
        .put(
            &layout::registry("no2"),
            b"{\"format\": 1, \"name\": ".to_vec(),
        )
        .expect("breaks");
    let e = registry::promote(&objects, "no2", "1", Stage::Staging, None).expect_err("corrupt doc");
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    assert_eq!(
        objects.get_required(&layout::registry("no2")).expect("doc"),
        b"{\"format\": 1, \"name\": ".to_vec(),
        "a broken document is left for a person to look at, not overwritten"
    );
    objects
        .put(&layout::registry("no2"), good)
        .expect("restores");
}

/// Many publishers and promoters at once on one model name: every update lands, and every
/// read in between sees a whole, valid document.
fn concurrency(location: &str, s3: &[(&'static str, String)]) {
    const N: usize = 12;
    let m = models(N);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (location, s3, done) = (location.to_string(), s3.to_vec(), done.clone());
        std::thread::spawn(move || {
            let objects = open(&location, &s3);
            let mut reads = 0;
            while !done.load(Ordering::SeqCst) {
                if let Some(f) = objects.get(&layout::registry("race")).expect("reads") {
                    Registry::from_json(&f.bytes).expect("always a valid document");
                    reads += 1;
                }
            }
            reads
        })
    };
    let workers: Vec<_> = m
        .into_iter()
        .enumerate()
        .map(|(i, model)| {
            let (location, s3) = (location.to_string(), s3.to_vec());
            std::thread::spawn(move || {
                let objects = open(&location, &s3);
                let p = publish(&objects, upload("race", &model, Stage::Dev)).expect("publishes");
                // Each publisher then promotes its own version to staging and tags it, while
                // the others publish and promote theirs.
                registry::promote(
                    &objects,
                    "race",
                    &p.version.version.to_string(),
                    Stage::Staging,
                    None,
                )
                .expect("promotes");
                registry::tag(
                    &objects,
                    "race",
                    &p.version.version.to_string(),
                    &format!("w{i}"),
                    false,
                )
                .expect("tags");
                p.version.sha256
            })
        })
        .collect();
    let shas: Vec<String> = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .collect();
    done.store(true, Ordering::SeqCst);
    let reads = reader.join().expect("reader");
    let objects = open(location, s3);
    let doc = registry::get(&objects, "race").expect("doc");
    doc.validate().expect("valid");
    assert_eq!(doc.versions.len(), N, "no publication lost");
    for (i, sha) in shas.iter().enumerate() {
        let v = doc.by_sha(sha).expect("every artifact registered");
        assert_eq!(v.stage, Stage::Staging, "no promotion lost");
        assert_eq!(v.tags, vec![format!("w{i}")], "no tag lost");
        assert_eq!(v.history.len(), 2);
    }
    assert_eq!(doc.revision, 3 * N as u64, "every update applied once");
    assert!(reads > 0);
}

#[test]
fn registry_on_a_local_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let location = dir.path().join("store").display().to_string();
    suite(&location, &[]);
    concurrency(&location, &[]);
}

#[test]
fn registry_on_an_s3_server() {
    let Some(bin) = moto_binary() else { return };
    let _one_at_a_time = common::s3_lock();
    let moto = Moto::start(&bin, false);
    moto.bucket("aqcast-test");
    let s3 = moto.settings();
    suite("s3://aqcast-test/suite", &s3);
    concurrency("s3://aqcast-test/race", &s3);
    // The prefix keeps stores apart in one bucket.
    let other = open("s3://aqcast-test/elsewhere", &s3);
    assert!(registry::names(&other).expect("lists").is_empty());
}

/// The server stops in the middle of the artifact's upload, then (another time) just as
/// the registry is written: a clear error, and the registry as it was.
#[test]
fn a_server_stopped_mid_publication_leaves_the_registry_unchanged() {
    let Some(bin) = moto_binary() else { return };
    let _one_at_a_time = common::s3_lock();
    let moto = Moto::start(&bin, false);
    moto.bucket("aqcast-test");
    let m = models(2);
    let direct = open("s3://aqcast-test/p", &moto.settings());
    publish(&direct, upload("no2", &m[0], Stage::Production)).expect("v1");
    let before = direct.get_required(&layout::registry("no2")).expect("doc");
    for (trigger, after) in [
        ("PUT /aqcast-test/p/models/", 3000),
        ("PUT /aqcast-test/p/registry/", 0),
    ] {
        let proxy = DyingProxy::start(moto.port, trigger, after);
        let mut s3 = moto.settings();
        s3[0].1 = format!("http://127.0.0.1:{}", proxy.port);
        let objects = open("s3://aqcast-test/p", &s3);
        let e = publish(&objects, upload("no2", &m[1], Stage::Dev)).expect_err("the server died");
        assert!(
            proxy.died.load(Ordering::SeqCst),
            "{trigger}: the proxy never saw it"
        );
        assert!(matches!(e, Error::Unavailable { .. }), "{trigger}: {e}");
        assert!(e.to_string().contains("s3://aqcast-test/p"), "{e}");
        assert_eq!(
            direct.get_required(&layout::registry("no2")).expect("doc"),
            before,
            "{trigger}: registry unchanged"
        );
        let sha = aqcast_core::published::sha256_hex(&m[1]);
        if let Some(f) = direct.get(&layout::model("no2", &sha)).expect("reads") {
            // An upload either lands whole (S3 PUTs are atomic) or not at all.
            assert_eq!(f.bytes, m[1], "{trigger}: no half-written artifact");
        }
    }
    // Once the server is back, the same publication succeeds.
    let p = publish(&direct, upload("no2", &m[1], Stage::Dev)).expect("publishes");
    assert_eq!(p.version.version, 2);
}

#[test]
fn wrong_credentials_and_missing_buckets_are_named() {
    let Some(bin) = moto_binary() else { return };
    let _one_at_a_time = common::s3_lock();
    let guarded = Moto::start(&bin, true);
    let objects = open("s3://aqcast-test/p", &guarded.settings());
    let e = publish(&objects, upload("no2", &models(1)[0], Stage::Dev)).expect_err("refused");
    assert!(matches!(e, Error::Denied { .. }), "{e}");
    assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");
    let open_server = Moto::start(&bin, false);
    let objects = open("s3://no-such-bucket/p", &open_server.settings());
    let e = registry::names(&objects).expect_err("no bucket");
    assert!(e.to_string().contains("bucket does not exist"), "{e}");
    let mut stopped = Moto::start(&bin, false);
    let objects = open("s3://aqcast-test/p", &stopped.settings());
    stopped.stop();
    let e = registry::names(&objects).expect_err("no server");
    assert!(matches!(e, Error::Unavailable { .. }), "{e}");
}

/// A tmpfs of `kb` KiB mounted at `dir`; `None` where this machine cannot mount.
struct Mount(std::path::PathBuf);

impl Mount {
    fn tmpfs(dir: &std::path::Path, kb: u32) -> Option<Mount> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kb}k"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }

    fn read_only(&self) {
        let ok = std::process::Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount read-only");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_or_read_only_local_store_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(mount) = Mount::tmpfs(dir.path(), 1024) else {
        eprintln!("skipped: this machine cannot mount a tmpfs (needs root)");
        return;
    };
    let location = dir.path().join("store").display().to_string();
    let objects = open(&location, &[]);
    let m = models(2);
    publish(&objects, upload("no2", &m[0], Stage::Dev)).expect("fits");
    let before = objects.get_required(&layout::registry("no2")).expect("doc");
    // Fill the disk: the next artifact cannot be written whole.
    let fill = dir.path().join("store").join("filler");
    let _ = std::fs::write(&fill, vec![0u8; 1024 * 1024]);
    let e = publish(&objects, upload("no2", &m[1], Stage::Dev)).expect_err("full");
    assert!(matches!(e, Error::Storage { .. }), "{e}");
    assert!(e.to_string().contains(&location), "{e}");
    assert_eq!(
        objects.get_required(&layout::registry("no2")).expect("doc"),
        before
    );
    let sha = aqcast_core::published::sha256_hex(&m[1]);
    assert!(
        objects
            .get(&layout::model("no2", &sha))
            .expect("reads")
            .is_none(),
        "no half-written artifact"
    );
    let leftovers: Vec<String> = objects
        .list("models/")
        .expect("lists")
        .into_iter()
        .filter(|k| k.contains(&sha))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_file(&fill).expect("frees");
    // Read-only: a promotion fails, and the registry is as it was.
    mount.read_only();
    let e = registry::promote(&objects, "no2", "1", Stage::Staging, None).expect_err("read-only");
    assert!(e.to_string().contains(&location), "{e}");
    assert_eq!(
        objects.get_required(&layout::registry("no2")).expect("doc"),
        before
    );
    drop(mount);
}
