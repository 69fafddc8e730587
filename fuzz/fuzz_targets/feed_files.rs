//! Untrusted bytes into the readers of what the live feeds download (crates/feeds): the
//! EEA's observation files (Parquet), its station metadata (a ZIP of CSV) and its URL
//! lists, AirNow's site list and hourly data files, OpenAQ v3's locations and sensor hours
//! (JSON) and UK-AIR's timeseries and their data (JSON). The first byte picks the reader.
//! Each returns rows or an error. A panic inside the Parquet decoder is caught by
//! `eea::read_rows` and made that file's error (so the panic hook here is silent); any
//! other panic escapes and is a crash.
#![no_main]

use std::sync::Once;

use aqcast_feeds::{airnow, eea, openaq, ukair};
use libfuzzer_sys::fuzz_target;

static QUIET: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    let url = reqwest::Url::parse("https://example.org/file").expect("a URL");
    match kind % 9 {
        0 => {
            if let Ok(rows) = eea::read_rows(bytes) {
                for r in &rows {
                    let _ = format!("{r:?}");
                }
            }
        }
        1 => {
            let _ = eea::read_metadata(bytes);
        }
        2 => {
            let _ = eea::read_urls(&String::from_utf8_lossy(bytes));
        }
        3 => {
            let _ = airnow::parse_sites(bytes, &url);
        }
        5 => {
            let parameters = ["pm25".to_string(), "no2".to_string(), "o3".to_string()];
            let _ = openaq::read_locations(&url, bytes, &parameters);
        }
        6 => {
            let _ = openaq::read_hours(&url, bytes, "openaq-1", "7");
        }
        7 => {
            let _ = ukair::read_series(&url, bytes);
        }
        8 => {
            let _ = ukair::read_data(&url, bytes, ("ukair-1", "5116"), ("no2", "µg/m³"));
        }
        _ => {
            let keep = |_: &str| true;
            let _ = airnow::parse_hourly(
                bytes,
                &url,
                &keep,
                &["PM2.5".into(), "NO2".into(), "OZONE".into()],
            );
        }
    }
});
