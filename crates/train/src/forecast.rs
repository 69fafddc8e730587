//! Training and measuring a forecasting model (a task with a `[forecast]` section): every
//! step ahead from one artifact, calibrated bands, and skill against the forecasts one
//! gets without a model.
//!
//! The design (measured against the alternatives in BENCHMARKS.md): each quantile head is
//! trained on *stacked rows*, one per (origin, step), whose features are the pipeline's
//! features at the origin followed by the horizon features of the target time
//! ([`aqcast_core::forecast::HorizonFeature`]). Every origin contributes the steps `k`
//! with `(origin + k) % stride == 0`, so each step sees every `stride`-th origin and the
//! stacked table stays `steps / stride` times the origin count.
//!
//! Periods, with `E` the task's `train_end` and `C` the calibration window:
//!
//! ```text
//! ──── proper training: origin and target ≤ E − C ────┬── calibration: origin > E − C, target ≤ E ──┬── test: origin > E
//! ```

use std::collections::BTreeMap;

use aqcast_core::aqi::{self, Scale};
use aqcast_core::forecast::{self, AheadGrid, AheadValues, Bands, HorizonFeature, Spec};
use aqcast_core::pipeline::{stats, Table};
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::tracking::Shift;
use aqcast_core::tracking::Tracker;
use aqcast_core::{Head, Matrix, Predictor};
use serde::{Deserialize, Serialize};

use crate::weather::{self, ErrorModel};
use crate::{Error, Objective, Params};
use aqcast_core::forecast::ahead::{self as core_ahead, Blurred};

/// The `[forecast]` section of a task file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Grid steps ahead (72 on an hourly grid, 3 on a daily one).
    pub steps: u32,
    /// Lower, median and upper quantile (default P10, P50, P90).
    #[serde(default = "default_quantiles")]
    pub quantiles: [f64; 3],
    /// The AQI scale categories are read on: `epa` or `eea`.
    #[serde(default = "default_scale")]
    pub scale: String,
    /// Days at the end of the training period held out to calibrate the bands.
    #[serde(default = "default_calibration_days")]
    pub calibration_days: u32,
    /// Each origin trains every `stride`-th step (1: every step of every origin).
    #[serde(default = "default_stride")]
    pub stride: u32,
    /// Features of the target time appended to the pipeline's: `steps`, `hour`,
    /// `weekday`, `month`, `climatology`; and of the station (multi-station tasks):
    /// `latitude`, `longitude`.
    #[serde(default = "default_horizon_features")]
    pub horizon_features: Vec<String>,
    /// Steps 1..=dense_steps are trained from every origin (short horizons change fastest
    /// with the step and need the rows); later steps every `stride`-th.
    #[serde(default)]
    pub dense_steps: u32,
    /// A pipeline feature (the latest measurement of the target, say): the heads then
    /// learn the change from it, with the climatology where it is missing.
    #[serde(default)]
    pub anchor: Option<String>,
    /// Trees of the band's lower and upper heads, when fewer than the median's: their
    /// learning rate is raised so that trees × rate stays the median's. The calibration
    /// corrects what the band loses; a smaller model for phones (BENCHMARKS.md).
    #[serde(default)]
    pub band_trees: Option<usize>,
    /// When set, the bands follow each station's own misses after training: one miss
    /// moves a step's shift by this share of the step's mean calibrated band width
    /// (`aqcast_core::tracking`; 0.005 on the canonical task, BENCHMARKS.md).
    #[serde(default)]
    pub track_rate: Option<f64>,
    /// Inputs known ahead (a weather forecast): their value at the target time is a
    /// feature of each step. Each entry is a variable of the pipeline's inputs (`ws`,
    /// `temp`, …), or `wind` for the wind's two components from `ws` and `wd`. Training
    /// reads what was measured at the target time; serving reads the forecast.
    #[serde(default)]
    pub ahead: Vec<String>,
    /// The error of a forecast of each variable read ahead, by variable, where the
    /// defaults ([`weather::default_errors`]) do not suit: the calibration and the scores
    /// read the measured values blurred by it.
    #[serde(default)]
    pub ahead_error: BTreeMap<String, ErrorModel>,
    /// What training reads ahead: `forecast-like` (the value measured at the target time
    /// blurred by the error model, as the calibration and the scores read it, so the
    /// heads learn how far to trust a forecast; the default, better at 10 of the 11 steps
    /// BENCHMARKS.md shows for the canonical task) or `measured` (unblurred, "perfect
    /// prognosis").
    #[serde(default)]
    pub ahead_training: AheadTraining,
    /// The unit of the bands' calibration: `absolute` (shifts in the target's unit, the
    /// same for every row of a step) or `width` (in units of each row's raw band width,
    /// so that bands the heads make wide widen more: coverage that holds in every range
    /// of levels, not only on average; `core::forecast::Spec::width_floor`).
    #[serde(default)]
    pub band_scale: BandScale,
}

/// The unit of the bands' calibration ([`Config::band_scale`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BandScale {
    /// The target's unit.
    #[default]
    Absolute,
    /// Each row's raw band width, at least a quarter of the step's mean.
    Width,
}

/// With [`BandScale::Width`], the least width a row's shifts are scaled by, as a share
/// of the step's mean raw width on the calibration window (crossed or collapsed heads
/// must not make a band of nothing).
const WIDTH_FLOOR_SHARE: f64 = 0.25;

/// What training reads ahead ([`Config::ahead_training`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AheadTraining {
    /// The value measured at the target time.
    Measured,
    /// The measured value blurred as a forecast of that lead time would be.
    #[default]
    ForecastLike,
}

fn default_quantiles() -> [f64; 3] {
    [0.1, 0.5, 0.9]
}
fn default_scale() -> String {
    "epa".into()
}
fn default_calibration_days() -> u32 {
    120
}
fn default_stride() -> u32 {
    6
}
fn default_horizon_features() -> Vec<String> {
    ["steps", "hour", "weekday", "climatology"]
        .map(String::from)
        .to_vec()
}

/// The horizon features a task can ask for.
const HORIZON_FEATURES: [&str; 7] = [
    "steps",
    "hour",
    "weekday",
    "month",
    "climatology",
    "latitude",
    "longitude",
];

/// Most steps a task may forecast.
pub const MAX_STEPS: u32 = 240;

impl Config {
    /// Checks the section on its own.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Setting(format!("[forecast] {m}")));
        let q = self.quantiles;
        if self.steps == 0 || self.steps > MAX_STEPS {
            return bad(format!("steps must be in 1..={MAX_STEPS}"));
        }
        if !(q[0] > 0.0 && q[0] < q[1] && q[1] < q[2] && q[2] < 1.0) {
            return bad("quantiles must be increasing and inside (0, 1)".into());
        }
        if self
            .band_trees
            .is_some_and(|t| !(1..=crate::gbdt::MAX_TREES).contains(&t))
        {
            return bad("band_trees must be in 1..=1000000".into());
        }
        if self
            .track_rate
            .is_some_and(|r| !(r.is_finite() && r > 0.0 && r <= 1.0))
        {
            return bad("track_rate must be in (0, 1]".into());
        }
        if self.stride == 0 || self.stride > self.steps {
            return bad("stride must be in 1..=steps".into());
        }
        if self.calibration_days == 0 || self.calibration_days > 3660 {
            return bad("calibration_days must be in 1..=3660".into());
        }
        self.scale
            .parse::<Scale>()
            .map_err(|e| Error::Setting(format!("[forecast] scale: {e}")))?;
        for f in &self.horizon_features {
            if !HORIZON_FEATURES.contains(&f.as_str()) {
                return bad(format!(
                    "unknown horizon feature {f:?}; use {}",
                    HORIZON_FEATURES.join(", ")
                ));
            }
        }
        for (i, a) in self.ahead.iter().enumerate() {
            if a.is_empty() || self.ahead[..i].contains(a) {
                return bad(format!("ahead: {a:?} is empty or listed twice"));
            }
        }
        let read = self.ahead_variables();
        for v in &read {
            // Weather only: a pollutant read at the target time would be the answer.
            let weather = aqcast_core::variable::named(v).is_some_and(|n| {
                matches!(n, aqcast_core::variable::Variable::Met(_)) && n.name() == v
            });
            if !weather {
                return bad(format!(
                    "ahead: {v:?} is not a weather variable; a forecast's inputs ahead are the weather: ws, wd, temp, rh, pressure (or wind for ws and wd)"
                ));
            }
        }
        if let Some(v) = self.ahead_error.keys().find(|v| !read.contains(v)) {
            return bad(format!(
                "ahead_error.{v}: {v:?} is not read ahead (ahead = {:?})",
                self.ahead
            ));
        }
        let errors = self.errors();
        for v in read {
            let Some(e) = errors.get(&v) else {
                return bad(format!(
                    "ahead: no error model for {v:?}: add [forecast.ahead_error.{v}] with sigma and per_day (its forecast's error, in its unit)"
                ));
            };
            if !(e.sigma.is_finite() && e.sigma >= 0.0 && e.per_day.is_finite() && e.per_day >= 0.0)
            {
                return bad(format!(
                    "ahead_error.{v}: sigma and per_day must be finite and ≥ 0"
                ));
            }
        }
        Ok(())
    }

    /// The variables the task reads ahead (`wind` is `ws` and `wd`), each once.
    pub fn ahead_variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in &self.ahead {
            let vars: Vec<&str> = if a == "wind" {
                vec!["ws", "wd"]
            } else {
                vec![a.as_str()]
            };
            for v in vars {
                if !out.iter().any(|o| o == v) {
                    out.push(v.to_string());
                }
            }
        }
        out
    }

    /// The error model of each variable read ahead: the task's, else the default.
    pub fn errors(&self) -> BTreeMap<String, ErrorModel> {
        let mut e = weather::default_errors();
        e.extend(self.ahead_error.clone());
        e
    }
}

