//! Inputs known ahead in training and evaluation: the observed value at the target time,
//! and the error a weather forecast of each variable makes (the core's
//! [`aqcast_core::forecast::ahead::Blurred`] reads it), where a task names none.

use std::collections::BTreeMap;

pub use aqcast_core::forecast::ahead::ErrorModel;
use aqcast_core::forecast::AheadGrid;

/// The error models used where a task names none (BENCHMARKS.md, "Weather known ahead",
/// gives their sources): wind speed from the median RMSE of ECMWF's analysed 10 m wind
/// against 171 French stations (1.42 m/s), growing with the lead time; the others are
/// stated assumptions of the same order.
pub fn default_errors() -> BTreeMap<String, ErrorModel> {
    [
        ("ws", 1.4, 0.25),
        ("wd", 30.0, 5.0),
        ("temp", 1.0, 0.4),
        ("rh", 8.0, 2.0),
        ("pressure", 0.5, 0.7),
    ]
    .into_iter()
    .map(|(v, sigma, per_day)| (v.to_string(), ErrorModel { sigma, per_day }))
    .collect()
}

/// What was measured of `variables` in `series` over the rows of `table` (grid step
/// `step`) and the steps ahead of its last row: what training reads ahead.
pub fn observed(
    series: &[aqcast_core::pipeline::Series],
    variables: &[String],
    table: &aqcast_core::pipeline::Table,
    step: i64,
    steps: u32,
) -> AheadGrid {
    let (Some(&first), Some(&last)) = (table.times.first(), table.times.last()) else {
        return AheadGrid::default();
    };
    let names: Vec<&str> = variables.iter().map(String::as_str).collect();
    let end = last + (i64::from(steps) + 1) * step;
    let rows = table.times.len() + steps as usize + 1;
    AheadGrid::of(series, &names, first, end, step, rows)
}
