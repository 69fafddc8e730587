//! Tracked bands natively: the core's replay ([`Forecaster::track_with`]) with the batch
//! engine walking the heads (the same bits as the reference path, many times faster over
//! a year of origins). `aqcast forecast` and `aqcast stations` both use it.

use aqcast_core::forecast::Forecaster;
use aqcast_core::pipeline::Series;
use aqcast_core::tracking::Tracked;
use aqcast_core::{Matrix, Model, ModelError as Error, Predictor};

/// The band shifts of `site` at the origin of a forecast `at` (none for a model without
/// tracking, or an origin inside its calibration window).
pub fn track(
    model: &Model,
    forecaster: &Forecaster,
    series: &[Series],
    at: Option<i64>,
    site: &str,
) -> Result<Option<Tracked>, aqcast_core::forecast::Error> {
    if forecaster.spec().track_since.is_none() {
        return Ok(None);
    }
    let b = forecaster.spec().heads;
    let predictors = [b.lower, b.median, b.upper]
        .into_iter()
        .map(|i| {
            let head = model
                .heads
                .get(i as usize)
                .ok_or_else(|| Error::Malformed(format!("forecast section: no head {i}")))?;
            Ok::<_, Error>(Predictor::new(&head.ensemble)?)
        })
        .collect::<Result<Vec<_>, _>>()?;
    forecaster.track_with(series, at, Some(site), &mut |head, rows, _| {
        Ok(predictors[head].predict(Matrix::RowMajorF64(rows))?)
    })
}
