//! The pipeline as a user writes it (a TOML or JSON document): what to read, which
//! preprocessing steps to fit, which features and targets to build.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// A whole pipeline description. Every field a user writes is checked by
/// [`Spec::validate`]; unknown fields are refused so a typo is not silently ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The regular time grid observations are resampled onto.
    pub grid: Grid,
    /// The measured variables the pipeline reads, each becoming one column.
    pub inputs: Vec<Input>,
    /// Preprocessing steps, fitted on training rows and applied in this order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// The output columns, in order: these are the model's features.
    pub features: Vec<Feature>,
    /// What the models predict, if this pipeline is used for training.
    #[serde(default)]
    pub target: Option<Target>,
}

/// The time grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// Grid step in seconds (3600 for hourly, 86400 for daily).
    pub step: i64,
    /// Offset from UTC in seconds of the clock calendar features are read on
    /// (0: UTC/GMT, as the UK AURN data; −18000 for US Eastern Standard Time).
    #[serde(default)]
    pub utc_offset: i64,
}

/// One measured variable read into a column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The variable as stored: a pollutant id (`no2`, `pm2.5`, …) or a meteorological or
    /// other column name (`ws`, `wd`, `air_temp`, `bg.no2`).
    pub variable: String,
    /// Column name in the pipeline (defaults to `variable`).
    #[serde(default)]
    pub name: Option<String>,
    /// Unit the column is expressed in, for pollutants (defaults to the canonical unit the
    /// store keeps: µg/m³ for PM, ppb for O3/NO2/SO2, ppm for CO).
    #[serde(default)]
    pub unit: Option<String>,
}

impl Input {
    /// The column name.
    pub fn column(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.variable)
    }
}

/// A preprocessing step. `columns` defaults to every input column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Carry the last (or next) value over gaps of at most `limit` steps.
    Fill {
        /// `forward` or `backward`.
        method: FillMethod,
        /// Longest run of missing values filled after (before) a value; none: no limit.
        #[serde(default)]
        limit: Option<u32>,
        /// Columns (default: all inputs).
        #[serde(default)]
        columns: Option<Vec<String>>,
    },
    /// Linear interpolation in time across gaps of at most `limit` missing steps (longer
    /// gaps, and gaps at either end, stay missing).
    Interpolate {
        /// Longest gap filled; none: no limit.
        #[serde(default)]
        limit: Option<u32>,
        /// Columns (default: all inputs).
        #[serde(default)]
        columns: Option<Vec<String>>,
    },
    /// Fill every remaining missing value from the training data.
    Impute {
        /// `mean`, `median`, `knn` or `iterative`.
        method: ImputeMethod,
        /// Neighbours for `knn` (default 5).
        #[serde(default)]
        k: Option<u32>,
        /// Rounds for `iterative` (default 10).
        #[serde(default)]
        iterations: Option<u32>,
        /// Columns (default: all inputs).
        #[serde(default)]
        columns: Option<Vec<String>>,
    },
    /// Values outside fences fitted on the training data are clipped or made missing.
    Outliers {
        /// `iqr` (fences Q1 − t·IQR, Q3 + t·IQR, t default 1.5) or `zscore` (mean ± t·sd,
        /// t default 3).
        method: OutlierMethod,
        /// The multiplier t.
        #[serde(default)]
        threshold: Option<f64>,
        /// `clip` or `missing`.
        action: OutlierAction,
        /// Columns (default: all inputs).
        #[serde(default)]
        columns: Option<Vec<String>>,
    },
    /// Scaling with parameters fitted on the training data.
    Scale {
        /// `standard` (mean, sd), `min_max` or `robust` (median, IQR).
        method: ScaleMethod,
        /// Columns (default: all inputs).
        #[serde(default)]
        columns: Option<Vec<String>>,
    },
    /// Categorical encoding of columns whose values are category codes.
    Encode {
        /// `one_hot` (one 0/1 column `name=value` per category seen in training) or
        /// `ordinal` (the category's rank among those seen).
        method: EncodeMethod,
        /// Columns to encode (required: numbers are not categories by default).
        columns: Vec<String>,
    },
}

/// Direction of a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillMethod {
    /// The last value before the gap.
    Forward,
    /// The next value after the gap.
    Backward,
}

/// Imputation methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImputeMethod {
    /// The training mean.
    Mean,
    /// The training median.
    Median,
    /// The mean of the k nearest training rows (standardised, NaN-aware Euclidean distance
    /// over the other columns).
    Knn,
    /// Iterative ridge regression of each column on the others (MICE-like, deterministic).
    Iterative,
}