/// The quality of one step ahead on the test period.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepReport {
    /// Grid steps ahead.
    pub step: u32,
    /// Rows evaluated (origins whose target and every baseline are known).
    pub n: usize,
    /// RMSE of the median.
    pub rmse: f64,
    /// MAE of the median.
    pub mae: f64,
    /// Mean of median − target.
    pub bias: f64,
    /// Pinball loss of the served lower bound, median and upper bound.
    pub pinball: [f64; 3],
    /// Share of targets inside the served band.
    pub coverage: f64,
    /// Mean width of the served band.
    pub width: f64,
    /// Share of targets inside the band of the artifact's calibration alone (equal to
    /// `coverage` for a model without tracking).
    pub static_coverage: f64,
    /// Mean width of that band.
    pub static_width: f64,
    /// Share of rows whose median's AQI category is the target's.
    pub category_accuracy: f64,
    /// Each baseline's RMSE and category accuracy on the same rows.
    pub baselines: BTreeMap<String, BaselineScore>,
    /// 1 − RMSE / RMSE(baseline), per baseline.
    pub skill: BTreeMap<String, f64>,
    /// For a model that reads inputs ahead: the step's median without them, and with
    /// the weather measured at the target time (the scores above read it blurred as a
    /// forecast would be).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weather: Option<WeatherSkill>,
    /// Coverage of the served band in each fifth of the level measured at the origin
    /// (lowest first; the edges are [`Report::level_fifths`]): a band that holds on
    /// average can still fail in the episodes that matter.
    pub coverage_by_level: Vec<f64>,
    /// Coverage of the served band by the AQI category of the level measured at the
    /// origin, for each category with test rows.
    pub coverage_by_category: Vec<CategoryCoverage>,
}

/// The band's coverage at origins of one AQI category.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CategoryCoverage {
    /// The category's name.
    pub category: String,
    /// Rows.
    pub n: usize,
    /// Share of their targets inside the served band.
    pub coverage: f64,
}

/// A step's median with and without the weather known ahead (see [`StepReport::weather`]).
#[derive(Clone, Debug, Default, Serialize)]
pub struct WeatherSkill {
    /// RMSE of the same task's model trained without inputs ahead.
    pub rmse_without: f64,
    /// Its skill against persistence.
    pub skill_without: f64,
    /// RMSE with the weather as measured at the target time: what a perfect weather
    /// forecast would give (an upper bound).
    pub rmse_observed: f64,
    /// Its skill against persistence.
    pub skill_observed: f64,
}

/// What a report says about the inputs read ahead.
#[derive(Clone, Debug, Serialize)]
pub struct AheadReport {
    /// The variables.
    pub variables: Vec<String>,
    /// The forecast error each was blurred by in the calibration and the served scores.
    pub errors: BTreeMap<String, ErrorModel>,
    /// How to read the scores.
    pub note: String,
}

/// A baseline's score on one step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BaselineScore {
    /// RMSE.
    pub rmse: f64,
    /// Share of rows whose AQI category is the target's.
    pub category_accuracy: f64,
}

/// The forecast part of a training report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// How every step is served from one artifact.
    pub design: String,
    /// Steps ahead.
    pub steps: u32,
    /// The grid step in seconds.
    pub step_seconds: i64,
    /// Unit of every value.
    pub unit: String,
    /// Quantile levels of the band.
    pub quantiles: [f64; 3],
    /// The stride of the stacked rows.
    pub stride: u32,
    /// Stacked training rows per head.
    pub train_rows: usize,
    /// Seconds spent training the three heads.
    pub train_seconds: f64,
    /// The calibration window (first and last origin, UTC) and its rows.
    pub calibration: String,
    /// The test period: first and last origin.
    pub test: String,
    /// One entry per step, over every station.
    pub per_step: Vec<StepReport>,
    /// Per station (multi-station models): its RMSE and skill against persistence at
    /// each step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_station: Vec<StationReport>,
    /// What a person should know about the run (no test rows, say).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The inputs read ahead, for a model that has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<AheadReport>,
    /// The edges between the fifths of the level measured at the test origins (the
    /// 20th, 40th, 60th and 80th percentiles; [`StepReport::coverage_by_level`]).
    pub level_fifths: Vec<f64>,
}

impl Report {
    /// The test metrics per step by name (`step24.rmse`, `step24.skill`, …), as the
    /// artifact's metadata lists them for people and for readers older than its typed
    /// scores.
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for s in &self.per_step {
            let key = format!("step{}", s.step);
            out.insert(format!("{key}.rmse"), s.rmse);
            out.insert(format!("{key}.coverage"), s.coverage);
            out.insert(format!("{key}.width"), s.width);
            if let Some(v) = s.skill.get("persistence") {
                out.insert(format!("{key}.skill"), *v);
            }
        }
        out
    }

    /// The test scores per step, as the artifact carries them and the registry lists
    /// them.
    pub fn scores(&self) -> Vec<aqcast_core::artifact::Score> {
        self.per_step
            .iter()
            .map(|s| aqcast_core::artifact::Score {
                step: s.step,
                rmse: s.rmse,
                skill: s.skill.get("persistence").copied(),
                coverage: Some(s.coverage),
                width: Some(s.width),
            })
            .collect()
    }
}

/// One station's scores in a multi-station report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StationReport {
    /// The station.
    pub station: String,
    /// Rows evaluated at each step.
    pub n: Vec<usize>,
    /// RMSE of the median at each step.
    pub rmse: Vec<f64>,
    /// Skill against persistence at each step.
    pub skill: Vec<f64>,
    /// Coverage of the band at each step.
    pub coverage: Vec<f64>,
}

/// What training a forecast gives: the three heads (lower, median, upper), the spec, and
/// the report.
pub struct Trained {
    /// Heads, lower first.
    pub heads: Vec<Head>,
    /// Per head: its training curve and gain per feature, for the HTML report.
    pub curves: Vec<(Vec<f64>, Vec<f64>)>,
    /// The FCST section.
    pub spec: Spec,
    /// The report.
    pub report: Report,
}

/// The periods of a forecasting task.
struct Periods {
    /// Last target time of proper training.
    cal_start: i64,
    /// Last target time of calibration (the task's train_end).
    train_end: i64,
}

/// The measured target on the grid: `y[i]` is the target's value at row `i`'s time
/// (from the table's one-step-ahead target column), NaN where unknown.
pub fn measured(table: &Table) -> Vec<f64> {
    let n = table.times.len();
    let mut y = vec![f64::NAN; n];
    if let Some(t1) = table.targets.first() {
        if n > 1 {
            y[1..].copy_from_slice(&t1.values[..n - 1]);
        }
    }
    y
}

