//! Feeds arbitrary bytes to `aqcast ingest` as a measurement file: format detection, every
//! format's record parser, unit conversion, de-duplication, quarantine and the store.
//! The first byte picks the file name (the format hint) and `--strict`; a file that is taken
//! must read back from the store.
#![no_main]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use aqcast_store::ingest::{self, Options};
use aqcast_store::data::Store;
use libfuzzer_sys::fuzz_target;

static RUN: AtomicU64 = AtomicU64::new(0);

const NAMES: [&str; 5] = [
    "measurements.csv",
    "HourlyData_2023010100.dat",
    "hourly_44201_2023.csv",
    "daily_88101_2023.csv",
    "location-1-20230101.csv.gz",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("aqcast-fuzz-{}", std::process::id()));
    let n = RUN.fetch_add(1, Ordering::Relaxed);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join(NAMES[sel as usize % NAMES.len()]);
    std::fs::write(&file, body).unwrap();
    let store = Store::open(&dir.join(format!("store-{n}")).display().to_string()).unwrap();
    let opts = Options {
        paths: vec![file],
        maps: vec![],
        site: None,
        strict: sel & 0x80 != 0,
        archive: None,
        clock: Default::default(),
    };
    if let Ok(outcomes) = ingest::run(&store, &opts) {
        let manifest = store.manifest().unwrap();
        for (site, variable, _) in store.partitions().unwrap() {
            let rows = store.read_series(&site, &variable, &manifest).unwrap();
            assert!(rows.iter().all(|r| r.1.is_finite()));
        }
        assert_eq!(outcomes.len(), 1);
    }
});
