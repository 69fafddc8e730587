//! Prometheus metrics of this isolate (`GET /v1/metrics`): requests and latency by route
//! and status, model loads, cache hits, predicted rows and missing inputs per feature.
//! Workers run many isolates; each reports its own counters, with an `isolate` label, and
//! Prometheus sums them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write;

use aqcast_core::drift::Histogram;

use crate::store::Loaded;

/// Latency buckets, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Metrics {
    isolate: String,
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, ([u64; BUCKETS.len()], u64, f64)>,
    model_loads: u64,
    model_load_seconds: f64,
    cache_hits: u64,
    cache_misses: u64,
    rows: BTreeMap<String, u64>,
    missing: BTreeMap<(String, String), u64>,
    /// Per (model, version, feature): the training histogram and the counts seen.
    drift: BTreeMap<(String, u32, String), (Histogram, Vec<u64>)>,
}

thread_local! {
    static M: RefCell<Metrics> = RefCell::new(Metrics::default());
}

/// Records one request.
pub fn request(route: &str, status: u16, seconds: f64) {
    M.with(|m| {
        let mut m = m.borrow_mut();
        *m.requests.entry((route.to_string(), status)).or_default() += 1;
        let e = m
            .latency
            .entry(route.to_string())
            .or_insert(([0; BUCKETS.len()], 0, 0.0));
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                e.0[i] += 1;
            }
        }
        e.1 += 1;
        e.2 += seconds;
    });
}

/// Records a model load (fetch, verify, decode, compile).
pub fn model_load(ms: f64) {
    M.with(|m| {
        let mut m = m.borrow_mut();
        m.model_loads += 1;
        m.model_load_seconds += ms / 1000.0;
    });
}

/// Records a model cache lookup.
pub fn cache(hit: bool) {
    M.with(|m| {
        let mut m = m.borrow_mut();
        if hit {
            m.cache_hits += 1;
        } else {
            m.cache_misses += 1;
        }
    });
}

/// Records predicted rows: their missing inputs, and each input's bin in the model's
/// training histogram (for the PSI of what it is asked against what it learned from).
pub fn inputs(model: &Loaded, rows: &[Vec<f64>]) {
    let name = model.name.as_str();
    let features = &model.parts.features;
    M.with(|m| {
        let mut m = m.borrow_mut();
        *m.rows.entry(name.to_string()).or_default() += rows.len() as u64;
        for row in rows {
            for (f, v) in features.iter().zip(row) {
                if v.is_nan() {
                    *m.missing.entry((name.to_string(), f.clone())).or_default() += 1;
                }
            }
        }
        let Some(reference) = &model.reference else {
            return;
        };
        for (j, f) in features.iter().enumerate() {
            let Some(h) = reference.get(f) else {
                continue;
            };
            let key = (name.to_string(), model.version.version, f.clone());
            let entry = m
                .drift
                .entry(key)
                .or_insert_with(|| (h.clone(), vec![0; h.slots()]));
            for row in rows {
                if let Some(&v) = row.get(j) {
                    let b = entry.0.bin(v);
                    entry.1[b] += 1;
                }
            }
        }
    });
}