fn build_horizon_features(
    c: &Config,
    sites: &[(&Table, Vec<f64>)],
    step: i64,
    utc_offset: i64,
    until: i64,
) -> Vec<HorizonFeature> {
    c.horizon_features
        .iter()
        .map(|f| match f.as_str() {
            "steps" => HorizonFeature::Steps {
                name: "ahead".into(),
            },
            "hour" => HorizonFeature::Hour {
                name: "target_hour".into(),
            },
            "weekday" => HorizonFeature::Weekday {
                name: "target_weekday".into(),
            },
            "month" => HorizonFeature::Month {
                name: "target_month".into(),
            },
            "latitude" => HorizonFeature::Latitude {
                name: "station_lat".into(),
            },
            "longitude" => HorizonFeature::Longitude {
                name: "station_lon".into(),
            },
            _ => HorizonFeature::Climatology {
                name: "climatology".into(),
                values: climatology(
                    sites.iter().map(|(t, y)| (*t, y.as_slice())),
                    step,
                    utc_offset,
                    until,
                ),
            },
        })
        .chain(c.ahead.iter().flat_map(|a| {
            if a == "wind" {
                let wind = |u: bool| {
                    let name = format!("wind_{}_ahead", if u { "u" } else { "v" });
                    let (speed, direction) = ("ws".to_string(), "wd".to_string());
                    if u {
                        HorizonFeature::AheadWindU {
                            name,
                            speed,
                            direction,
                        }
                    } else {
                        HorizonFeature::AheadWindV {
                            name,
                            speed,
                            direction,
                        }
                    }
                };
                vec![wind(true), wind(false)]
            } else {
                vec![HorizonFeature::Ahead {
                    name: format!("{a}_ahead"),
                    variable: a.clone(),
                }]
            }
        }))
        .collect()
}

/// The mean of the measured target per climatology slot over rows up to `until`, every
/// site pooled.
fn climatology<'a>(
    sites: impl Iterator<Item = (&'a Table, &'a [f64])>,
    step: i64,
    utc_offset: i64,
    until: i64,
) -> Vec<f64> {
    let slots = forecast::climatology_slots(step);
    let mut sum = vec![0.0; slots];
    let mut count = vec![0usize; slots];
    for (table, y) in sites {
        for (&t, &v) in table.times.iter().zip(y) {
            if t > until || !v.is_finite() {
                continue;
            }
            let s = forecast::climatology_slot(&aqcast_core::time::civil(t + utc_offset), step);
            sum[s] += v;
            count[s] += 1;
        }
    }
    sum.iter()
        .zip(&count)
        .map(|(&s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
        .collect()
}

/// A forecasting model's features: the pipeline's (the table's columns), then the
/// horizon features.
fn model_features(table: &Table, horizon: &[HorizonFeature]) -> Vec<String> {
    table
        .features
        .iter()
        .map(|c| c.name.clone())
        .chain(horizon.iter().map(|f| f.name().to_string()))
        .collect()
}

/// The pipeline's features at row `i`.
fn origin_row(table: &Table, i: usize) -> Vec<f64> {
    table.features.iter().map(|c| c.values[i]).collect()
}

/// The conformal quantile: the ⌈(n + 1)(1 − α)⌉-th smallest score (the largest when that
/// exceeds n), 0 without scores.
fn conformal(mut scores: Vec<f64>, alpha: f64) -> f64 {
    scores.retain(|v| v.is_finite());
    if scores.is_empty() {
        return 0.0;
    }
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let k = (((n + 1) as f64) * (1.0 - alpha)).ceil() as usize;
    scores[k.clamp(1, n) - 1]
}

/// One site's feature table.
pub struct SiteTable {
    /// The site id.
    pub site: String,
    /// Its feature table (targets: steps 1..=steps).
    pub table: Table,
    /// Its facts, for station features.
    pub station: Option<forecast::Station>,
    /// What was measured of the variables the task reads ahead, on its grid (empty for
    /// a task without them).
    pub ahead: AheadGrid,
}

/// Everything training needs to know about the task.
pub struct Task<'a> {
    /// The `[forecast]` section.
    pub config: &'a Config,
    /// Per site, the feature table over its observations (targets: steps 1..=steps), and
    /// the station's facts (multi-station tasks).
    pub sites: &'a [SiteTable],
    /// Grid step in seconds and the calendar's offset from UTC.
    pub grid: &'a aqcast_core::pipeline::spec::Grid,
    /// The task's end of training.
    pub train_end: i64,
    /// The target's name, pollutant and unit.
    pub target: String,
    /// The pollutant of the target.
    pub pollutant: Pollutant,
    /// The unit of the target column.
    pub unit: Unit,
    /// Boosting parameters (the objective is set per head).
    pub params: &'a Params,
}

/// Trains the three heads, calibrates them and measures them on the test period: the
/// steps [`Design::of`], [`stack_rows`], [`fit_heads`], [`calibrate`] and [`measure`].
///
/// A task that reads inputs ahead also trains the same model without them, to report
/// what they add at each step ([`StepReport::weather`]); that model is not kept.
pub fn train(task: &Task, on_tree: &(dyn Fn() + Sync)) -> Result<Trained, Error> {
    let design = Design::of(task)?;
    let stacked = stack_rows(task, &design)?;
    let fitted = fit_heads(task, &stacked, on_tree)?;
    drop(stacked);
    let calibration = calibrate(task, &design, &fitted.predictors)?;
    let spec = design.spec(task, calibration);
    let mut report = measure(task, &design, &fitted, &spec)?;
    if !task.config.ahead.is_empty() {
        let config = Config {
            ahead: Vec::new(),
            ahead_error: BTreeMap::new(),
            ..task.config.clone()
        };
        let without = train(
            &Task {
                config: &config,
                target: task.target.clone(),
                ..*task
            },
            on_tree,
        )
        .map_err(|e| e.about(String::from("the same model without inputs ahead")))?;
        for s in &mut report.per_step {
            if let (Some(w), Some(o)) = (
                without.report.per_step.iter().find(|w| w.step == s.step),
                s.weather.as_mut(),
            ) {
                o.rmse_without = w.rmse;
                o.skill_without = w.skill.get("persistence").copied().unwrap_or(f64::NAN);
            }
        }
    }
    Ok(Trained {
        heads: fitted.heads,
        curves: fitted.curves,
        report,
        spec,
    })
}

/// What a task's forecast is made of before any tree is grown: its scale and periods,
/// the horizon features, the model's feature names, the anchor and the stations.
pub struct Design {
    scale: Scale,
    periods: Periods,
    horizon: Vec<HorizonFeature>,
    names: Vec<String>,
    anchor_spec: Option<forecast::Anchor>,
    anchor: Option<forecast::AnchorIndex>,
    stations: Vec<forecast::Station>,
    /// The measured target of every site at each of its rows.
    measured: Vec<Vec<f64>>,
    /// The forecast error of each variable read ahead.
    errors: BTreeMap<String, ErrorModel>,
}

impl Design {
    /// Checks the task and lays out its model.
    pub fn of(task: &Task) -> Result<Design, Error> {
        let c = task.config;
        let scale: Scale = c
            .scale
            .parse()
            .map_err(|e| Error::Setting(format!("[forecast] scale: {e}")))?;
        aqi::check_scale(task.pollutant, task.unit, scale).map_err(|e| Error::Scale {
            scale: c.scale.clone(),
            pollutant: task.pollutant.label().into(),
            source: e.into(),
        })?;
        let first = task
            .sites
            .first()
            .ok_or_else(|| Error::TooFewRows("no site to train on".into()))?;
        let periods = Periods {
            cal_start: task.train_end - i64::from(c.calibration_days) * 86_400,
            train_end: task.train_end,
        };
        let measured: Vec<Vec<f64>> = task.sites.iter().map(|s| measured(&s.table)).collect();
        let with_y: Vec<(&Table, Vec<f64>)> = task
            .sites
            .iter()
            .zip(&measured)
            .map(|(s, y)| (&s.table, y.clone()))
            .collect();
        let horizon = build_horizon_features(
            c,
            &with_y,
            task.grid.step,
            task.grid.utc_offset,
            periods.cal_start,
        );
        let names = model_features(&first.table, &horizon);
        let anchor_spec = c.anchor.as_ref().map(|a| forecast::Anchor {
            feature: a.clone(),
            fallback: horizon
                .iter()
                .find(|f| matches!(f, HorizonFeature::Climatology { .. }))
                .map(|f| f.name().to_string()),
        });
        let anchor = Spec::anchor_of(anchor_spec.as_ref(), &names)?;
        let stations: Vec<forecast::Station> = task
            .sites
            .iter()
            .filter_map(|s| s.station.clone())
            .collect();
        let needs_station = horizon.iter().any(|f| {
            matches!(
                f,
                HorizonFeature::Latitude { .. } | HorizonFeature::Longitude { .. }
            )
        });
        if needs_station && stations.len() != task.sites.len() {
            return Err(Error::StationFacts);
        }
        Ok(Design {
            scale,
            periods,
            horizon,
            names,
            anchor_spec,
            anchor,
            stations,
            measured,
            errors: {
                let read = c.ahead_variables();
                c.errors()
                    .into_iter()
                    .filter(|(v, _)| read.contains(v))
                    .collect()
            },
        })
    }

    /// The model's features: the pipeline's, then the horizon features.
    pub fn features(&self) -> &[String] {
        &self.names
    }

    /// A site's measured values read ahead, blurred as a weather forecast would be (as
    /// the core's band replay blurs them).
    fn forecast_like<'a>(&'a self, site: &'a SiteTable, step: i64) -> Blurred<'a> {
        Blurred {
            observed: &site.ahead,
            errors: &self.errors,
            step_seconds: step,
            // As the core's replay seeds it: by the station a multi-station model names.
            seed: core_ahead::seed(
                site.station
                    .as_ref()
                    .filter(|_| {
                        self.horizon.iter().any(|f| {
                            matches!(
                                f,
                                HorizonFeature::Latitude { .. } | HorizonFeature::Longitude { .. }
                            )
                        })
                    })
                    .map_or("", |s| s.id.as_str()),
            ),
        }
    }

    /// The FCST section of the artifact, with the calibration made for it.
    fn spec(&self, task: &Task, calibration: Calibration) -> Spec {
        let c = task.config;
        Spec {
            steps: c.steps,
            horizon_features: self.horizon.clone(),
            heads: Bands {
                lower: 0,
                median: 1,
                upper: 2,
            },
            calibration: calibration.shifts,
            pollutant: task.pollutant,
            unit: task.unit,
            scale: self.scale,
            calibration_window: Some(calibration.window),
            anchor: self.anchor_spec.clone(),
            stations: self.stations.clone(),
            track_since: c.track_rate.map(|_| self.periods.train_end),
            track_rate: calibration.track_rate,
            shrink: calibration.shrink,
            ahead_error: self.errors.clone(),
            width_floor: calibration.width_floor,
        }
    }
}

/// The stacked training rows: one per (origin, step) whose target is known by the start
/// of the calibration window, every site pooled; the labels are the target less the
/// anchor.
pub struct Stacked {
    /// One column per model feature.
    pub columns: Vec<Vec<f64>>,
    /// The labels.
    pub labels: Vec<f64>,
}

/// Stacks the training rows of every site (see [`Stacked`]). Each origin trains the
/// steps up to `dense_steps` and every `stride`-th one after.
pub fn stack_rows(task: &Task, design: &Design) -> Result<Stacked, Error> {
    let c = task.config;
    let step = task.grid.step;
    let nf = design.names.len();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); nf];
    let mut labels = Vec::new();
    let mut row = Vec::with_capacity(nf);
    for site in task.sites {
        let table = &site.table;
        let blurred = design.forecast_like(site, step);
        let ahead: &dyn AheadValues = match c.ahead_training {
            AheadTraining::Measured => &site.ahead,
            // Other draws than the calibration's and the scores'.
            AheadTraining::ForecastLike => &Blurred {
                seed: blurred.seed ^ 0x005e_ed0f_7a41,
                ..blurred
            },
        };
        for i in 0..table.times.len() {
            let t = table.times[i];
            let origin = origin_row(table, i);
            for k in 1..=c.steps {
                if (k > c.dense_steps
                    && !(i as u64 + u64::from(k)).is_multiple_of(u64::from(c.stride)))
                    || t + i64::from(k) * step > design.periods.cal_start
                {
                    continue;
                }
                let v = table.targets[(k - 1) as usize].values[i];
                if !v.is_finite() {
                    continue;
                }
                row.clear();
                forecast::stacked_row(
                    &mut row,
                    &origin,
                    t,
                    k,
                    &design.horizon,
                    task.grid,
                    site.station.as_ref(),
                    ahead,
                );
                for (col, &x) in columns.iter_mut().zip(&row) {
                    col.push(x);
                }
                labels.push(v - design.anchor.map_or(0.0, |a| a.value(&row)));
            }
        }
    }
    if labels.is_empty() {
        return Err(Error::TooFewRows(format!(
            "no training row: nothing of the target is known {} days before train_end",
            c.calibration_days
        )));
    }
    Ok(Stacked { columns, labels })
}

