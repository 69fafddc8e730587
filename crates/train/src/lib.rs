//! # aqcast-train
//!
//! Training, native only: histogram gradient boosting and random forests (`gbdt.rs`) on
//! features binned as LightGBM bins them (`bins.rs`), with the losses of `loss.rs`;
//! metrics (`metrics.rs`); cross-validation (`cv.rs`) and hyper-parameter search
//! (`tune.rs`); forecasting models — stacked rows, quantile heads, conformal calibration,
//! evaluation against baselines — (`forecast.rs`); predicting models, one head per
//! horizon and quantile (`horizons.rs`); and the self-contained HTML reports
//! (`report.rs`). It reads no files and prints nothing: the CLI hands it tables, writes
//! what it returns and shows its warnings.

pub mod bins;
pub mod cv;
mod error;
pub mod forecast;
pub mod gbdt;
pub mod horizons;
pub mod loss;
pub mod metrics;
pub mod report;
pub mod tune;
pub mod weather;

pub use error::Error;
pub use gbdt::{train, train_with_progress, Kind, Params, Trained};
pub use loss::Objective;

/// The reference histograms of the rows a model was trained on (each table's rows that
/// `trained` keeps), for input drift where it serves.
pub fn drift_reference(
    names: &[String],
    tables: &[&aqcast_core::pipeline::Table],
    trained: impl Fn(&aqcast_core::pipeline::Table, usize) -> bool,
) -> aqcast_core::drift::Reference {
    let columns: Vec<Vec<f64>> = (0..names.len())
        .map(|j| {
            tables
                .iter()
                .flat_map(|t| {
                    let keep = &trained;
                    t.features[j]
                        .values
                        .iter()
                        .enumerate()
                        .filter(move |(i, _)| keep(t, *i))
                        .map(|(_, &v)| v)
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    aqcast_core::drift::Reference::fit(names, &refs)
}
