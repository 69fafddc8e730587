//! `aqcast fetch`, as an operator runs it, against local servers that speak each source's
//! format (real HTTP over loopback): OpenAQ v3 (paged locations and hours, 429 with
//! reset headers, a 500, a body cut short, a slow answer), AirNow's files (hours not
//! published yet) and UK-AIR's timeseries. Every value is taken exactly once across runs,
//! and across a run killed in the middle.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::feed_server::{Reply, Request, Server};
use common::{aqcast, ok};

fn now_hour() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        / 3600
        * 3600
}

fn iso(t: i64) -> String {
    format!(
        "{}Z",
        aqcast_core::time::format_datetime(t).replacen(' ', "T", 1)
    )
}

/// (site, variable) → time → value, from `aqcast export`.
fn export(store: &str) -> BTreeMap<(String, String), BTreeMap<String, f64>> {
    let out = ok(&aqcast(&["export", "--store", store]));
    let mut m: BTreeMap<(String, String), BTreeMap<String, f64>> = BTreeMap::new();
    for line in out.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        m.entry((f[0].into(), f[1].into()))
            .or_default()
            .insert(f[2].into(), f[3].parse().unwrap());
    }
    m
}

/// Asserts that nothing was taken twice: the values the manifest says were stored are
/// the distinct values the store holds.
fn taken_once(store: &str) {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(store).join("manifest.json")).unwrap())
            .unwrap();
    let taken: u64 = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["observations"].as_u64().unwrap())
        .sum();
    let distinct: usize = export(store).values().map(BTreeMap::len).sum();
    assert_eq!(taken as usize, distinct, "values stored vs distinct values");
}

/// The hours (by start, Unix seconds) of an export series.
fn hours(series: &BTreeMap<String, f64>) -> Vec<i64> {
    series
        .keys()
        .map(|t| aqcast_core::time::parse_datetime(t).unwrap())
        .collect()
}

fn fetch(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aqcast"));
    c.arg("fetch").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run aqcast")
}

// ---------------------------------------------------------------------------------------
// OpenAQ v3
// ---------------------------------------------------------------------------------------

/// A sensor of the fake OpenAQ: its parameter, unit and hourly values (by the hour's
/// start).
struct Sensor {
    id: u64,
    location: u64,
    parameter: &'static str,
    units: &'static str,
    values: Vec<(i64, Option<f64>)>,
}

struct OpenAqData {
    sensors: Vec<Sensor>,
}

impl OpenAqData {
    /// Two locations: 101 with PM2.5 (µg/m³) and NO2 (ppm), 102 with O3 (ppm) and a
    /// temperature sensor aqcast does not follow. `hours` hours each, ending an hour ago,
    /// two of them null.
    fn new(hours: i64) -> OpenAqData {
        let end = now_hour() - 3600;
        let series = |seed: u64, scale: f64| -> Vec<(i64, Option<f64>)> {
            (0..hours)
                .map(|i| {
                    let t = end - (hours - 1 - i) * 3600;
                    let v = if i == 7 || i == 500 {
                        None
                    } else {
                        Some(((i as u64 * 7 + seed) % 23) as f64 * scale + scale)
                    };
                    (t, v)
                })
                .collect()
        };
        OpenAqData {
            sensors: vec![
                Sensor {
                    id: 1011,
                    location: 101,
                    parameter: "pm25",
                    units: "µg/m³",
                    values: series(3, 1.5),
                },
                Sensor {
                    id: 1012,
                    location: 101,
                    parameter: "no2",
                    units: "ppm",
                    values: series(5, 0.002),
                },
                Sensor {
                    id: 1021,
                    location: 102,
                    parameter: "o3",
                    units: "ppm",
                    values: series(11, 0.003),
                },
                Sensor {
                    id: 1022,
                    location: 102,
                    parameter: "temperature",
                    units: "c",
                    values: series(1, 1.0),
                },
            ],
        }
    }