/// The three quantile heads, grown on the stacked rows.
pub struct Fitted {
    /// The heads, lower first.
    pub heads: Vec<Head>,
    /// Each head compiled.
    pub predictors: Vec<Predictor>,
    /// Per head: its training curve and gain per feature, for the HTML report.
    pub curves: Vec<(Vec<f64>, Vec<f64>)>,
    /// Seconds spent growing them.
    pub seconds: f64,
    /// Stacked rows each head learned from.
    pub rows: usize,
}

/// Grows one quantile head per level of the task's band on the stacked rows (the band's
/// heads with `band_trees` trees, when set, at a learning rate raised to match).
pub fn fit_heads(
    task: &Task,
    stacked: &Stacked,
    on_tree: &(dyn Fn() + Sync),
) -> Result<Fitted, Error> {
    let c = task.config;
    let col_refs: Vec<&[f64]> = stacked.columns.iter().map(Vec::as_slice).collect();
    let started = std::time::Instant::now();
    let mut fitted = Fitted {
        heads: Vec::new(),
        predictors: Vec::new(),
        curves: Vec::new(),
        seconds: 0.0,
        rows: stacked.labels.len(),
    };
    for (i, &q) in c.quantiles.iter().enumerate() {
        let mut p = Params {
            objective: Objective::Quantile,
            alpha: q,
            quantiles: vec![],
            ..task.params.clone()
        };
        if let Some(trees) = c.band_trees.filter(|_| i != 1) {
            p.learning_rate *= p.trees as f64 / trees as f64;
            p.trees = trees;
        }
        let trained = crate::train_with_progress(&col_refs, &stacked.labels, &p, on_tree)
            .map_err(|e| e.about(format!("quantile {q}")))?;
        fitted.predictors.push(Predictor::new(&trained.ensemble)?);
        fitted.curves.push((trained.train_curve, trained.gain));
        fitted.heads.push(Head {
            target: task.target.clone(),
            horizon_hours: None,
            quantile: Some(q),
            ensemble: trained.ensemble,
        });
    }
    fitted.seconds = started.elapsed().as_secs_f64();
    Ok(fitted)
}

/// The bands' calibration, from the window held out before `train_end`.
pub struct Calibration {
    /// One shift per step.
    pub shifts: Vec<Shift>,
    /// Per step, the share of the median's change from the anchor taken back (empty for
    /// a model without an anchor).
    pub shrink: Vec<f64>,
    /// Per step, the least width the shifts are scaled by (empty: shifts in the target's
    /// unit).
    pub width_floor: Vec<f64>,
    /// Per step, how far one miss moves a shift (empty without tracking).
    pub track_rate: Vec<f64>,
    /// The window, for people: its first and last origin and its rows.
    pub window: String,
}