/// Outlier fences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierMethod {
    /// Interquartile range.
    Iqr,
    /// Standard score.
    Zscore,
}

/// What happens to an outlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierAction {
    /// Set to the fence it crossed.
    Clip,
    /// Set to missing (the row stays: the grid is regular).
    Missing,
}

/// Scalers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleMethod {
    /// (x − mean) / sd.
    Standard,
    /// (x − min) / (max − min).
    MinMax,
    /// (x − median) / IQR.
    Robust,
}

/// Encoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodeMethod {
    /// One 0/1 column per category.
    OneHot,
    /// The category's rank.
    Ordinal,
}

/// One output column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Feature {
    /// A column's value at t.
    Value {
        /// Output name.
        name: String,
        /// Column.
        of: String,
    },
    /// A column's value at t − lag steps.
    Lag {
        /// Output name.
        name: String,
        /// Column.
        of: String,
        /// Steps back (0 is the value at t).
        lag: u32,
    },
    /// A statistic over the `window` steps ending at t (t − window + 1 … t), missing
    /// unless at least `min_count` of them are present.
    Rolling {
        /// Output name.
        name: String,
        /// Column.
        of: String,
        /// Window length in steps.
        window: u32,
        /// Fewest present values (default: the whole window).
        #[serde(default)]
        min_count: Option<u32>,
        /// `mean`, `sum`, `min` or `max`.
        stat: RollingStat,
    },
    /// A calendar field of t on the grid's clock.
    Calendar {
        /// Output name.
        name: String,
        /// The field.
        field: CalendarField,
    },
    /// sin or cos of 2π · field / period (hour/24, weekday/7, month−1/12, day of year−1/365.25).
    Cyclic {
        /// Output name.
        name: String,
        /// The field.
        field: CalendarField,
        /// `sin` or `cos`.
        function: CyclicFunction,
    },
    /// Wind vector east component, −speed · sin(direction), direction in degrees.
    WindU {
        /// Output name.
        name: String,
        /// Wind speed column.
        speed: String,
        /// Wind direction column (degrees, where the wind comes from).
        direction: String,
    },
    /// Wind vector north component, −speed · cos(direction).
    WindV {
        /// Output name.
        name: String,
        /// Wind speed column.
        speed: String,
        /// Wind direction column (degrees).
        direction: String,
    },
    /// `a op b` of two columns.
    Interaction {
        /// Output name.
        name: String,
        /// First column.
        a: String,
        /// Second column.
        b: String,
        /// `product`, `sum`, `difference` (a − b) or `ratio` (a / b, missing when b = 0).
        op: InteractionOp,
    },
}

impl Feature {
    /// The output column name.
    pub fn name(&self) -> &str {
        match self {
            Feature::Value { name, .. }
            | Feature::Lag { name, .. }
            | Feature::Rolling { name, .. }
            | Feature::Calendar { name, .. }
            | Feature::Cyclic { name, .. }
            | Feature::WindU { name, .. }
            | Feature::WindV { name, .. }
            | Feature::Interaction { name, .. } => name,
        }
    }
}

/// Rolling statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollingStat {
    /// Mean of the present values.
    Mean,
    /// Sum of the present values.
    Sum,
    /// Smallest present value.
    Min,
    /// Largest present value.
    Max,
}

/// Calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarField {
    /// 0–23.
    Hour,
    /// Monday = 0 … Sunday = 6.
    Weekday,
    /// 1–12.
    Month,
    /// 1–31.
    Day,
    /// 1–366.
    DayOfYear,
    /// 1 on Saturday and Sunday, else 0.
    Weekend,
    /// The year.
    Year,
}

/// sin or cos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CyclicFunction {
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
}

/// Interaction operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InteractionOp {
    /// a · b.
    Product,
    /// a + b.
    Sum,
    /// a − b.
    Difference,
    /// a / b.
    Ratio,
}

/// The training target: a column's value `h` steps ahead, one target per horizon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Input column (its measured value, before any preprocessing step).
    pub of: String,
    /// Horizons in grid steps (each ≥ 1). A forecasting task's trainer sets them to every
    /// step it forecasts.
    #[serde(default)]
    pub horizons: Vec<u32>,
}

impl Target {
    /// The name of the target column of horizon `h`: `target_h{h}`.
    pub fn column(h: u32) -> String {
        alloc::format!("target_h{h}")
    }
}