    fn location(&self, id: u64) -> serde_json::Value {
        let (name, lat, lon) = match id {
            101 => ("Alpha Street", 51.5, -0.12),
            _ => ("Beta Park", 51.6, -0.1),
        };
        let sensors: Vec<serde_json::Value> = self
            .sensors
            .iter()
            .filter(|s| s.location == id)
            .map(|s| {
                serde_json::json!({"id": s.id, "name": format!("{} {}", s.parameter, s.units),
                    "parameter": {"id": 2, "name": s.parameter, "units": s.units, "displayName": null}})
            })
            .collect();
        serde_json::json!({
            "id": id, "name": name, "locality": "Testville", "timezone": "Europe/London",
            "country": {"id": 79, "code": "GB", "name": "United Kingdom"},
            "owner": {"id": 4, "name": "Test Council"}, "provider": {"id": 119, "name": "Test Network"},
            "isMobile": false, "isMonitor": true, "instruments": [{"id": 2, "name": "Government Monitor"}],
            "sensors": sensors,
            "coordinates": {"latitude": lat, "longitude": lon},
            "licenses": [{"id": 33, "name": "CC BY 4.0", "attribution": {"name": "Test Council", "url": null},
                "dateFrom": "2016-01-30", "dateTo": null}],
            "bounds": [lon, lat, lon, lat], "distance": null,
            "datetimeFirst": null, "datetimeLast": null
        })
    }