/// Calibrates the heads' raw bands on the window between the calibration start and
/// `train_end`, every site pooled: one-sided conformal shifts per step ([`shifts`]), and
/// when the task tracks its bands, each step's rate (a share of its mean calibrated
/// width).
pub fn calibrate(
    task: &Task,
    design: &Design,
    predictors: &[Predictor],
) -> Result<Calibration, Error> {
    let c = task.config;
    let steps = c.steps as usize;
    let step = task.grid.step;
    let p = &design.periods;
    let mut lo: Vec<Vec<f64>> = vec![Vec::new(); steps];
    let mut hi: Vec<Vec<f64>> = vec![Vec::new(); steps];
    // The median's change from the anchor, and Σ change·outcome's change, Σ change².
    let mut change: Vec<Vec<f64>> = vec![Vec::new(); steps];
    let mut widths: Vec<Vec<f64>> = vec![Vec::new(); steps];
    let mut fit = vec![(0.0, 0.0); steps];
    let mut raw_width = vec![(0.0, 0usize); steps];
    let (mut rows, mut first, mut last) = (0usize, i64::MAX, i64::MIN);
    for site in task.sites {
        let table = &site.table;
        let cal: Vec<usize> = (0..table.times.len())
            .filter(|&i| table.times[i] > p.cal_start && table.times[i] < p.train_end)
            .collect();
        let raw = raw_bands(
            predictors,
            table,
            &cal,
            c.steps,
            &design.horizon,
            task.grid,
            design.anchor,
            site.station.as_ref(),
            &design.forecast_like(site, task.grid.step),
        )?;
        for (r, &i) in cal.iter().enumerate() {
            rows += 1;
            first = first.min(table.times[i]);
            last = last.max(table.times[i]);
            for k in 0..steps {
                let v = table.targets[k].values[i];
                if !v.is_finite() || table.times[i] + (k as i64 + 1) * step > p.train_end {
                    continue;
                }
                let (out, a) = raw[r * steps + k];
                let b = forecast::raw_band(out, a, 0.0);
                lo[k].push(b[0] - v);
                hi[k].push(v - b[2]);
                change[k].push(out[1]);
                widths[k].push(b[2] - b[0]);
                fit[k].0 += out[1] * (v - a);
                fit[k].1 += out[1] * out[1];
                raw_width[k].0 += b[2] - b[0];
                raw_width[k].1 += 1;
            }
        }
    }
    // The share of the change to keep that fits the window best (least squares), in
    // [0, 1]: the heads' change taken back where it does worse than the anchor alone.
    let shrink: Vec<f64> = if design.anchor.is_some() {
        fit.iter()
            .map(|&(de, dd)| {
                let keep = if dd > 0.0 {
                    (de / dd).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                1.0 - keep
            })
            .collect()
    } else {
        Vec::new()
    };
    if !shrink.is_empty() {
        for k in 0..steps {
            for ((l, h), d) in lo[k].iter_mut().zip(&mut hi[k]).zip(&change[k]) {
                *l -= shrink[k] * d;
                *h += shrink[k] * d;
            }
        }
    }
    // Scores in units of each row's raw width (at least the floor), and the mean raw
    // width in those units, for the tracking rates.
    let mut width_floor = Vec::new();
    if c.band_scale == BandScale::Width {
        for k in 0..steps {
            let (w, n) = raw_width[k];
            let mean = if n == 0 { 0.0 } else { w / n as f64 };
            let floor = (WIDTH_FLOOR_SHARE * mean).max(1e-9);
            width_floor.push(floor);
            let mut relative = 0.0;
            for ((l, h), &w) in lo[k].iter_mut().zip(&mut hi[k]).zip(&widths[k]) {
                let scale = w.max(floor);
                *l /= scale;
                *h /= scale;
                relative += w / scale;
            }
            raw_width[k].0 = relative;
        }
    }
    let shifts = shifts(lo, hi, c.quantiles);
    let track_rate: Vec<f64> = c.track_rate.map_or_else(Vec::new, |r| {
        shifts
            .iter()
            .zip(&raw_width)
            .map(|(s, &(w, n))| {
                let width = if n == 0 { 0.0 } else { w / n as f64 } + s.lower + s.upper;
                r * width.max(0.0)
            })
            .collect()
    });
    let fmt = aqcast_core::time::format_datetime;
    let window = if rows > 0 {
        format!("origins {} to {} ({rows} rows)", fmt(first), fmt(last))
    } else {
        "none: no origin in the window (shifts are 0)".into()
    };
    Ok(Calibration {
        shifts,
        shrink,
        width_floor,
        track_rate,
        window,
    })
}

/// The conformal shifts of each step from its calibration scores: `lower[k]` holds
/// `raw lower − y`, `upper[k]` holds `y − raw upper` (CQR, one-sided for each bound), and
/// each side's shift is the `(1 − α)(1 + 1/n)` empirical quantile of its scores
/// ([`conformal`]) with `α` the side's nominal miss rate (`quantiles[0]` below,
/// `1 − quantiles[2]` above). So at most that share of the calibration outcomes falls
/// outside either side of the shifted band.
pub fn shifts(lower: Vec<Vec<f64>>, upper: Vec<Vec<f64>>, quantiles: [f64; 3]) -> Vec<Shift> {
    lower
        .into_iter()
        .zip(upper)
        .map(|(lo, hi)| Shift {
            lower: conformal(lo, quantiles[0]),
            upper: conformal(hi, 1.0 - quantiles[2]),
        })
        .collect()
}

/// Measures the served forecast on the test period (every origin after `train_end`)
/// against the baselines ([`evaluate`]), and writes the report.
pub fn measure(
    task: &Task,
    design: &Design,
    fitted: &Fitted,
    spec: &Spec,
) -> Result<Report, Error> {
    let c = task.config;
    let blurred: Vec<Blurred> = task
        .sites
        .iter()
        .map(|s| design.forecast_like(s, task.grid.step))
        .collect();
    let tests = test_sites(
        task,
        design,
        blurred.iter().map(|b| b as &dyn AheadValues).collect(),
    );
    let (test_first, test_last) = tests
        .iter()
        .flat_map(|s| s.rows.iter().map(|&i| s.table.times[i]))
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let mut warnings = Vec::new();
    if tests.iter().all(|s| s.rows.is_empty()) {
        warnings.push(
            "no test rows (nothing measured after the split's train_end): the per-step tables are left out"
                .into(),
        );
    }
    let (mut per_step, per_station) = evaluate(&Evaluation {
        sites: &tests,
        predictors: &fitted.predictors,
        spec,
        levels: c.quantiles,
        grid: task.grid,
        fit_until: design.periods.cal_start,
    })?;
    let ahead = (!c.ahead.is_empty())
        .then(|| -> Result<AheadReport, Error> {
            // The upper bound: the weather as it was then measured.
            let observed = test_sites(
                task,
                design,
                task.sites
                    .iter()
                    .map(|s| &s.ahead as &dyn AheadValues)
                    .collect(),
            );
            let (perfect, _) = evaluate(&Evaluation {
                sites: &observed,
                predictors: &fitted.predictors,
                spec,
                levels: c.quantiles,
                grid: task.grid,
                fit_until: design.periods.cal_start,
            })?;
            for s in &mut per_step {
                if let Some(o) = perfect.iter().find(|o| o.step == s.step) {
                    s.weather = Some(WeatherSkill {
                        rmse_without: f64::NAN,
                        skill_without: f64::NAN,
                        rmse_observed: o.rmse,
                        skill_observed: o.skill.get("persistence").copied().unwrap_or(f64::NAN),
                    });
                }
            }
            let variables = c.ahead_variables();
            Ok(AheadReport {
                errors: design.errors.clone(),
                variables,
                note: format!(
                    "trained on the weather measured at each target time{}; calibrated and scored with it blurred by each variable's forecast error at the step's lead time (errors); weather.skill_observed is the unblurred upper bound, weather.skill_without the same task without inputs ahead",
                    match c.ahead_training {
                        AheadTraining::ForecastLike => ", blurred alike",
                        AheadTraining::Measured => " (unblurred: perfect prognosis)",
                    }
                ),
            })
        })
        .transpose()?;
    let fmt = aqcast_core::time::format_datetime;
    let test = if test_first <= test_last {
        format!("origins {} to {}", fmt(test_first), fmt(test_last))
    } else {
        "none".into()
    };
    Ok(Report {
        design: "stacked: one head per quantile over (origin, step) rows with horizon features"
            .into(),
        steps: c.steps,
        step_seconds: task.grid.step,
        unit: task.unit.to_string(),
        quantiles: c.quantiles,
        stride: c.stride,
        train_rows: fitted.rows,
        train_seconds: fitted.seconds,
        calibration: spec.calibration_window.clone().unwrap_or_default(),
        test,
        per_step,
        // Stations with test rows (some stopped reporting before the test period).
        per_station: if task.sites.len() > 1 {
            per_station
                .into_iter()
                .filter(|s| s.n.iter().any(|&n| n > 0))
                .collect()
        } else {
            Vec::new()
        },
        warnings,
        ahead,
        level_fifths: level_fifths(&tests),
    })
}

/// Every site's origins after `train_end`, read ahead from `ahead` (one per site).
fn test_sites<'a>(
    task: &'a Task,
    design: &'a Design,
    ahead: Vec<&'a dyn AheadValues>,
) -> Vec<Site<'a>> {
    let train_end = design.periods.train_end;
    task.sites
        .iter()
        .zip(&design.measured)
        .zip(ahead)
        .map(|((s, y), ahead)| Site {
            name: &s.site,
            table: &s.table,
            y,
            rows: (0..s.table.times.len())
                .filter(|&i| s.table.times[i] > train_end)
                .collect(),
            station: s.station.as_ref(),
            ahead,
        })
        .collect()
}

