//! Time of one 72-hour forecast (`Forecaster::forecast`, the core's one forecast function)
//! from a station's recent observations, as the CLI, the worker and the dashboard run it.
//! Run by bench/forecast/designs.sh, which trains the model and fills the store:
//!
//! AQCAST_BENCH_FORECAST_MODEL=model.aqm AQCAST_BENCH_STORE=store cargo bench -p aqcast --bench forecast

use aqcast_core::pipeline::Series;
use aqcast_core::Model;
use criterion::{criterion_group, criterion_main, Criterion};

fn forecast(c: &mut Criterion) {
    let (Ok(model), Ok(store)) = (
        std::env::var("AQCAST_BENCH_FORECAST_MODEL"),
        std::env::var("AQCAST_BENCH_STORE"),
    ) else {
        eprintln!("set AQCAST_BENCH_FORECAST_MODEL and AQCAST_BENCH_STORE (bench/forecast/designs.sh does)");
        return;
    };
    let model = Model::decode(&std::fs::read(model).expect("read the model")).expect("a model");
    let f = model.forecaster().expect("a forecasting model");
    let store = aqcast_store::data::Store::open_existing(&store).expect("a store");
    let site = model
        .metadata
        .params
        .get("site")
        .expect("the model names its site");
    let series = store
        .read_inputs(site, &f.pipeline().spec.inputs)
        .expect("read the store");
    // A station's snapshot: the 200 hours up to the origin.
    let at = aqcast_core::time::parse_datetime("2003-07-14 17:00:00").expect("a time");
    let recent: Vec<Series> = series
        .iter()
        .map(|s| s.window(at - 200 * 3600 + 1, at + 1))
        .collect();
    c.bench_function("forecast_72h_from_200h_snapshot", |b| {
        b.iter(|| f.forecast(&recent, None, None).expect("a forecast"))
    });
}

criterion_group!(benches, forecast);
criterion_main!(benches);