    /// Answers the API's requests.
    fn answer(&self, r: &Request) -> Reply {
        let meta = |page: usize, limit: usize, n: usize| {
            serde_json::json!({"name": "openaq-api", "website": "/", "page": page, "limit": limit,
                "found": if n == limit { serde_json::json!(format!(">{limit}")) } else { serde_json::json!(n) }})
        };
        if r.header("x-api-key") != Some("test-key") {
            return Reply::status(401, r#"{"detail":"Invalid credentials"}"#);
        }
        let limit: usize = r.q("limit").and_then(|v| v.parse().ok()).unwrap_or(100);
        let page: usize = r.q("page").and_then(|v| v.parse().ok()).unwrap_or(1);
        let parts: Vec<&str> = r.path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            ["v3", "locations"] => {
                let all = [self.location(101), self.location(102)];
                let results: Vec<_> = all
                    .iter()
                    .skip((page - 1) * limit)
                    .take(limit)
                    .cloned()
                    .collect();
                Reply::json(serde_json::json!({"meta": meta(page, limit, results.len()), "results": results}).to_string())
            }
            ["v3", "locations", id] => match id.parse::<u64>() {
                Ok(id @ (101 | 102)) => Reply::json(
                    serde_json::json!({"meta": meta(1, 100, 1), "results": [self.location(id)]})
                        .to_string(),
                ),
                _ => Reply::status(404, r#"{"detail":"Location not found"}"#),
            },
            ["v3", "sensors", id, "hours"] => {
                let Some(s) = self.sensors.iter().find(|s| s.id.to_string() == *id) else {
                    return Reply::status(404, r#"{"detail":"Sensor not found"}"#);
                };
                // Exclusive on the hour's end, as the API filters.
                let from = r
                    .q("datetime_from")
                    .and_then(aqcast_core::time::parse_datetime)
                    .unwrap_or(i64::MIN);
                let rows: Vec<serde_json::Value> = s
                    .values
                    .iter()
                    .filter(|(t, _)| t + 3600 > from)
                    .skip((page - 1) * limit)
                    .take(limit)
                    .map(|(t, v)| {
                        serde_json::json!({
                            "value": v,
                            "flagInfo": {"hasFlags": false},
                            "parameter": {"id": 2, "name": s.parameter, "units": s.units, "displayName": null},
                            "period": {"label": "1hour", "interval": "01:00:00",
                                "datetimeFrom": {"utc": iso(*t), "local": iso(*t)},
                                "datetimeTo": {"utc": iso(t + 3600), "local": iso(t + 3600)}},
                            "coordinates": null, "summary": null, "coverage": null
                        })
                    })
                    .collect();
                Reply::json(
                    serde_json::json!({"meta": meta(page, limit, rows.len()), "results": rows})
                        .to_string(),
                )
            }
            _ => Reply::status(404, r#"{"detail":"Not Found"}"#),
        }
    }
}

/// The misbehaviours of a run: each fires once, on the request it names.
#[derive(Default)]
struct Faults {
    seen: Mutex<HashMap<String, usize>>,
}

impl Faults {
    /// How many times a request for `key` came before this one.
    fn count(&self, key: &str) -> usize {
        let mut s = self.seen.lock().unwrap();
        let n = s.entry(key.to_string()).or_insert(0);
        *n += 1;
        *n - 1
    }
}

fn openaq_server(data: Arc<Mutex<OpenAqData>>, faults: bool) -> Server {
    let f = Arc::new(Faults::default());
    Server::start(move |r| {
        let key = format!("{}?page={}", r.path, r.q("page").unwrap_or("1"));
        let n = f.count(&key);
        if faults {
            match (key.as_str(), n) {
                // A rate limit: the client must wait for the reset, then go on.
                ("/v3/sensors/1011/hours?page=2", 0) => {
                    return Reply::Full(
                        429,
                        vec![
                            ("x-ratelimit-limit".into(), "60".into()),
                            ("x-ratelimit-used".into(), "60".into()),
                            ("x-ratelimit-remaining".into(), "0".into()),
                            ("x-ratelimit-reset".into(), "1".into()),
                        ],
                        br#"{"detail":"Too many requests"}"#.to_vec(),
                    )
                }
                // A server error, then a body cut short: both retried.
                ("/v3/sensors/1012/hours?page=1", 0) => {
                    return Reply::status(500, r#"{"detail":"database error"}"#)
                }
                ("/v3/sensors/1012/hours?page=1", 1) => {
                    let full = data.lock().unwrap().answer(r);
                    if let Reply::Full(_, _, body) = full {
                        let half = body.len() / 2;
                        return Reply::Truncated(body, half);
                    }
                }
                // A slow answer, past the client's timeout: retried.
                ("/v3/sensors/1021/hours?page=1", 0) => {
                    let full = data.lock().unwrap().answer(r);
                    return Reply::Slow(Duration::from_secs(4), Box::new(full));
                }
                _ => {}
            }
        }
        data.lock().unwrap().answer(r)
    })
}

/// What the fake holds for a followed sensor, as the store should have it: the hours with
/// a value (NO2 and O3 from ppm to ppb).
fn expected(data: &OpenAqData, sensor: u64) -> BTreeMap<i64, f64> {
    let s = data.sensors.iter().find(|s| s.id == sensor).unwrap();
    let k = if s.units == "ppm" { 1000.0 } else { 1.0 };
    s.values
        .iter()
        .filter_map(|(t, v)| v.map(|v| (*t, v * k)))
        .collect()
}

fn check_openaq(store: &str, data: &OpenAqData) {
    let got = export(store);
    for (site, var, sensor) in [
        ("openaq-101", "pm2.5", 1011),
        ("openaq-101", "no2", 1012),
        ("openaq-102", "o3", 1021),
    ] {
        let want = expected(data, sensor);
        let series = got
            .get(&(site.to_string(), var.to_string()))
            .unwrap_or_else(|| panic!("no {site} {var}: {:?}", got.keys()));
        assert_eq!(
            hours(series),
            want.keys().copied().collect::<Vec<_>>(),
            "{site} {var}"
        );
        for ((_, v), w) in series.iter().zip(want.values()) {
            assert!(
                (v - w).abs() < 1e-9 * w.abs().max(1.0),
                "{site} {var}: {v} vs {w}"
            );
        }
    }
    assert!(
        !got.keys().any(|(_, v)| v == "temp"),
        "a parameter not asked for is not taken"
    );
    taken_once(store);
}

#[test]
fn openaq_takes_every_value_once_through_pages_rate_limits_errors_and_slow_answers() {
    let data = Arc::new(Mutex::new(OpenAqData::new(1200)));
    let server = openaq_server(data.clone(), true);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let key = [("OPENAQ_API_KEY", "test-key")];
    let args = [
        "openaq",
        "--bbox",
        "-1,51,1,52",
        "--store",
        &store,
        "--base-url",
        &format!("{}v3/", server.url),
        "--days",
        "60",
        "--timeout",
        "2",
        "--json",
    ];
    let started = Instant::now();
    let first: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &key))).unwrap();
    // The rate limit's reset (1 s) was waited for; nothing failed.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(first["streams"], 3, "{first}");
    check_openaq(&store, &data.lock().unwrap());
    // 1,200 hours a sensor, 1,000 a page: two pages each, and both pages of the sensor
    // whose first page was cut short.
    let reqs = server.requests();
    assert!(reqs
        .iter()
        .any(|r| r.contains("/v3/sensors/1011/hours") && r.contains("page=2")));
    assert!(
        reqs.iter().all(|r| !r.contains("/sensors/1022/")),
        "temperature is not followed"
    );
    // The store says where the values came from: names, coordinates, network, licence.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(&store).join("manifest.json")).unwrap())
            .unwrap();
    let facts = &m["files"][0]["site_facts"]["openaq-101"];
    assert_eq!(facts["name"], "Alpha Street, Testville", "{facts}");
    assert_eq!(facts["lat"], 51.5);
    assert_eq!(facts["network"], "OpenAQ: Test Network");
    assert_eq!(facts["licence"], "CC BY 4.0");
    assert_eq!(facts["attribution"], "Test Council via OpenAQ");

    // Again: nothing new, nothing taken twice.
    let again: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &key))).unwrap();
    assert_eq!(
        (again["pages"].as_u64(), again["values"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    check_openaq(&store, &data.lock().unwrap());

    // New hours arrive: only they are asked for and taken.
    {
        let mut d = data.lock().unwrap();
        for s in &mut d.sensors {
            let last = s.values.last().unwrap().0;
            s.values.push((
                last + 3600,
                Some(42.0 / if s.units == "ppm" { 1000.0 } else { 1.0 }),
            ));
        }
    }
    let before = server.requests().len();
    let third: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &key))).unwrap();
    assert_eq!(third["values"], 3, "{third}");
    check_openaq(&store, &data.lock().unwrap());
    let asked: Vec<String> = server.requests()[before..].to_vec();
    for r in asked.iter().filter(|r| r.contains("/hours")) {
        assert!(!r.contains("page=2"), "only the new hour is asked for: {r}");
    }
}

