//! Weather known ahead, as a trainer and a user meet it: a task that reads the wind and
//! the temperature at each target hour (`[forecast] ahead`), its report's three ways of
//! scoring, and `aqcast forecast --weather FILE`, which reads the forecast issued at the
//! origin and nothing measured after it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aqcast_core::pipeline::Series;
use aqcast_core::Model;

mod common;
use common::{aqcast, ingest, ok, p, root, small_forecast_task, train_json};

struct Trained {
    dir: tempfile::TempDir,
    store: String,
    model: PathBuf,
    report: serde_json::Value,
}

const AT: &str = "2003-07-14 17:00:00";

/// The shipped weather task, made small, trained once for the tests of this file.
fn trained() -> &'static Trained {
    static T: OnceLock<Trained> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = p(&dir.path().join("store"));
        ingest(&store);
        let task = small_forecast_task(dir.path(), "forecast_weather.toml");
        let model = dir.path().join("wx.aqm");
        let report = train_json(&task, &store, &model);
        Trained {
            store,
            model,
            report,
            dir,
        }
    })
}

fn store_series(store: &str, model: &Model) -> Vec<Series> {
    let s = aqcast_store::data::Store::open_existing(store).unwrap();
    s.read_inputs(
        "aurn_no2_2001_2003",
        &model.pipeline.as_ref().unwrap().spec.inputs,
    )
    .unwrap()
}

/// A weather "forecast" for the 72 hours after `at`: what the store measured then, each
/// value moved by `nudge(variable, hour)`.
fn forecast_file(series: &[Series], at: i64, nudge: &dyn Fn(&str, i64) -> f64) -> Vec<Series> {
    series
        .iter()
        .filter(|s| ["ws", "wd", "temp"].contains(&s.variable.as_str()))
        .map(|s| {
            let w = s.window(at + 3600, at + 73 * 3600);
            Series {
                values: w
                    .times
                    .iter()
                    .zip(&w.values)
                    .map(|(&t, &v)| v + nudge(&s.variable, (t - at) / 3600))
                    .collect(),
                ..w
            }
        })
        .collect()
}

