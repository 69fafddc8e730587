//! Untrusted bytes as the body of `POST /v1/observations` (what a station's sensors push
//! to the edge worker): read by the worker's typed body parser, then each value checked
//! by the worker's rules (station id, variable, unit and physical bounds by the core's
//! tables, time: RFC 3339 or Unix seconds, on the hour, not in the future, not too old).
//! Either an error or a row; a panic is a crash. The first 8 bytes, when there are 8, are
//! the worker's clock (so times near every instant are tried).
#![no_main]

use aqcast_edge_worker::observations::{check, Push};
use aqcast_edge_worker::requests::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (now, body) = match data.split_first_chunk::<8>() {
        Some((clock, rest)) => (i64::from_le_bytes(*clock), rest),
        None => (1_765_000_000, data),
    };
    let Ok(push) = parse::<Push>(body, "a push") else {
        return;
    };
    for p in &push.observations {
        for max_age in [0, 86_400, 30 * 86_400, i64::MAX] {
            if let Ok(row) = check(p, now, max_age) {
                let _ = format!("{row:?}");
            }
        }
    }
});