#[test]
fn openaq_without_a_valid_key_is_one_clear_line() {
    let data = Arc::new(Mutex::new(OpenAqData::new(10)));
    let server = openaq_server(data, false);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let out = fetch(
        &[
            "openaq",
            "--locations",
            "101",
            "--store",
            &store,
            "--base-url",
            &format!("{}v3/", server.url),
        ],
        &[("OPENAQ_API_KEY", "wrong")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("401") && err.contains("API key"), "{err}");
    // An unknown location is a 404 that says so.
    let out = fetch(
        &[
            "openaq",
            "--locations",
            "999",
            "--store",
            &store,
            "--base-url",
            &format!("{}v3/", server.url),
        ],
        &[("OPENAQ_API_KEY", "test-key")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found (404)"), "{err}");
}

#[test]
fn a_fetch_killed_in_the_middle_loses_and_doubles_nothing() {
    let data = Arc::new(Mutex::new(OpenAqData::new(1200)));
    // The fourth request for hours hangs: the run is killed while it waits.
    let hang = Arc::new(AtomicUsize::new(0));
    let (d, h) = (data.clone(), hang.clone());
    let server = Server::start(move |r| {
        if r.path.ends_with("/hours") && h.fetch_add(1, Ordering::SeqCst) == 3 {
            return Reply::Slow(
                Duration::from_secs(120),
                Box::new(d.lock().unwrap().answer(r)),
            );
        }
        d.lock().unwrap().answer(r)
    });
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let args = [
        "fetch",
        "openaq",
        "--locations",
        "101,102",
        "--store",
        &store,
        "--base-url",
        &format!("{}v3/", server.url),
        "--days",
        "60",
        "--timeout",
        "300",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_aqcast"))
        .args(args)
        .env("OPENAQ_API_KEY", "test-key")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while hang.load(Ordering::SeqCst) < 4 {
        assert!(
            Instant::now() < until,
            "the run never reached the hanging request"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Some pages were taken and marked.
    let marks = std::fs::read_to_string(Path::new(&store).join("sources/openaq.json")).unwrap();
    assert!(marks.contains("sensor:1011"), "{marks}");
    // Run again (the hang is behind us): everything, once.
    let mut c = Command::new(env!("CARGO_BIN_EXE_aqcast"));
    let out = c
        .args(&args[..args.len() - 2])
        .env("OPENAQ_API_KEY", "test-key")
        .output()
        .unwrap();
    ok(&out);
    check_openaq(&store, &data.lock().unwrap());
}

// ---------------------------------------------------------------------------------------
// AirNow
// ---------------------------------------------------------------------------------------

const SITE_LIST: &str = "StationID|AQSID|FullAQSID|Parameter|MonitorType|SiteCode|SiteName|Status|AgencyID|AgencyName|EPARegion|Latitude|Longitude|Elevation|GMTOffset|CountryFIPS|CBSA_ID|CBSA_Name|StateAQSCode|StateAbbreviation|CountyAQSCode|CountyName
060990005|060990005|840060990005|O3|Permanent|0005|Modesto - 14th Street|Active|CA8|California Air Resources Board|R9|37.642165|-120.994212||-8.00|US|33700| Modesto, CA |06|CA|099|STANISLAUS
060990005|060990005|840060990005|PM2.5|Permanent|0005|Modesto - 14th Street|Active|CA8|California Air Resources Board|R9|37.642165|-120.994212||-8.00|US|33700| Modesto, CA |06|CA|099|STANISLAUS
061070006|061070006|840061070006|O3|Permanent|0006|Sequoia and Kings Canyon NP - Lower Kaweah|Active|NPS|National Park Service|USEPA|36.567200|-118.777199|1890.700|-8.00|US|47300| Visalia-Porterville, CA |06|CA|107|TULARE
CC0010102|000010102|124CC0010102|O3|Permanent|0102|St. John's|Active|NL1|Newfoundland & Labrador DEC|CA|47.560380|-52.711500|9.800|-3.50|CA|||00|CC|001|NEWFOUNDLAND
";

/// The hourly file of hour `t` (its start), `None` for hours not published yet.
fn airnow_hour(t: i64, published_until: i64) -> Option<String> {
    if t > published_until {
        return None;
    }
    let c = aqcast_core::time::civil(t);
    let d = format!("{:02}/{:02}/{:02}", c.month, c.day, c.year % 100);
    let h = format!("{:02}:00", c.hour);
    let k = (t / 3600) % 50;
    Some(format!(
        "{d}|{h}|060990005|Modesto - 14th Street|-8|OZONE|PPB|{}|California Air Resources Board\n\
{d}|{h}|060990005|Modesto - 14th Street|-8|PM2.5|UG/M3|{}|California Air Resources Board\n\
{d}|{h}|061070006|Sequoia and Kings Canyon NP - Lower Kaweah|-8|OZONE|PPB|{}|National Park Service\n\
{d}|{h}|000010102|St. John's|-3.5|NO2|PPB|-999|Newfoundland & Labrador DEC\n\
{d}|{h}|000010102|St. John's|-3.5|OZONE|PPB|{}|Newfoundland & Labrador DEC\n",
        20 + k,
        (k as f64) / 2.0 + 1.0,
        30 + k,
        40 + k
    ))
}

#[test]
fn airnow_takes_each_published_hour_once_and_waits_for_the_rest() {
    let published = Arc::new(Mutex::new(now_hour() - 5 * 3600));
    let p = published.clone();
    let server = Server::start(move |r| {
        let file = r.path.rsplit('/').next().unwrap_or("");
        if file == "Monitoring_Site_Locations_V2.dat" {
            return Reply::text(SITE_LIST);
        }
        let Some(stamp) = file
            .strip_prefix("HourlyData_")
            .and_then(|f| f.strip_suffix(".dat"))
        else {
            return Reply::status(404, "");
        };
        let t = aqcast_core::time::parse_datetime(&format!(
            "{}-{}-{} {}:00",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[8..10]
        ))
        .unwrap();
        match airnow_hour(t, *p.lock().unwrap()) {
            Some(body) => Reply::text(body),
            None => Reply::status(404, "<Error><Code>NoSuchKey</Code></Error>"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    // California only.
    let args = [
        "airnow",
        "--bbox",
        "-125,32,-114,42",
        "--store",
        &store,
        "--base-url",
        &server.url,
        "--days",
        "2",
        "--json",
    ];
    let first: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    let got = export(&store);
    let o3 = &got[&("airnow-060990005".to_string(), "o3".to_string())];
    let want_last = *published.lock().unwrap();
    let h = hours(o3);
    assert_eq!(
        *h.last().unwrap(),
        want_last,
        "up to the last published hour"
    );
    assert_eq!(
        h.len() as i64,
        (want_last - h[0]) / 3600 + 1,
        "every hour once"
    );
    assert!(got.contains_key(&("airnow-060990005".to_string(), "pm2.5".to_string())));
    assert!(got.contains_key(&("airnow-061070006".to_string(), "o3".to_string())));
    assert!(
        !got.keys().any(|(s, _)| s == "airnow-000010102"),
        "a site outside the box is not taken"
    );
    assert!(first["values"].as_u64().unwrap() > 0);
    // Two more hours are published; the next run takes them, and nothing else.
    *published.lock().unwrap() += 2 * 3600;
    let second: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    assert_eq!(second["values"], 6, "{second}");
    let got = export(&store);
    let h2 = hours(&got[&("airnow-060990005".to_string(), "o3".to_string())]);
    assert_eq!(h2.len(), h.len() + 2);
    assert_eq!(*h2.last().unwrap(), *published.lock().unwrap());
    taken_once(&store);
}

// ---------------------------------------------------------------------------------------
// UK-AIR
// ---------------------------------------------------------------------------------------

/// UK-AIR's timeseries API with one NO2 timeseries (5116, at London Marylebone Road)
/// holding `vals` (end-of-hour stamps, values).
fn ukair_server(vals: Arc<Mutex<Vec<(i64, serde_json::Value)>>>) -> Server {
    Server::start(move |r| {
        match r.path.as_str() {
        "/timeseries/5116" => Reply::json(
            serde_json::json!({
                "id": "5116",
                "label": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/8 1234 - London Marylebone Road-Nitrogen dioxide (air)",
                "uom": "ug.m-3",
                "station": {"properties": {"id": 787424, "label": "London Marylebone Road-Nitrogen dioxide (air)"},
                    "geometry": {"coordinates": [51.52253, -0.154611, "NaN"], "type": "Point"}, "type": "Feature"},
                "parameters": {"phenomenon": {"id": "8", "label": "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/8"}}
            })
            .to_string(),
        ),
        "/timeseries/5116/getData" => {
            let span = r.q("timespan").unwrap_or("");
            let (a, b) = span.split_once('/').unwrap();
            let (a, b) = (
                aqcast_core::time::parse_datetime(a).unwrap(),
                aqcast_core::time::parse_datetime(b).unwrap(),
            );
            let rows: Vec<_> = vals
                .lock()
                .unwrap()
                .iter()
                .filter(|(t, _)| *t >= a && *t <= b)
                .map(|(t, v)| serde_json::json!({"timestamp": t * 1000, "value": v}))
                .collect();
            Reply::json(serde_json::json!({ "values": rows }).to_string())
        }
        _ => Reply::status(404, r#"{"statusCode":404,"reason":"Not Found","userMessage":"no such timeseries"}"#),
    }
    })
}

#[test]
fn ukair_stamps_the_hour_by_its_start_and_reads_missing_values() {
    let end = now_hour();
    // 100 hours, stamped by their ends; -99 and null are missing.
    let values: Vec<(i64, serde_json::Value)> = (0..100)
        .map(|i| {
            let ts = end - (99 - i) * 3600;
            let v = match i {
                10 => serde_json::json!(-99.0),
                11 => serde_json::Value::Null,
                _ => serde_json::json!(20.0 + (i % 13) as f64),
            };
            (ts, v)
        })
        .collect();
    let server = ukair_server(Arc::new(Mutex::new(values.clone())));
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let args = [
        "ukair",
        "--series",
        "5116",
        "--store",
        &store,
        "--base-url",
        &server.url,
        "--days",
        "10",
        "--json",
    ];
    let first: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    assert_eq!(first["values"], 98, "{first}");
    assert_eq!(first["missing"], 2, "{first}");
    let got = export(&store);
    let no2 = &got[&("ukair-787424".to_string(), "no2".to_string())];
    let h = hours(no2);
    // The first value, stamped at the end of its hour, is the hour before.
    assert_eq!(h[0], values[0].0 - 3600);
    assert_eq!(*h.last().unwrap(), end - 3600);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(&store).join("manifest.json")).unwrap())
            .unwrap();
    let facts = &m["files"][0]["site_facts"]["ukair-787424"];
    assert_eq!(facts["name"], "London Marylebone Road", "{facts}");
    assert_eq!(
        (facts["lat"].as_f64(), facts["lon"].as_f64()),
        (Some(51.52253), Some(-0.154611))
    );
    // Again: nothing new.
    let again: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    assert_eq!(again["values"], 0, "{again}");
    taken_once(&store);
    assert_eq!(
        hours(&export(&store)[&("ukair-787424".to_string(), "no2".to_string())]),
        h
    );
}

// ---------------------------------------------------------------------------------------
// EEA
// ---------------------------------------------------------------------------------------

fn eea_fixture(p: &str) -> Vec<u8> {
    std::fs::read(common::root().join("tests/fixtures/feeds/eea").join(p)).unwrap()
}

const EEA_POINTS: [&str; 2] = ["SPO-DEBE056_00008_100", "SPO-DESH001_06001_100"];

/// The download service, its file host and the metadata download, on one loopback
/// server: `version` says which version of the files is out (1: 48 hours, 2: 72); while
/// `hang` is set, the second sampling point's file never comes.
fn eea_server(version: Arc<AtomicUsize>, hang: Arc<AtomicUsize>) -> Server {
    Server::start(move |r| {
        let host = format!("http://{}/", r.header("host").unwrap_or("127.0.0.1"));
        match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/api/ParquetFile/urls") => {
                let body: serde_json::Value = match serde_json::from_slice(&r.body) {
                    Ok(b) => b,
                    Err(_) => return Reply::status(400, r#"{"title":"bad body"}"#),
                };
                if body["countries"] != serde_json::json!(["DE"]) || body["dataset"] != 1 {
                    return Reply::text("ParquetFileUrl\r\n");
                }
                let list = String::from_utf8(eea_fixture("ParquetFile_urls.csv"))
                    .unwrap()
                    .replace(
                        "https://eeadmz1batchservice02.blob.core.windows.net/",
                        &format!("{host}blob/"),
                    );
                Reply::text(list)
            }
            ("GET", "/metadata") => Reply::Full(
                200,
                vec![("content-type".into(), "application/zip".into())],
                eea_fixture("DataExtract.zip"),
            ),
            ("GET", p) if p.starts_with("/blob/airquality-p/DE/") => {
                let point = p.rsplit('/').next().unwrap().trim_end_matches(".parquet");
                let v = version.load(Ordering::SeqCst);
                let body = eea_fixture(&format!("DE/{point}.v{v}.parquet"));
                let reply = Reply::Full(
                    200,
                    vec![("content-type".into(), "application/octet-stream".into())],
                    body,
                );
                if point == EEA_POINTS[1] && hang.load(Ordering::SeqCst) > 0 {
                    hang.fetch_add(1, Ordering::SeqCst);
                    return Reply::Slow(Duration::from_secs(120), Box::new(reply));
                }
                reply
            }
            _ => Reply::status(404, ""),
        }
    })
}

/// What the store should hold of a fixture file: UTC hour → value in aqcast's unit, and
/// → verification code, for the valid values.
fn eea_expected(point: &str, version: usize) -> (BTreeMap<i64, f64>, BTreeMap<i64, f64>) {
    use aqcast_core::pollutant::{Pollutant, Unit};
    let rows =
        aqcast_feeds::eea::read_rows(&eea_fixture(&format!("DE/{point}.v{version}.parquet")))
            .unwrap();
    let (mut values, mut flags) = (BTreeMap::new(), BTreeMap::new());
    for r in rows {
        let v = r.value.unwrap();
        if r.validity.unwrap() < 1 || v == -999.0 {
            continue;
        }
        let t = r.start - 3600;
        let v = match r.pollutant {
            8 => Pollutant::No2.convert(v, Unit::UgM3, Unit::Ppb).unwrap(),
            _ => v,
        };
        values.insert(t, v);
        flags.insert(t, r.verification.unwrap() as f64);
    }
    (values, flags)
}

fn check_eea(store: &str, version: usize) {
    let got = export(store);
    for (site, var, point) in [
        ("eea-DEBE056", "no2", EEA_POINTS[0]),
        ("eea-DESH001", "pm2.5", EEA_POINTS[1]),
    ] {
        let (values, flags) = eea_expected(point, version);
        let series = &got[&(site.to_string(), var.to_string())];
        assert_eq!(
            hours(series),
            values.keys().copied().collect::<Vec<_>>(),
            "{site} {var}"
        );
        for ((_, v), w) in series.iter().zip(values.values()) {
            assert!(
                (v - w).abs() < 1e-9 * w.abs().max(1.0),
                "{site} {var}: {v} vs {w}"
            );
        }
        let f = &got[&(site.to_string(), format!("{var}.verification"))];
        assert_eq!(
            f.values().copied().collect::<Vec<_>>(),
            flags.values().copied().collect::<Vec<_>>()
        );
    }
    taken_once(store);
}

#[test]
fn eea_takes_each_sampling_point_once_across_runs_and_a_kill() {
    let version = Arc::new(AtomicUsize::new(1));
    let hang = Arc::new(AtomicUsize::new(0));
    let server = eea_server(version.clone(), hang.clone());
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store").display().to_string();
    let base = format!("{}api/", server.url);
    let meta = format!("{}metadata", server.url);
    let args = [
        "eea",
        "--countries",
        "de",
        "--store",
        &store,
        "--base-url",
        &base,
        "--metadata-url",
        &meta,
        "--since",
        "2025-02-28",
        "--json",
    ];
    let first: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    assert_eq!(first["streams"], 2, "{first}");
    // 48 hours a point, less one -999 and one hour of maintenance (Validity -99).
    assert_eq!(first["missing"], 4, "{first}");
    check_eea(&store, 1);
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(&store).join("manifest.json")).unwrap())
            .unwrap();
    let facts = &m["files"][0]["site_facts"]["eea-DEBE056"];
    assert_eq!(facts["name"], "Berlin Friedrichshagen", "{facts}");
    assert_eq!(
        (facts["lat"].as_f64(), facts["lon"].as_f64()),
        (Some(52.44775), Some(13.647013))
    );
    assert_eq!(facts["network"], "EEA: Berliner Luftgüte-Messnetz");
    assert_eq!(facts["attribution"], "European Environment Agency (EEA)");

    // The same files again: nothing new.
    let again: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    assert_eq!(
        (again["pages"].as_u64(), again["values"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // The files grow by a day; the run is killed while the second file hangs, after the
    // first is taken.
    version.store(2, Ordering::SeqCst);
    hang.store(1, Ordering::SeqCst);
    let mut child = Command::new(env!("CARGO_BIN_EXE_aqcast"))
        .arg("fetch")
        .args(&args[..args.len() - 1])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while hang.load(Ordering::SeqCst) < 2 {
        assert!(
            Instant::now() < until,
            "the run never reached the hanging file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    hang.store(0, Ordering::SeqCst);
    let last: serde_json::Value = serde_json::from_str(&ok(&fetch(&args, &[]))).unwrap();
    // The first file's new day was taken before the kill; now only the second's.
    assert_eq!(last["values"], 48, "{last}");
    check_eea(&store, 2);
}

#[test]
fn the_pipeline_fetches_its_sources_and_refreshes_the_stations_that_got_data() {
    let end = now_hour() - 2 * 3600;
    let series: Vec<(i64, serde_json::Value)> = (0..48)
        .map(|i| {
            (
                end - (47 - i) * 3600,
                serde_json::json!(30.0 + (i % 7) as f64),
            )
        })
        .collect();
    let vals = Arc::new(Mutex::new(series));
    let server = ukair_server(vals.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipeline.toml");
    let write = |extra: &str| {
        std::fs::write(
            &config,
            format!(
                "[store]\nlocation = \"store\"\nwork = \"work\"\n\n[[sources]]\nsource = \"ukair\"\nseries = [5116]\nbase_url = \"{}\"\ndays = 3\n{extra}\n[stations]\ndays = 2\n",
                server.url
            ),
        )
        .unwrap()
    };
    write("");
    let cfg = config.display().to_string();
    let first = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    assert!(
        first.contains("fetch:1") && first.contains("1 snapshots refreshed"),
        "{first}"
    );
    let stations = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join("store/stations.json")).unwrap()).unwrap()
    };
    let list = stations(dir.path());
    let s = &list["stations"][0];
    assert_eq!(s["id"], "ukair-787424", "{list}");
    assert_eq!(s["name"], "London Marylebone Road");
    assert_eq!(s["data_time"], end - 3600, "the latest hour, by its start");
    assert_eq!(s["source"]["network"], "UK-AIR (AURN)");
    assert_eq!(s["source"]["licence"], "Open Government Licence v3.0");

    // Two more hours at the source: the next run takes them and refreshes the station.
    {
        let mut v = vals.lock().unwrap();
        v.push((end + 3600, serde_json::json!(41.0)));
        v.push((end + 7200, serde_json::json!(42.0)));
    }
    let second = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    assert!(second.contains("1 snapshots refreshed"), "{second}");
    assert_eq!(stations(dir.path())["stations"][0]["data_time"], end + 3600);
    // Nothing new: nothing rewritten.
    let third = ok(&aqcast(&["pipeline", "run", "--config", &cfg]));
    assert!(third.contains("0 snapshots refreshed"), "{third}");

    // An option `aqcast fetch ukair` does not take stops the plan, naming the table.
    write("bbox = \"-1,51,1,52\"\n");
    let o = aqcast(&["pipeline", "run", "--config", &cfg]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("[[sources]] 1 (ukair)") && err.contains("--bbox"),
        "{err}"
    );
}