/// The heads' outputs `[lower, median, upper]` and the anchor for every (origin, step),
/// origin-major ([`forecast::raw_band`] makes the band of each).
#[allow(clippy::too_many_arguments)]
fn raw_bands(
    predictors: &[Predictor],
    table: &Table,
    origins: &[usize],
    steps: u32,
    hf: &[HorizonFeature],
    grid: &aqcast_core::pipeline::spec::Grid,
    anchor: Option<forecast::AnchorIndex>,
    station: Option<&forecast::Station>,
    ahead: &dyn AheadValues,
) -> Result<Vec<([f64; 3], f64)>, Error> {
    let mut out = Vec::with_capacity(origins.len() * steps as usize);
    // In chunks, so the stacked matrix stays small.
    for chunk in origins.chunks(512) {
        let mut rows = Vec::new();
        for &i in chunk {
            let o = origin_row(table, i);
            for k in 1..=steps {
                forecast::stacked_row(&mut rows, &o, table.times[i], k, hf, grid, station, ahead);
            }
        }
        let preds: Vec<Vec<f64>> = predictors
            .iter()
            .map(|p| p.predict(Matrix::RowMajorF64(&rows)))
            .collect::<Result<_, _>>()?;
        let width = rows.len() / preds[0].len().max(1);
        for r in 0..preds[0].len() {
            let a = anchor.map_or(0.0, |a| a.value(&rows[r * width..(r + 1) * width]));
            out.push(([preds[0][r], preds[1][r], preds[2][r]], a));
        }
    }
    Ok(out)
}

/// One site's part of an evaluation.
pub struct Site<'a> {
    /// The site id.
    pub name: &'a str,
    /// Its feature table (targets: steps 1..=steps).
    pub table: &'a Table,
    /// The measured target at each row.
    pub y: &'a [f64],
    /// The origins measured (row indices).
    pub rows: Vec<usize>,
    /// Its facts, for station features.
    pub station: Option<&'a forecast::Station>,
    /// The values its forecasts read ahead.
    pub ahead: &'a dyn AheadValues,
}

/// What measuring a forecaster needs.
pub struct Evaluation<'a> {
    /// The sites and origins measured.
    pub sites: &'a [Site<'a>],
    /// The lower, median and upper heads.
    pub predictors: &'a [Predictor],
    /// The forecast spec (calibration, scale).
    pub spec: &'a Spec,
    /// The band's quantile levels.
    pub levels: [f64; 3],
    /// The grid.
    pub grid: &'a aqcast_core::pipeline::spec::Grid,
    /// Baselines (climatology, the linear model) are fitted on rows up to this time.
    pub fit_until: i64,
}

/// The baselines' names, in report order.
pub fn baseline_names(step: i64) -> Vec<String> {
    let mut v = vec!["persistence".to_string()];
    for p in seasons(step) {
        v.push(format!("seasonal_{p}"));
    }
    v.push("climatology".into());
    v.push("linear".into());
    v
}

/// Seasonal periods in grid steps: a day and a week on an hourly grid, a week on a daily
/// one.
fn seasons(step: i64) -> Vec<u32> {
    if step < 86_400 {
        let day = (86_400 / step) as u32;
        vec![day, 7 * day]
    } else {
        vec![7]
    }
}

/// Per step: the model's bands as served, against the target and the baselines, on the
/// rows where the target and every baseline are known; every site pooled, and per site.
pub fn evaluate(e: &Evaluation) -> Result<(Vec<StepReport>, Vec<StationReport>), Error> {
    let spec = e.spec;
    let steps = spec.steps;
    let step = e.grid.step;
    let Some(first) = e.sites.first() else {
        return Err(Error::TooFewRows("nothing to evaluate".into()));
    };
    let names = model_features(first.table, &spec.horizon_features);
    let anchor = spec.anchor_index(&names)?;
    let clim = climatology(
        e.sites.iter().map(|s| (s.table, s.y)),
        step,
        e.grid.utc_offset,
        e.fit_until,
    );
    let rate = |v: f64| -> Option<u8> {
        aqi::rate(spec.pollutant, spec.unit, spec.scale, v.max(0.0))
            .ok()
            .map(|r| r.1)
    };
    let bnames = baseline_names(step);
    let fifths = level_fifths(e.sites);
    let categories = aqi::categories(spec.scale);
    let raws: Vec<Vec<[[f64; 3]; 2]>> = e
        .sites
        .iter()
        .map(|s| served_bands(e, s, anchor))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(steps as usize);
    let mut per_site: Vec<StationReport> = e
        .sites
        .iter()
        .map(|s| StationReport {
            station: s.name.to_string(),
            ..StationReport::default()
        })
        .collect();
    for k in 1..=steps {
        let linear = Linear::fit(e.sites, e.fit_until, k, step);
        let mut sums = Sums::new(bnames.len());
        let mut by_level = [(0usize, 0usize); 5];
        let mut by_category = vec![(0usize, 0usize); categories.len()];
        for ((s, raw), report) in e.sites.iter().zip(&raws).zip(per_site.iter_mut()) {
            let table = s.table;
            let target = &table.targets[(k - 1) as usize].values;
            let mut site_sums = Sums::new(bnames.len());
            for (r, &i) in s.rows.iter().enumerate() {
                let v = target[i];
                if !v.is_finite() {
                    continue;
                }
                let t_target = table.times[i] + i64::from(k) * step;
                let mut base = Vec::with_capacity(bnames.len());
                base.push(s.y[i]);
                for p in seasons(step) {
                    // The latest value at the same point of the season known at the origin.
                    let back = p * k.div_ceil(p);
                    let j = (i + k as usize).checked_sub(back as usize);
                    base.push(j.map_or(f64::NAN, |j| s.y[j]));
                }
                let slot = forecast::climatology_slot(
                    &aqcast_core::time::civil(t_target + e.grid.utc_offset),
                    step,
                );
                base.push(clim.get(slot).copied().unwrap_or(f64::NAN));
                base.push(linear.predict(table, i));
                if base.iter().any(|b| !b.is_finite()) {
                    continue;
                }
                let [b, fixed] = raw[r * steps as usize + (k - 1) as usize];
                sums.add(v, b, fixed, e.levels, &base, &rate);
                site_sums.add(v, b, fixed, e.levels, &base, &rate);
                let hit = usize::from(b[0] <= v && v <= b[2]);
                let fifth = fifths.iter().filter(|&&edge| s.y[i] > edge).count();
                by_level[fifth].0 += hit;
                by_level[fifth].1 += 1;
                if let Some(c) = rate(s.y[i]).and_then(|c| by_category.get_mut(usize::from(c))) {
                    c.0 += hit;
                    c.1 += 1;
                }
            }
            let sr = site_sums.report(k, &bnames);
            report.n.push(sr.n);
            report.rmse.push(sr.rmse);
            report
                .skill
                .push(sr.skill.get("persistence").copied().unwrap_or(f64::NAN));
            report.coverage.push(sr.coverage);
        }
        if sums.n > 0 {
            let share = |(hit, n): (usize, usize)| {
                if n == 0 {
                    f64::NAN
                } else {
                    hit as f64 / n as f64
                }
            };
            let mut r = sums.report(k, &bnames);
            r.coverage_by_level = by_level.iter().map(|&c| share(c)).collect();
            r.coverage_by_category = categories
                .iter()
                .zip(&by_category)
                .filter(|(_, c)| c.1 > 0)
                .map(|(info, &c)| CategoryCoverage {
                    category: info.name.clone(),
                    n: c.1,
                    coverage: share(c),
                })
                .collect();
            out.push(r);
        }
    }
    Ok((out, per_site))
}

