//! Training: histogram gradient boosting and random forests (`gbdt.rs`) on binned features
//! (`bins.rs`) with the losses of `loss.rs`; metrics (`metrics.rs`).

pub mod bins;
pub mod cv;
pub mod gbdt;
pub mod loss;
pub mod metrics;
pub mod tune;

pub use gbdt::{train, train_with_progress, Kind, Params, Trained};
pub use loss::Objective;
