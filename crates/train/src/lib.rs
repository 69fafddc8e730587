//! # aqcast-train
//!
//! Training, native only: histogram gradient boosting and random forests (`gbdt.rs`) on
//! features binned as LightGBM bins them (`bins.rs`), with the losses of `loss.rs`;
//! metrics (`metrics.rs`); cross-validation (`cv.rs`) and hyper-parameter search
//! (`tune.rs`); forecasting models — stacked rows, quantile heads, conformal calibration,
//! evaluation against baselines — (`forecast.rs`); and the self-contained HTML reports
//! (`report.rs`). It reads no files: the CLI hands it tables and writes what it returns.

pub mod bins;
pub mod cv;
pub mod forecast;
pub mod gbdt;
pub mod loss;
pub mod metrics;
pub mod report;
pub mod tune;

pub use gbdt::{train, train_with_progress, Kind, Params, Trained};
pub use loss::Objective;