/// The size of the worker's WebAssembly memory, in bytes (0 natively).
fn wasm_memory() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65_536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus text exposition.
pub fn render() -> String {
    M.with(|m| {
        let mut m = m.borrow_mut();
        if m.isolate.is_empty() {
            m.isolate = format!("{:08x}", (js_sys::Math::random() * 4294967295.0) as u32);
        }
        let iso = m.isolate.clone();
        let mut out = String::new();
        let _ = writeln!(out, "# HELP aqcast_requests_total Requests answered, by route and status.");
        let _ = writeln!(out, "# TYPE aqcast_requests_total counter");
        for ((route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "aqcast_requests_total{{isolate=\"{iso}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
        let _ = writeln!(out, "# HELP aqcast_request_duration_seconds Request latency, by route.");
        let _ = writeln!(out, "# TYPE aqcast_request_duration_seconds histogram");
        for (route, (buckets, count, sum)) in &m.latency {
            let r = label(route);
            for (b, n) in BUCKETS.iter().zip(buckets) {
                let _ = writeln!(
                    out,
                    "aqcast_request_duration_seconds_bucket{{isolate=\"{iso}\",route=\"{r}\",le=\"{b}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "aqcast_request_duration_seconds_bucket{{isolate=\"{iso}\",route=\"{r}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "aqcast_request_duration_seconds_sum{{isolate=\"{iso}\",route=\"{r}\"}} {sum}");
            let _ = writeln!(out, "aqcast_request_duration_seconds_count{{isolate=\"{iso}\",route=\"{r}\"}} {count}");
        }
        let _ = writeln!(out, "# HELP aqcast_model_loads_total Model versions fetched, verified and compiled.");
        let _ = writeln!(out, "# TYPE aqcast_model_loads_total counter");
        let _ = writeln!(out, "aqcast_model_loads_total{{isolate=\"{iso}\"}} {}", m.model_loads);
        let _ = writeln!(out, "# HELP aqcast_model_load_seconds_total Time spent loading models.");
        let _ = writeln!(out, "# TYPE aqcast_model_load_seconds_total counter");
        let _ = writeln!(out, "aqcast_model_load_seconds_total{{isolate=\"{iso}\"}} {}", m.model_load_seconds);
        let _ = writeln!(out, "# HELP aqcast_model_cache_total Model cache lookups.");
        let _ = writeln!(out, "# TYPE aqcast_model_cache_total counter");
        let _ = writeln!(out, "aqcast_model_cache_total{{isolate=\"{iso}\",result=\"hit\"}} {}", m.cache_hits);
        let _ = writeln!(out, "aqcast_model_cache_total{{isolate=\"{iso}\",result=\"miss\"}} {}", m.cache_misses);
        let _ = writeln!(out, "# HELP aqcast_cache_bytes What this isolate's caches hold, as they are bounded (models: artifact bytes; snapshots: three times their bytes; answers and published forecasts: their bytes).");
        let _ = writeln!(out, "# TYPE aqcast_cache_bytes gauge");
        let cached = crate::store::cached();
        for (cache, bytes, _) in cached {
            let _ = writeln!(out, "aqcast_cache_bytes{{isolate=\"{iso}\",cache=\"{cache}\"}} {bytes}");
        }
        let _ = writeln!(out, "# HELP aqcast_cache_entries Entries in this isolate's caches.");
        let _ = writeln!(out, "# TYPE aqcast_cache_entries gauge");
        for (cache, _, n) in cached {
            let _ = writeln!(out, "aqcast_cache_entries{{isolate=\"{iso}\",cache=\"{cache}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP aqcast_wasm_memory_bytes This isolate's WebAssembly memory (it grows to the most the worker ever held at once, and never shrinks).");
        let _ = writeln!(out, "# TYPE aqcast_wasm_memory_bytes gauge");
        let _ = writeln!(out, "aqcast_wasm_memory_bytes{{isolate=\"{iso}\"}} {}", wasm_memory());
        let _ = writeln!(out, "# HELP aqcast_predicted_rows_total Rows predicted or explained, by model.");
        let _ = writeln!(out, "# TYPE aqcast_predicted_rows_total counter");
        for (model, n) in &m.rows {
            let _ = writeln!(out, "aqcast_predicted_rows_total{{isolate=\"{iso}\",model=\"{}\"}} {n}", label(model));
        }
        let _ = writeln!(out, "# HELP aqcast_missing_inputs_total Missing input values, by model and feature.");
        let _ = writeln!(out, "# TYPE aqcast_missing_inputs_total counter");
        for ((model, f), n) in &m.missing {
            let _ = writeln!(
                out,
                "aqcast_missing_inputs_total{{isolate=\"{iso}\",model=\"{}\",feature=\"{}\"}} {n}",
                label(model),
                label(f)
            );
        }
        let _ = writeln!(out, "# HELP aqcast_input_psi Population stability index of the inputs seen against the model's training rows, by feature (0.1: a shift, 0.25: another population).");
        let _ = writeln!(out, "# TYPE aqcast_input_psi gauge");
        for ((model, version, f), (h, counts)) in &m.drift {
            if let Some(psi) = h.psi(counts) {
                let _ = writeln!(
                    out,
                    "aqcast_input_psi{{isolate=\"{iso}\",model=\"{}\",version=\"{version}\",feature=\"{}\"}} {psi}",
                    label(model),
                    label(f)
                );
            }
        }
        out
    })
}