fn write_csv(path: &Path, weather: &[Series]) {
    let mut times: Vec<i64> = weather.iter().flat_map(|s| s.times.clone()).collect();
    times.sort_unstable();
    times.dedup();
    let mut text = String::from("time");
    for s in weather {
        text.push(',');
        text.push_str(&s.variable);
    }
    text.push('\n');
    for t in times {
        text.push_str(&aqcast_core::time::format_datetime(t));
        for s in weather {
            text.push(',');
            if let Some(i) = s.times.iter().position(|&x| x == t) {
                text.push_str(&format!("{}", s.values[i]));
            }
        }
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn the_report_scores_each_step_without_weather_with_it_measured_and_as_forecast() {
    let t = trained();
    let fc = &t.report["forecast"];
    assert_eq!(
        fc["ahead"]["variables"],
        serde_json::json!(["ws", "wd", "temp"])
    );
    for v in ["ws", "wd", "temp"] {
        assert!(fc["ahead"]["errors"][v]["sigma"].as_f64().unwrap() > 0.0);
    }
    let per = fc["per_step"].as_array().unwrap();
    assert_eq!(per.len(), 72);
    for s in per {
        let w = &s["weather"];
        let served = s["skill"]["persistence"].as_f64().unwrap();
        let measured = w["skill_observed"].as_f64().unwrap();
        assert!(w["skill_without"].as_f64().unwrap().is_finite(), "{s}");
        // Measured weather is the upper bound of what a forecast of it gives.
        assert!(
            measured >= served - 0.02,
            "step {}: {measured} vs {served}",
            s["step"]
        );
    }
    // The band's coverage where it matters: by fifth of the level at the origin (the
    // fifths' edges increase) and by its AQI category.
    let edges: Vec<f64> = fc["level_fifths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        edges.len() == 4 && edges.windows(2).all(|w| w[0] < w[1]),
        "{edges:?}"
    );
    for s in per {
        let by_level = s["coverage_by_level"].as_array().unwrap();
        assert_eq!(by_level.len(), 5);
        let cats = s["coverage_by_category"].as_array().unwrap();
        let n: u64 = cats.iter().map(|c| c["n"].as_u64().unwrap()).sum();
        assert_eq!(
            n,
            s["n"].as_u64().unwrap(),
            "every scored origin has a category"
        );
        // The pooled coverage is the rows' mean of the groups'.
        let pooled: f64 = cats
            .iter()
            .map(|c| c["n"].as_f64().unwrap() * c["coverage"].as_f64().unwrap())
            .sum::<f64>()
            / n as f64;
        assert!(
            (pooled - s["coverage"].as_f64().unwrap()).abs() < 1e-9,
            "{s}"
        );
    }
    let html = std::fs::read_to_string(t.model.with_extension("report.html")).unwrap();
    assert!(
        html.contains("Coverage where it matters") && html.contains("skill with the weather ahead")
    );
    // A day ahead, the weather to come is worth having even as a forecast.
    let s24 = &per[23];
    assert!(
        s24["skill"]["persistence"].as_f64().unwrap()
            > s24["weather"]["skill_without"].as_f64().unwrap(),
        "{s24}"
    );
}

#[test]
fn a_forecast_reads_the_weather_forecast_given_and_nothing_measured_after_its_origin() {
    let t = trained();
    let model = Model::decode(&std::fs::read(&t.model).unwrap()).unwrap();
    let f = model.forecaster().unwrap();
    assert_eq!(f.spec().ahead_variables(), ["ws", "wd", "temp"]);
    let series = store_series(&t.store, &model);
    let at = aqcast_core::time::parse_datetime(AT).unwrap();
    let weather = forecast_file(&series, at, &|_, _| 0.0);
    // Without a forecast of the weather, no forecast: it says what it needs.
    let e = f.forecast(&series, Some(at), None).unwrap_err();
    assert_eq!(e.code(), "ahead_missing");
    assert!(
        e.to_string().contains("\"ws\"") && e.to_string().contains("given none"),
        "{e}"
    );
    let base = f
        .forecast_ahead(&series, &weather, Some(at), None, None)
        .unwrap();
    assert_eq!(base.ahead, ["ws", "wd", "temp"]);
    let tracked = f
        .forecast_tracked(&series, &weather, Some(at), None)
        .unwrap();
    assert!(tracked.tracked.is_some());
    // Every measurement after the origin, the weather's too, changed or removed: the
    // same bits.
    for scale in [3.0, f64::NAN] {
        let mut changed = series.clone();
        for s in &mut changed {
            for (time, v) in s.times.iter().zip(s.values.iter_mut()) {
                if *time >= at + 3600 {
                    *v = scale * (*v + 1.0);
                }
            }
        }
        assert_eq!(
            f.forecast_ahead(&changed, &weather, Some(at), None, None)
                .unwrap(),
            base
        );
        assert_eq!(
            f.forecast_tracked(&changed, &weather, Some(at), None)
                .unwrap(),
            tracked
        );
    }
    // The forecast's values at or before the origin are not read either.
    let mut early = weather.clone();
    for s in &mut early {
        s.times.push(at);
        s.values.push(40.0);
    }
    assert_eq!(
        f.forecast_ahead(&series, &early, Some(at), None, None)
            .unwrap(),
        base
    );
    // A stronger wind forecast for the afternoon after changes that afternoon.
    let windy = forecast_file(&series, at, &|v, h| {
        if v == "ws" && (20..=26).contains(&h) {
            8.0
        } else {
            0.0
        }
    });
    let moved = f
        .forecast_ahead(&series, &windy, Some(at), None, None)
        .unwrap();
    assert_ne!(moved.steps[20..27], base.steps[20..27]);
    // And the explanation of a step adds up to its median, the wind forecast included.
    let e = f.explain(&series, &windy, Some(at), None, 24).unwrap();
    let sum = e.anchor + e.bias + e.contributions.iter().map(|c| c.contribution).sum::<f64>();
    assert!((sum - e.raw).abs() < 1e-9);
    let s = &moved.steps[23];
    if s.p10 < s.p50 && s.p50 < s.p90 && s.p10 > 0.0 {
        assert!((e.raw - s.p50).abs() < 1e-6, "{} vs {}", e.raw, s.p50);
    }
    assert!(e.contributions.iter().any(|c| c.feature == "ws_ahead"));
}

#[test]
fn aqcast_forecast_takes_the_weather_forecast_from_a_file() {
    let t = trained();
    let model = Model::decode(&std::fs::read(&t.model).unwrap()).unwrap();
    let series = store_series(&t.store, &model);
    let at = aqcast_core::time::parse_datetime(AT).unwrap();
    let weather = forecast_file(&series, at, &|_, _| 0.0);
    let file = t.dir.path().join("weather.csv");
    write_csv(&file, &weather);
    let run = |extra: &[&str]| {
        let m = p(&t.model);
        let mut args = vec!["forecast", "--model", &m, "--store", &t.store, "--at", AT];
        args.extend_from_slice(extra);
        aqcast(&args)
    };
    let out = run(&["--weather", &p(&file), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = model.forecaster().unwrap();
    let tracked = f
        .forecast_tracked(
            &series,
            &weather,
            Some(aqcast_core::time::parse_datetime(AT).unwrap()),
            None,
        )
        .unwrap();
    // The CLI reads the file as the core reads the series: the same forecast, to the bit
    // (the CSV holds each value's shortest round-trip text).
    assert_eq!(json, serde_json::to_value(&tracked).unwrap());
    let text = String::from_utf8(run(&["--weather", &p(&file)]).stdout).unwrap();
    assert!(text.contains("weather ahead: ws, wd, temp"), "{text}");
    // Without the file: a clear error that names what is missing.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reads the forecast of") && err.contains("weather forecast"),
        "{err}"
    );
    // A broken file: where and why.
    let bad = t.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "time,ws,wd,temp\n2003-07-14 18:00:00,3.1,200,18\n2003-07-14 19:00:00,fast,210,18\n",
    )
    .unwrap();
    let out = run(&["--weather", &p(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("ws") && err.contains("\"fast\" is not a number"),
        "{err}"
    );
    std::fs::write(&bad, "when,ws\n").unwrap();
    let err = String::from_utf8_lossy(&run(&["--weather", &p(&bad)]).stderr).to_string();
    assert!(err.contains("first column must be `time`"), "{err}");
    std::fs::write(&bad, "time,ws\n2003-07-14 18:00:00,-4\n").unwrap();
    let err = String::from_utf8_lossy(&run(&["--weather", &p(&bad)]).stderr).to_string();
    assert!(err.contains("cannot be a value of ws"), "{err}");
}

#[test]
fn a_weather_forecast_must_reach_the_last_step_and_be_weather() {
    let t = trained();
    let model = Model::decode(&std::fs::read(&t.model).unwrap()).unwrap();
    let f = model.forecaster().unwrap();
    let series = store_series(&t.store, &model);
    let at = aqcast_core::time::parse_datetime(AT).unwrap();
    // Two days of a three-day horizon: refused, saying how far it reaches.
    let short: Vec<Series> = forecast_file(&series, at, &|_, _| 0.0)
        .into_iter()
        .map(|s| s.window(i64::MIN, at + 49 * 3600))
        .collect();
    let e = f
        .forecast_ahead(&series, &short, Some(at), None, None)
        .unwrap_err();
    assert_eq!(e.code(), "ahead_missing");
    assert!(
        e.to_string().contains("\"ws\"")
            && e.to_string().contains("only until 2003-07-16 17:00:00"),
        "{e}"
    );
    // A gap inside the horizon is read as unknown, as training read its gaps.
    let gap: Vec<Series> = forecast_file(&series, at, &|_, _| 0.0)
        .into_iter()
        .map(|s| {
            let (times, values) = s
                .times
                .iter()
                .zip(&s.values)
                .filter(|(&t, _)| t != at + 30 * 3600)
                .map(|(&t, &v)| (t, v))
                .unzip();
            Series { times, values, ..s }
        })
        .collect();
    assert!(f
        .forecast_ahead(&series, &gap, Some(at), None, None)
        .is_ok());
    // The CLI: a time twice, or a pollutant in a weather file.
    let m = p(&t.model);
    let bad = t.dir.path().join("twice.csv");
    std::fs::write(
        &bad,
        "time,ws\n2003-07-14 18:00:00,3\n2003-07-14 18:00:00,4\n",
    )
    .unwrap();
    let out = aqcast(&[
        "forecast",
        "--model",
        &m,
        "--store",
        &t.store,
        "--at",
        AT,
        "--weather",
        &p(&bad),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("one row per time"),
        "{err}"
    );
    std::fs::write(&bad, "time,no2\n2003-07-14 18:00:00,30\n").unwrap();
    let out = aqcast(&[
        "forecast",
        "--model",
        &m,
        "--store",
        &t.store,
        "--at",
        AT,
        "--weather",
        &p(&bad),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"no2\" is not a weather variable"), "{err}");
}

#[test]
fn a_task_cannot_read_its_own_target_ahead() {
    let t = trained();
    let text = std::fs::read_to_string(root().join("configs/forecast_weather.toml"))
        .unwrap()
        .replace(r#"ahead = ["wind", "ws", "temp"]"#, r#"ahead = ["no2"]"#);
    assert!(text.contains(r#"ahead = ["no2"]"#));
    let task = t.dir.path().join("leak.toml");
    std::fs::write(&task, text).unwrap();
    let out = aqcast(&[
        "train",
        "--config",
        &p(&task),
        "--store",
        &t.store,
        "-o",
        &p(&t.dir.path().join("leak.aqm")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"no2\" is not a weather variable"), "{err}");
}

#[test]
fn aqcast_evaluate_scores_a_weather_model_as_forecast_and_as_measured() {
    let t = trained();
    let m = p(&t.model);
    let args = [
        "evaluate",
        "--model",
        &m,
        "--store",
        &t.store,
        "--from",
        "2003-06-01 00:00:00",
        "--to",
        "2003-08-31 23:00:00",
    ];
    let json: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&aqcast(&[&args[..], &["--json"]].concat()))).unwrap();
    assert_eq!(json.len(), 72);
    for s in &json {
        let w = &s["weather"];
        assert!(w["skill_observed"].as_f64().unwrap().is_finite(), "{s}");
        // No model without the weather is at hand here: said, not made up.
        assert!(w["skill_without"].is_null(), "{s}");
    }
    let text = ok(&aqcast(&args));
    assert!(
        text.contains("weather read ahead (ws, wd, temp)") && text.contains("–"),
        "{text}"
    );
}