/// The 20th, 40th, 60th and 80th percentiles of the level measured at every scored
/// origin (empty without one).
pub fn level_fifths(sites: &[Site]) -> Vec<f64> {
    let mut v: Vec<f64> = sites
        .iter()
        .flat_map(|s| s.rows.iter().map(|&i| s.y[i]))
        .filter(|v| v.is_finite())
        .collect();
    if v.is_empty() {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    [0.2, 0.4, 0.6, 0.8]
        .iter()
        .map(|&q| stats::quantile(&v, q).unwrap_or(f64::NAN))
        .collect()
}

/// The bands of every (scored origin, step) of a site, origin-major: as served (tracked
/// from the end of the calibration window when the model tracks, replaying every origin
/// after it in time order as [`aqcast_core::forecast::Forecaster::track`] does) and with
/// the artifact's calibration alone.
fn served_bands(
    e: &Evaluation,
    s: &Site,
    anchor: Option<forecast::AnchorIndex>,
) -> Result<Vec<[[f64; 3]; 2]>, Error> {
    let spec = e.spec;
    let steps = spec.steps as usize;
    let step = e.grid.step;
    let times = &s.table.times;
    let first = spec
        .track_since
        .map(|since| since.div_euclid(step) * step + step);
    let mut all = s.rows.clone();
    if let (Some(first), Some(last)) = (first, s.rows.iter().map(|&i| times[i]).max()) {
        all.extend((0..times.len()).filter(|&i| times[i] >= first && times[i] <= last));
        all.sort_unstable();
        all.dedup();
    }
    let raw = raw_bands(
        e.predictors,
        s.table,
        &all,
        spec.steps,
        &spec.horizon_features,
        e.grid,
        anchor,
        s.station,
        s.ahead,
    )?;
    let mut scored = vec![usize::MAX; times.len()];
    for (r, &i) in s.rows.iter().enumerate() {
        scored[i] = r;
    }
    let mut tracker = spec.track_since.map(|_| {
        Tracker::new(
            &spec.calibration,
            &spec.track_rate,
            e.levels[0],
            e.levels[2],
            step,
        )
    });
    let mut out = vec![[[0.0; 3]; 2]; s.rows.len() * steps];
    for (a, &i) in all.iter().enumerate() {
        let t = times[i];
        let mut tracking = tracker.as_mut().filter(|_| first.is_some_and(|f| t >= f));
        if let Some(tr) = tracking.as_mut() {
            tr.advance(t);
        }
        for k in 0..steps {
            let (o, anchor) = raw[a * steps + k];
            let b = forecast::raw_band(o, anchor, spec.shrink_at(k as u32 + 1));
            let fixed = spec.calibration[k];
            if let Some(&r) = scored.get(i).filter(|&&r| r != usize::MAX) {
                let shift = tracking.as_ref().map_or(fixed, |tr| tr.shifts()[k]);
                let scale = spec.scale_of(k as u32 + 1, b);
                out[r * steps + k] = [
                    forecast::calibrate(b, shift, scale),
                    forecast::calibrate(b, fixed, scale),
                ];
            }
            if let Some(tr) = tracking.as_mut() {
                let scale = spec.scale_of(k as u32 + 1, b);
                tr.record(t, k as u32 + 1, b, scale, s.table.targets[k].values[i]);
            }
        }
    }
    Ok(out)
}

/// Running sums of one step's scores.
struct Sums {
    n: usize,
    se: f64,
    ae: f64,
    bias: f64,
    pinball: [f64; 3],
    covered: usize,
    width: f64,
    static_covered: usize,
    static_width: f64,
    cat_hits: usize,
    cat_n: usize,
    base_se: Vec<f64>,
    base_hits: Vec<usize>,
}

impl Sums {
    fn new(n_base: usize) -> Sums {
        Sums {
            n: 0,
            se: 0.0,
            ae: 0.0,
            bias: 0.0,
            pinball: [0.0; 3],
            covered: 0,
            width: 0.0,
            static_covered: 0,
            static_width: 0.0,
            cat_hits: 0,
            cat_n: 0,
            base_se: vec![0.0; n_base],
            base_hits: vec![0; n_base],
        }
    }

    fn add(
        &mut self,
        v: f64,
        b: [f64; 3],
        fixed: [f64; 3],
        levels: [f64; 3],
        base: &[f64],
        rate: &dyn Fn(f64) -> Option<u8>,
    ) {
        self.n += 1;
        let r = b[1] - v;
        self.se += r * r;
        self.ae += r.abs();
        self.bias += r;
        for j in 0..3 {
            self.pinball[j] += crate::loss::pinball(b[j], v, levels[j]);
        }
        self.covered += usize::from(b[0] <= v && v <= b[2]);
        self.width += b[2] - b[0];
        self.static_covered += usize::from(fixed[0] <= v && v <= fixed[2]);
        self.static_width += fixed[2] - fixed[0];
        let truth = rate(v);
        if truth.is_some() {
            self.cat_n += 1;
            self.cat_hits += usize::from(rate(b[1]) == truth);
        }
        for (j, &x) in base.iter().enumerate() {
            self.base_se[j] += (x - v) * (x - v);
            self.base_hits[j] += usize::from(truth.is_some() && rate(x) == truth);
        }
    }

    fn report(&self, k: u32, names: &[String]) -> StepReport {
        let n = self.n.max(1) as f64;
        let cn = self.cat_n.max(1) as f64;
        let rmse = (self.se / n).sqrt();
        let mut baselines = BTreeMap::new();
        let mut skill = BTreeMap::new();
        for (j, name) in names.iter().enumerate() {
            let b = (self.base_se[j] / n).sqrt();
            baselines.insert(
                name.clone(),
                BaselineScore {
                    rmse: b,
                    category_accuracy: self.base_hits[j] as f64 / cn,
                },
            );
            skill.insert(name.clone(), if b > 0.0 { 1.0 - rmse / b } else { 0.0 });
        }
        StepReport {
            step: k,
            n: self.n,
            rmse,
            mae: self.ae / n,
            bias: self.bias / n,
            pinball: self.pinball.map(|p| p / n),
            coverage: self.covered as f64 / n,
            width: self.width / n,
            static_coverage: self.static_covered as f64 / n,
            static_width: self.static_width / n,
            category_accuracy: self.cat_hits as f64 / cn,
            baselines,
            skill,
            weather: None,
            coverage_by_level: Vec::new(),
            coverage_by_category: Vec::new(),
        }
    }
}

/// The linear baseline: ridge regression of one step's target on the origin's features
/// (missing values replaced by the training mean), with the core's ridge (the one the
/// iterative imputer uses).
struct Linear {
    means: Vec<f64>,
    coef: Vec<f64>,
}

impl Linear {
    /// Fits step `k`'s regression on every site's origins whose target is known by
    /// `fit_until`.
    fn fit(sites: &[Site], fit_until: i64, k: u32, step: i64) -> Linear {
        let Some(first) = sites.first() else {
            return Linear {
                means: Vec::new(),
                coef: vec![0.0],
            };
        };
        let p = first.table.features.len();
        let fit_rows = |s: &Site| -> Vec<usize> {
            (0..s.table.times.len())
                .filter(|&i| s.table.times[i] + i64::from(k) * step <= fit_until)
                .collect()
        };
        let rows: Vec<Vec<usize>> = sites.iter().map(fit_rows).collect();
        let means: Vec<f64> = (0..p)
            .map(|j| {
                stats::mean(
                    sites
                        .iter()
                        .zip(&rows)
                        .flat_map(|(s, r)| r.iter().map(move |&i| s.table.features[j].values[i])),
                )
                .unwrap_or(0.0)
            })
            .collect();
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (s, r) in sites.iter().zip(&rows) {
            let target = &s.table.targets[(k - 1) as usize].values;
            for &i in r {
                let v = target[i];
                if !v.is_finite() {
                    continue;
                }
                for (c, m) in s.table.features.iter().zip(&means) {
                    let x_ = c.values[i];
                    x.push(if x_.is_finite() { x_ } else { *m });
                }
                y.push(v);
            }
        }
        Linear {
            coef: stats::ridge(&x, &y, p, 1e-6),
            means,
        }
    }

    fn predict(&self, table: &Table, i: usize) -> f64 {
        let mut v = self.coef[0];
        for ((c, m), w) in table.features.iter().zip(&self.means).zip(&self.coef[1..]) {
            let x = c.values[i];
            v += w * if x.is_finite() { x } else { *m };
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqcast_core::pipeline::{spec::Grid, Column};

    #[test]
    fn the_conformal_quantile_is_the_ceil_n_plus_1_rank() {
        // n = 9, α = 0.1: the ⌈10 · 0.9⌉ = 9th smallest, the largest.
        let scores: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(conformal(scores.clone(), 0.1), 9.0);
        // α = 0.5: the 5th smallest.
        assert_eq!(conformal(scores.clone(), 0.5), 5.0);
        // Too few scores for the level: the largest, never beyond.
        assert_eq!(conformal(vec![3.0, 1.0], 0.01), 3.0);
        // Missing scores are left out; none at all shifts nothing.
        assert_eq!(conformal(vec![f64::NAN, 2.0, f64::INFINITY], 0.5), 2.0);
        assert_eq!(conformal(vec![], 0.1), 0.0);
        // Negative scores (a band wider than it needs) narrow it.
        assert_eq!(conformal(vec![-4.0, -3.0, -2.0, -1.0], 0.5), -2.0);
    }

    proptest::proptest! {
        /// Shifted by its conformal shifts, each side of the band misses at most its
        /// nominal share of the calibration outcomes, however biased the raw heads are.
        #[test]
        fn shifted_bands_miss_no_more_than_the_nominal_share(
            rows in proptest::collection::vec((-50.0f64..50.0, -50.0f64..50.0, 0.0f64..30.0), 5..300),
            lower in 0.02f64..0.3,
            upper in 0.7f64..0.98,
        ) {
            let raw: Vec<[f64; 3]> = rows.iter().map(|&(_, c, w)| [c - w, c, c + w]).collect();
            let ys: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let lo: Vec<f64> = raw.iter().zip(&ys).map(|(b, y)| b[0] - y).collect();
            let hi: Vec<f64> = raw.iter().zip(&ys).map(|(b, y)| y - b[2]).collect();
            let s = shifts(vec![lo.clone()], vec![hi.clone()], [lower, 0.5, upper])[0];
            let n = ys.len() as f64;
            // A miss below is `y < raw lower − shift`, i.e. a score above the shift
            // (compared as scores: the same inequality without a second rounding).
            let below = lo.iter().filter(|&&v| v > s.lower).count() as f64;
            let above = hi.iter().filter(|&&v| v > s.upper).count() as f64;
            proptest::prop_assert!(below / n <= lower + 1e-12, "{} of {} below", below, n);
            proptest::prop_assert!(above / n <= 1.0 - upper + 1e-12, "{} of {} above", above, n);
        }
    }

    const HOURLY: Grid = Grid {
        step: 3600,
        utc_offset: 0,
    };

    /// A six-hour task on every origin, calibrated on 20 days, anchored on `anchor`.
    fn six_hours(anchor: Option<&str>) -> Config {
        Config {
            steps: 6,
            quantiles: [0.1, 0.5, 0.9],
            scale: "eea".into(),
            calibration_days: 20,
            stride: 1,
            horizon_features: vec!["steps".into(), "hour".into()],
            dense_steps: 0,
            anchor: anchor.map(String::from),
            band_trees: None,
            track_rate: None,
            ahead: Vec::new(),
            ahead_error: BTreeMap::new(),
            ahead_training: AheadTraining::Measured,
            band_scale: BandScale::Absolute,
        }
    }

    /// An hourly site whose target is a daily cycle plus noise, with lag features.
    fn site(days: i64) -> SiteTable {
        let n = (days * 24) as usize;
        let mut x = 12345u64;
        let mut noise = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((x >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let y: Vec<f64> = (0..n)
            .map(|i| {
                30.0 + 10.0 * ((i % 24) as f64 / 24.0 * std::f64::consts::TAU).sin() + 4.0 * noise()
            })
            .collect();
        let steps = 6;
        let targets = (1..=steps)
            .map(|k| Column {
                name: format!("target_h{k}"),
                values: (0..n)
                    .map(|i| y.get(i + k).copied().unwrap_or(f64::NAN))
                    .collect(),
            })
            .collect();
        SiteTable {
            site: "s".into(),
            table: Table {
                times: (0..n as i64)
                    .map(|i| 1_000_000_000 / 3600 * 3600 + i * 3600)
                    .collect(),
                features: vec![Column {
                    name: "no2_lag0".into(),
                    values: y.clone(),
                }],
                targets,
            },
            station: None,
            ahead: AheadGrid::default(),
        }
    }

    /// An hourly site whose target follows the wind of its own hour (random from hour to
    /// hour, so nothing before the hour tells it), with the wind measured alongside.
    fn windy_site(days: i64, steps: usize) -> SiteTable {
        let n = (days * 24) as usize;
        let mut x = 987u64;
        let mut uniform = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let ws: Vec<f64> = (0..n).map(|_| 8.0 * uniform()).collect();
        let y: Vec<f64> = ws
            .iter()
            .map(|w| 60.0 - 6.0 * w + 2.0 * (uniform() - 0.5))
            .collect();
        let t0 = 1_000_000_000 / 3600 * 3600;
        let times: Vec<i64> = (0..n as i64).map(|i| t0 + i * 3600).collect();
        let table = Table {
            times: times.clone(),
            features: vec![Column {
                name: "no2_lag0".into(),
                values: y.clone(),
            }],
            targets: (1..=steps)
                .map(|k| Column {
                    name: format!("target_h{k}"),
                    values: (0..n)
                        .map(|i| y.get(i + k).copied().unwrap_or(f64::NAN))
                        .collect(),
                })
                .collect(),
        };
        let series = [aqcast_core::pipeline::Series {
            variable: "ws".into(),
            times,
            values: ws,
        }];
        let ahead = crate::weather::observed(&series, &["ws".into()], &table, 3600, steps as u32);
        SiteTable {
            site: "w".into(),
            table,
            station: None,
            ahead,
        }
    }

    #[test]
    fn weather_known_ahead_is_read_at_the_target_time_and_scored_three_ways() {
        let sites = [windy_site(150, 6)];
        let t0 = sites[0].table.times[0];
        let config = Config {
            ahead: vec!["ws".into()],
            ..six_hours(None)
        };
        config.validate().unwrap();
        let params = Params {
            trees: 60,
            ..Params::default()
        };
        let grid = HOURLY;
        let task = Task {
            config: &config,
            sites: &sites,
            grid: &grid,
            train_end: t0 + 120 * 86_400,
            target: "no2".into(),
            pollutant: Pollutant::No2,
            unit: Unit::UgM3,
            params: &params,
        };
        let trained = train(&task, &|| {}).unwrap();
        assert_eq!(
            trained.spec.ahead_variables(),
            ["ws"],
            "the artifact says what it reads ahead"
        );
        let ahead = trained.report.ahead.as_ref().unwrap();
        assert_eq!(ahead.variables, ["ws"]);
        assert_eq!(ahead.errors["ws"], crate::weather::default_errors()["ws"]);
        for s in &trained.report.per_step {
            let w = s.weather.as_ref().unwrap();
            let served = s.skill["persistence"];
            // Measured wind explains nearly all of it; a forecast's wind less; none,
            // nothing beyond the mean.
            assert!(
                w.skill_observed > served && served > w.skill_without + 0.2,
                "step {}: observed {}, served {served}, without {}",
                s.step,
                w.skill_observed,
                w.skill_without
            );
            assert!(w.rmse_observed < s.rmse && s.rmse < w.rmse_without);
            // The bands were calibrated on the blurred wind, so they hold with it.
            assert!(
                (0.7..=0.9).contains(&s.coverage),
                "step {}: {}",
                s.step,
                s.coverage
            );
        }
    }

    #[test]
    fn the_steps_make_a_calibrated_model_that_covers_its_test_period() {
        let sites = [site(120)];
        let t0 = sites[0].table.times[0];
        let config = six_hours(Some("no2_lag0"));
        let params = Params {
            trees: 40,
            ..Params::default()
        };
        let grid = HOURLY;
        let task = Task {
            config: &config,
            sites: &sites,
            grid: &grid,
            train_end: t0 + 90 * 86_400,
            target: "no2".into(),
            pollutant: Pollutant::No2,
            unit: Unit::UgM3,
            params: &params,
        };
        let design = Design::of(&task).unwrap();
        assert_eq!(design.features(), ["no2_lag0", "ahead", "target_hour"]);
        let stacked = stack_rows(&task, &design).unwrap();
        // Every origin whose target is known by the calibration start, every step.
        assert!(stacked.labels.len() > 69 * 24 * 6 && stacked.labels.len() <= 70 * 24 * 6);
        let fitted = fit_heads(&task, &stacked, &|| {}).unwrap();
        assert_eq!(fitted.heads.len(), 3);
        let cal = calibrate(&task, &design, &fitted.predictors).unwrap();
        assert_eq!(cal.shifts.len(), 6);
        assert!(cal.window.contains("rows"), "{}", cal.window);
        let spec = design.spec(&task, cal);
        let report = measure(&task, &design, &fitted, &spec).unwrap();
        assert_eq!(report.per_step.len(), 6);
        for s in &report.per_step {
            // The test period is the calibration's weather: the band holds about 80 %.
            assert!(
                (0.7..=0.92).contains(&s.coverage),
                "step {}: {}",
                s.step,
                s.coverage
            );
            // And the model knows the daily cycle that persistence does not.
            assert!(
                s.skill["persistence"] > 0.0,
                "step {}: {:?}",
                s.step,
                s.skill
            );
        }
        assert!(report.warnings.is_empty());
        assert_eq!(report.scores().len(), 6);
    }
}
