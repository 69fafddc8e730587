//! The forecast: a model and a station's recent raw observations → for each step ahead
//! (hourly 1…72, or daily 1…3) a calibrated P10/P50/P90, the AQI of P50 and the
//! probability of each AQI category. This is the one forecast computation: the CLI
//! (`aqcast forecast`), the npm package (`model.forecast`), the edge worker and the
//! dashboard all call [`Forecaster::forecast`] and give the same bits.
//!
//! ## How a forecasting model is laid out
//!
//! One artifact serves every step ahead: each quantile head is trained on *stacked rows*,
//! one per (origin, step), whose features are the pipeline's features at the origin (what
//! was known then) followed by the [`HorizonFeature`]s of the step (how far ahead, the
//! hour, weekday and climatology of the target time). A forecast is then one batch of
//! `steps` rows per head. The model's features are the pipeline's, then the horizon
//! features, in that order.
//!
//! ## Calibration
//!
//! Quantile heads are conformalised (CQR, Romano et al. 2019, one-sided for each bound):
//! on a calibration window held out before the test period, the trainer takes the
//! conformity scores `lower − y` and `y − upper` per step and stores the
//! `(1 − level)(1 + 1/n)` empirical quantile of each as a [`Shift`]; the forecast widens (or
//! narrows, for a negative shift) the band by them. The median is not shifted.
//!
//! ## Category probabilities
//!
//! The band defines a distribution per step: its quantile function is linear between
//! (P10, 0.1), (P50, 0.5) and (P90, 0.9) and continues with the nearest segment's slope
//! beyond them, cut at 0. The probability of a category is the share of the 100 quantile
//! levels 0.005, 0.015, …, 0.995 whose concentration falls in it: plain arithmetic, the
//! same category function as the AQI itself, exact in whole percent.
//!
//! ## No leakage
//!
//! A forecast made at origin T reads only observations before T + one grid step (the
//! grid row T holds the mean of [T, T + step)): everything later is dropped before the
//! pipeline runs, so no later observation can change it.

pub mod ahead;
mod error;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use aqcast_engine::Ensemble;
use serde::{Deserialize, Serialize};

pub use self::ahead::{AheadGrid, AheadValues};
pub use self::error::{Error, Known};
use crate::aqi::{categories, rate, CategoryInfo, Scale};
use crate::pipeline::{Pipeline, Series};
use crate::pollutant::{Pollutant, Unit};
use crate::time;
use crate::tracking::{Shift, Tracked, Tracker};
use crate::Head;

/// Most steps a forecast spans (a year of hours): a bound on what a spec can ask for.
pub const MAX_STEPS: u32 = 8_784;

/// How a model forecasts: stored in the artifact's FCST section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Steps ahead, 1..=steps, each one grid step of the pipeline (72 hours, 3 days).
    pub steps: u32,
    /// The features appended to the pipeline's for each step, in order.
    pub horizon_features: Vec<HorizonFeature>,
    /// Heads giving the lower bound, the median and the upper bound, by index.
    pub heads: Bands,
    /// One shift per step (index 0 is one step ahead), from the calibration window.
    pub calibration: Vec<Shift>,
    /// The pollutant the target is.
    pub pollutant: Pollutant,
    /// The unit of the target column (and of every forecast value).
    pub unit: Unit,
    /// The AQI scale categories are read on.
    pub scale: Scale,
    /// How the calibration was made (held-out window, rows), for people.
    #[serde(default)]
    pub calibration_window: Option<String>,
    /// When set, the heads predict the change from this feature's value (the latest
    /// measurement, say), which is added back to every output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
    /// The stations a multi-station model knows, with the facts its station features
    /// read (empty for a single-station model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stations: Vec<Station>,
    /// When set, the bands follow each station's misses after training
    /// ([`crate::tracking`]): the last origin of the calibration window (Unix seconds,
    /// UTC), from which the replay starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_since: Option<i64>,
    /// Per step (index 0 is one step ahead), how far one miss moves a shift, in the
    /// target's unit (empty without tracking).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_rate: Vec<f64>,
    /// Per step, the share of the median's change from the anchor that is taken back
    /// ([`raw_band`]): where the heads' change is less reliable than none at all (the
    /// latest measurement, one hour ahead), the forecast leans on the measurement. Fitted
    /// on the calibration window by least squares; empty where nothing is taken back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shrink: Vec<f64>,
    /// How far a forecast of each variable read ahead is expected to be from what is
    /// then measured: the band replay reads past targets' measurements blurred by it, as
    /// the trainer calibrated and scored ([`ahead::Blurred`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ahead_error: BTreeMap<String, ahead::ErrorModel>,
    /// When set (one value per step), the calibration's and the tracking's shifts are in
    /// units of each row's raw band width, at least this value (normalised conformal
    /// prediction, "CQR-r"): a band the heads make wide (a smoggy origin) widens by more
    /// than one they make narrow, so it covers in every range of levels, not only on
    /// average. Empty: shifts in the target's unit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub width_floor: Vec<f64>,
}

/// A station's facts, as station features read them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// The station id (the site id in the store).
    pub id: String,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
}

/// The value the heads' outputs are added to: a feature of the stacked row, or, where it
/// is missing, another one (the climatology, say); 0 where both are missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    /// The model feature whose value anchors the forecast.
    pub feature: String,
    /// The model feature used where `feature` is missing.
    #[serde(default)]
    pub fallback: Option<String>,
}

/// An [`Anchor`] resolved to feature positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnchorIndex {
    feature: usize,
    fallback: Option<usize>,
}

impl AnchorIndex {
    /// The anchor of a stacked row.
    pub fn value(&self, row: &[f64]) -> f64 {
        self.used(row).map_or(0.0, |i| row[i])
    }

    /// The position of the feature that anchors a stacked row: the anchor feature, or
    /// where it is missing the fallback; none where both are missing (the anchor is 0).
    pub fn used(&self, row: &[f64]) -> Option<usize> {
        [Some(self.feature), self.fallback]
            .into_iter()
            .flatten()
            .find(|&i| row.get(i).is_some_and(|v| v.is_finite()))
    }
}

/// The heads of the band, by index into the model's heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    /// The lower quantile (P10).
    pub lower: u32,
    /// The median (P50).
    pub median: u32,
    /// The upper quantile (P90).
    pub upper: u32,
}

/// A feature of the target time, appended to the origin's features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum HorizonFeature {
    /// How many grid steps ahead (1, 2, …).
    Steps {
        /// Feature name.
        name: String,
    },
    /// Hour of day of the target time, on the pipeline's clock.
    Hour {
        /// Feature name.
        name: String,
    },
    /// Day of week of the target time (Monday = 0).
    Weekday {
        /// Feature name.
        name: String,
    },
    /// Month of the target time (1–12).
    Month {
        /// Feature name.
        name: String,
    },
    /// The station's latitude (WGS84 degrees).
    Latitude {
        /// Feature name.
        name: String,
    },
    /// The station's longitude (WGS84 degrees).
    Longitude {
        /// Feature name.
        name: String,
    },
    /// The training mean of the target for the target time's slot: hour of week (168
    /// values, Monday 00:00 first) on an hourly grid, month (12 values) on a daily one.
    Climatology {
        /// Feature name.
        name: String,
        /// One mean per slot (NaN where training had no value).
        #[serde(with = "crate::pipeline::floats")]
        values: Vec<f64>,
    },
    /// A variable known ahead (a weather forecast) at the target time, in its canonical
    /// unit ([`ahead`]): measured in training (blurred as a forecast would be), forecast
    /// in service.
    Ahead {
        /// Feature name.
        name: String,
        /// The variable (`ws`, `temp`, …).
        variable: String,
    },
    /// The west–east component of the wind known ahead at the target time.
    AheadWindU {
        /// Feature name.
        name: String,
        /// The wind speed variable.
        speed: String,
        /// The wind direction variable (degrees, where it blows from).
        direction: String,
    },
    /// The south–north component of the wind known ahead at the target time.
    AheadWindV {
        /// Feature name.
        name: String,
        /// The wind speed variable.
        speed: String,
        /// The wind direction variable (degrees, where it blows from).
        direction: String,
    },
}

impl HorizonFeature {
    /// The feature's name.
    pub fn name(&self) -> &str {
        match self {
            HorizonFeature::Steps { name }
            | HorizonFeature::Hour { name }
            | HorizonFeature::Weekday { name }
            | HorizonFeature::Month { name }
            | HorizonFeature::Latitude { name }
            | HorizonFeature::Longitude { name }
            | HorizonFeature::Climatology { name, .. }
            | HorizonFeature::Ahead { name, .. }
            | HorizonFeature::AheadWindU { name, .. }
            | HorizonFeature::AheadWindV { name, .. } => name,
        }
    }

    /// The variables this feature reads ahead (none for a feature of the calendar, the
    /// station or the climatology).
    pub fn ahead_variables(&self) -> Vec<&str> {
        match self {
            HorizonFeature::Ahead { variable, .. } => vec![variable.as_str()],
            HorizonFeature::AheadWindU {
                speed, direction, ..
            }
            | HorizonFeature::AheadWindV {
                speed, direction, ..
            } => vec![speed.as_str(), direction.as_str()],
            _ => Vec::new(),
        }
    }

    /// The feature's value for a target `steps` ahead at `target` (Unix seconds, UTC), at
    /// `station` (station features are missing without one), with the values known ahead
    /// from `ahead`.
    pub fn value(
        &self,
        steps: u32,
        target: i64,
        grid: &crate::pipeline::spec::Grid,
        station: Option<&Station>,
        ahead: &dyn AheadValues,
    ) -> f64 {
        let c = time::civil(target + grid.utc_offset);
        match self {
            HorizonFeature::Ahead { variable, .. } => ahead.value(variable, steps, target),
            HorizonFeature::AheadWindU {
                speed, direction, ..
            }
            | HorizonFeature::AheadWindV {
                speed, direction, ..
            } => crate::pipeline::wind_component(
                ahead.value(speed, steps, target),
                ahead.value(direction, steps, target),
                matches!(self, HorizonFeature::AheadWindV { .. }),
            ),
            HorizonFeature::Latitude { .. } => station.map_or(f64::NAN, |s| s.lat),
            HorizonFeature::Longitude { .. } => station.map_or(f64::NAN, |s| s.lon),
            HorizonFeature::Steps { .. } => f64::from(steps),
            HorizonFeature::Hour { .. } => f64::from(c.hour),
            HorizonFeature::Weekday { .. } => f64::from(c.weekday),
            HorizonFeature::Month { .. } => f64::from(c.month),
            HorizonFeature::Climatology { values, .. } => values
                .get(climatology_slot(&c, grid.step))
                .copied()
                .unwrap_or(f64::NAN),
        }
    }
}

/// Slots of a climatology on a grid of `step` seconds: hours of the week below a day,
/// months from a day up.
pub fn climatology_slots(step: i64) -> usize {
    if step < 86_400 {
        168
    } else {
        12
    }
}

/// The climatology slot of a civil time on a grid of `step` seconds.
pub fn climatology_slot(c: &time::Civil, step: i64) -> usize {
    if step < 86_400 {
        (c.weekday * 24 + c.hour) as usize
    } else {
        (c.month - 1) as usize
    }
}

impl Spec {
    /// Checks the spec against the model it belongs to: the heads exist and are quantile
    /// heads in increasing order, one shift per step, finite shifts, features named as the
    /// model's tail, a climatology of the grid's slot count.
    pub fn validate(
        &self,
        heads: &[Head],
        features: &[String],
        step: i64,
    ) -> Result<(), crate::Error> {
        let bad = |m: String| Err(crate::Error::Malformed(format!("forecast section: {m}")));
        if self.steps == 0 || self.steps > MAX_STEPS {
            return bad(format!(
                "steps must be in 1..={MAX_STEPS}, not {}",
                self.steps
            ));
        }
        if self.calibration.len() != self.steps as usize {
            return bad(format!(
                "{} calibration shifts for {} steps",
                self.calibration.len(),
                self.steps
            ));
        }
        if self
            .calibration
            .iter()
            .any(|s| !s.lower.is_finite() || !s.upper.is_finite())
        {
            return bad("a calibration shift is not finite".into());
        }
        if !(self.shrink.is_empty()
            || (self.shrink.len() == self.steps as usize
                && self.anchor.is_some()
                && self.shrink.iter().all(|b| (0.0..=1.0).contains(b))))
        {
            return bad("shrink needs an anchor and one share in [0, 1] per step".into());
        }
        if !(self.width_floor.is_empty()
            || (self.width_floor.len() == self.steps as usize
                && self.width_floor.iter().all(|w| w.is_finite() && *w > 0.0)))
        {
            return bad("width_floor needs one finite width > 0 per step".into());
        }
        if self.ahead_error.values().any(|e| !e.is_valid()) {
            return bad("an error model of a variable read ahead is not finite and ≥ 0".into());
        }
        let read = self.ahead_variables();
        if read.iter().any(|v| !self.ahead_error.contains_key(v))
            || self.ahead_error.keys().any(|v| !read.contains(v))
        {
            return bad("one error model for each variable read ahead, and no other".into());
        }
        let rates_ok = self.track_rate.iter().all(|r| r.is_finite() && *r >= 0.0);
        if self.track_since.is_some() == self.track_rate.is_empty()
            || !rates_ok
            || (!self.track_rate.is_empty() && self.track_rate.len() != self.steps as usize)
        {
            return bad("tracking needs its start and one finite rate ≥ 0 per step".into());
        }
        if self
            .track_since
            .is_some_and(|t| !(time::MIN_SECONDS..=time::MAX_SECONDS).contains(&t))
        {
            return bad("the tracking start is not a time between the years 1 and 9999".into());
        }
        let q = |i: u32| -> Result<f64, crate::Error> {
            heads
                .get(i as usize)
                .and_then(|h| h.quantile)
                .ok_or_else(|| {
                    crate::Error::Malformed(format!(
                        "forecast section: head {i} is not a quantile head of the model"
                    ))
                })
        };
        let (lo, mid, hi) = (
            q(self.heads.lower)?,
            q(self.heads.median)?,
            q(self.heads.upper)?,
        );
        if !(lo < mid && mid < hi) {
            return bad("the band's heads must be quantiles lower < median < upper".into());
        }
        self.anchor_index(features)?;
        if self.needs_station() && self.stations.is_empty() {
            return bad("station features but no stations".into());
        }
        if self
            .stations
            .iter()
            .any(|s| !(s.lat.is_finite() && s.lon.is_finite()))
        {
            return bad("a station's coordinates are not finite".into());
        }
        let n = self.horizon_features.len();
        if n > features.len() {
            return bad("more horizon features than model features".into());
        }
        let tail = &features[features.len() - n..];
        for (f, name) in self.horizon_features.iter().zip(tail) {
            if f.name() != name {
                return bad(format!(
                    "horizon feature {:?} is not the model's feature {name:?} at its place",
                    f.name()
                ));
            }
            if let HorizonFeature::Climatology { values, .. } = f {
                if values.len() != climatology_slots(step) {
                    return bad(format!(
                        "climatology {:?} has {} values; this grid needs {}",
                        f.name(),
                        values.len(),
                        climatology_slots(step)
                    ));
                }
            }
        }
        Ok(())
    }

    /// The variables the model reads ahead (a weather forecast at each target time), each
    /// once, in the order its features name them; empty for a model without them.
    pub fn ahead_variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in self
            .horizon_features
            .iter()
            .flat_map(|f| f.ahead_variables())
        {
            if !out.iter().any(|o| o == v) {
                out.push(String::from(v));
            }
        }
        out
    }

    /// Whether the model reads station facts (a multi-station model).
    pub fn needs_station(&self) -> bool {
        self.horizon_features.iter().any(|f| {
            matches!(
                f,
                HorizonFeature::Latitude { .. } | HorizonFeature::Longitude { .. }
            )
        })
    }

    /// The facts of a station the model knows.
    pub fn station(&self, id: &str) -> Option<&Station> {
        self.stations.iter().find(|s| s.id == id)
    }

    /// The anchor's feature positions in `features`, when the spec has one.
    pub fn anchor_index(&self, features: &[String]) -> Result<Option<AnchorIndex>, crate::Error> {
        Spec::anchor_of(self.anchor.as_ref(), features)
    }

    /// An anchor's feature positions in `features`.
    pub fn anchor_of(
        anchor: Option<&Anchor>,
        features: &[String],
    ) -> Result<Option<AnchorIndex>, crate::Error> {
        let Some(a) = anchor else {
            return Ok(None);
        };
        let find = |n: &str| {
            features.iter().position(|f| f == n).ok_or_else(|| {
                crate::Error::Malformed(format!(
                    "forecast section: the anchor {n:?} is not a feature of the model"
                ))
            })
        };
        Ok(Some(AnchorIndex {
            feature: find(&a.feature)?,
            fallback: a.fallback.as_deref().map(find).transpose()?,
        }))
    }

    /// The unit of step `k`'s (1-based) shifts for a row whose raw band is `raw`: 1, or,
    /// with [`Spec::width_floor`], the raw band's width, at least the floor.
    pub fn scale_of(&self, k: u32, raw: [f64; 3]) -> f64 {
        match self.width_floor.get((k as usize).wrapping_sub(1)) {
            Some(&floor) => {
                let w = raw[2] - raw[0];
                if w > floor {
                    w
                } else {
                    floor
                }
            }
            None => 1.0,
        }
    }

    /// Step `k`'s (1-based) share of the median's change taken back (0 without).
    pub fn shrink_at(&self, k: u32) -> f64 {
        self.shrink
            .get((k as usize).wrapping_sub(1))
            .copied()
            .unwrap_or(0.0)
    }

    /// The lower, median and upper quantile levels (e.g. 0.1, 0.5, 0.9).
    pub fn levels(&self, heads: &[Head]) -> [f64; 3] {
        let q = |i: u32| {
            heads
                .get(i as usize)
                .and_then(|h| h.quantile)
                .unwrap_or(f64::NAN)
        };
        [
            q(self.heads.lower),
            q(self.heads.median),
            q(self.heads.upper),
        ]
    }
}

/// Most grid steps a band replay spans (11 years of hours): a bound on the work one
/// forecast can ask for.
pub const MAX_REPLAY_STEPS: i64 = 100_000;

/// `predict(head, rows, width)`: band head `head`'s (0 lower, 1 median, 2 upper) raw
/// output for each row of a row-major batch of `width` features a row.
pub type HeadBatch<'a> = dyn FnMut(usize, &[f64], usize) -> Result<Vec<f64>, crate::Error> + 'a;

/// One step of a forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Grid steps ahead of the origin (1 = the next hour or day).
    pub step: u32,
    /// The target time (Unix seconds, UTC): the start of the grid step forecast.
    pub time: i64,
    /// The calibrated lower bound (P10), ≥ 0.
    pub p10: f64,
    /// The median (P50), ≥ 0.
    pub p50: f64,
    /// The calibrated upper bound (P90), ≥ 0.
    pub p90: f64,
    /// The AQI of P50: the EPA index, or the EEA level number (1–6).
    pub aqi: u32,
    /// The category of P50 (index into [`Forecast::categories`]).
    pub category: u8,
    /// The probability of each category (in [`Forecast::categories`] order), summing to 1.
    pub probabilities: Vec<f64>,
}

/// A forecast from one origin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The origin: the last grid step the forecast knows (Unix seconds, UTC).
    pub origin: i64,
    /// The latest observation of the target at or before the origin (Unix seconds, UTC),
    /// so a reader sees how old the data is.
    pub data_time: i64,
    /// The pollutant forecast.
    pub pollutant: Pollutant,
    /// The unit of every value.
    pub unit: Unit,
    /// The AQI scale.
    pub scale: Scale,
    /// The grid step in seconds (3600: hourly, 86400: daily).
    pub step_seconds: i64,
    /// The scale's categories, best first.
    pub categories: Vec<CategoryInfo>,
    /// One entry per step ahead.
    pub steps: Vec<Step>,
    /// Outcomes the band's calibration followed after training ([`crate::tracking`]);
    /// none where the bands are the artifact's calibration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracked: Option<u64>,
    /// The variables read ahead from the forecast given with the observations (a weather
    /// forecast issued at the origin); empty for a model without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ahead: Vec<String>,
}

/// A model ready to forecast: its pipeline, forecast spec and compiled band heads.
#[derive(Debug)]
pub struct Forecaster {
    pipeline: Pipeline,
    spec: Spec,
    levels: [f64; 3],
    /// The band heads (lower, median, upper), walked by the reference path: 72 rows do
    /// not need the batch engine, and leaving it out keeps `aqcast/pipeline` small. Every
    /// fast path gives the same bits (ARCHITECTURE.md, "One decision rule").
    heads: [Ensemble; 3],
    anchor: Option<AnchorIndex>,
    target: String,
    features: Vec<String>,
}

/// Why one step's central forecast (P50) is what it is: exact TreeSHAP contributions of
/// the median head over the step's stacked row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Grid steps ahead of the origin.
    pub step: u32,
    /// The target time (Unix seconds, UTC).
    pub time: i64,
    /// The value the head's output is added to (the model's anchor feature at the
    /// origin), 0 for a model without one.
    pub anchor: f64,
    /// The feature that anchors this row (the model's anchor feature, or its fallback
    /// where that is missing); none for a model without an anchor, or where both are
    /// missing.
    pub anchor_feature: Option<String>,
    /// The median head's expected output over its training rows.
    pub bias: f64,
    /// One entry per model feature, in the model's order.
    pub contributions: Vec<Contribution>,
    /// `anchor + bias + Σ contributions`: the median before the band is made valid
    /// (ordered, cut at 0), so it can differ from the forecast's P50 where that cut.
    pub raw: f64,
}

/// One feature's part in an [`Explanation`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The model's name of the feature.
    pub feature: String,
    /// Its value in the stacked row (NaN where missing).
    pub value: f64,
    /// What it adds to the central forecast, in the forecast's unit.
    pub contribution: f64,
}

impl Forecaster {
    /// Builds a forecaster from a model's parts. The spec is validated against the heads
    /// and features.
    pub fn new(
        pipeline: Pipeline,
        spec: Spec,
        heads: &[Head],
        features: &[String],
    ) -> Result<Forecaster, crate::Error> {
        spec.validate(heads, features, pipeline.spec.grid.step)?;
        let mut names = pipeline.feature_names();
        names.extend(spec.horizon_features.iter().map(|f| String::from(f.name())));
        if names != features {
            return Err(crate::Error::Malformed(
                "forecast section: the pipeline's features and the horizon features are not the model's features".into(),
            ));
        }
        let target = pipeline
            .spec
            .target
            .as_ref()
            .map(|t| t.of.clone())
            .ok_or_else(|| {
                crate::Error::Malformed(
                    "forecast section: the model's pipeline has no target".into(),
                )
            })?;
        let head = |i: u32| -> Result<Ensemble, crate::Error> {
            let e = &heads[i as usize].ensemble;
            e.validate()?;
            if e.n_features as usize != features.len() {
                return Err(crate::Error::Malformed(format!(
                    "forecast section: head {i} does not read the model's {} features",
                    features.len()
                )));
            }
            Ok(e.clone())
        };
        Ok(Forecaster {
            anchor: spec.anchor_index(features)?,
            levels: spec.levels(heads),
            heads: [
                head(spec.heads.lower)?,
                head(spec.heads.median)?,
                head(spec.heads.upper)?,
            ],
            pipeline,
            spec,
            target,
            features: features.to_vec(),
        })
    }

    /// The forecast spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// What the model's feature `name` is ([`crate::meaning`]).
    pub fn meaning(&self, name: &str) -> Option<crate::meaning::Meaning> {
        crate::meaning::of(&self.pipeline.spec, &self.spec.horizon_features, name)
    }

    /// The forecast from the observations in `series` (raw, in canonical units, as the
    /// pipeline takes them) of `station`. The origin is the grid step holding `at`, or,
    /// without `at`, the last grid step holding an observation of the target.
    /// Observations after the origin's grid step are ignored. A multi-station model needs
    /// the station (one it was trained on); a single-station model ignores it.
    ///
    /// The bands are the artifact's calibration; [`Forecaster::forecast_tracked`] serves
    /// them as the station's own misses have moved them since.
    pub fn forecast(
        &self,
        series: &[Series],
        at: Option<i64>,
        station: Option<&str>,
    ) -> Result<Forecast, Error> {
        self.forecast_with(series, at, station, None)
    }

    /// [`Forecaster::forecast`] with the bands shifted by `tracked` (a replay's, or the
    /// ones a station's snapshot publishes) instead of the artifact's calibration. Bands
    /// tracked to a later origin than this forecast's are not used: they rest on outcomes
    /// the forecast could not have known.
    pub fn forecast_with(
        &self,
        series: &[Series],
        at: Option<i64>,
        station: Option<&str>,
        tracked: Option<&Tracked>,
    ) -> Result<Forecast, Error> {
        self.forecast_ahead(series, &[], at, station, tracked)
    }

    /// [`Forecaster::forecast_with`] for a model that reads inputs ahead ([`ahead`]):
    /// `ahead` holds their forecast issued at the origin (raw, in canonical units, like
    /// `series`), and only its values after the origin are read; observations after the
    /// origin are not, whatever their variable. A model that reads inputs ahead cannot
    /// forecast without a value of each of them.
    pub fn forecast_ahead(
        &self,
        series: &[Series],
        ahead: &[Series],
        at: Option<i64>,
        station: Option<&str>,
        tracked: Option<&Tracked>,
    ) -> Result<Forecast, Error> {
        let facts = self.station_facts(station)?;
        let (origin, data_time, origin_row) = self.origin_row(series, at)?;
        let grid = self.ahead_grid(ahead, origin)?;
        let mut f = self.forecast_row(origin, data_time, &origin_row, facts, tracked, &grid)?;
        f.ahead = self.spec.ahead_variables();
        Ok(f)
    }

    /// The forecast with tracked bands: [`Forecaster::track`] over `series`, then
    /// [`Forecaster::forecast_ahead`]. Without tracking in the model, or without an
    /// origin after its calibration window, the artifact's bands.
    pub fn forecast_tracked(
        &self,
        series: &[Series],
        ahead: &[Series],
        at: Option<i64>,
        station: Option<&str>,
    ) -> Result<Forecast, Error> {
        let tracked = self.track(series, at, station)?;
        self.forecast_ahead(series, ahead, at, station, tracked.as_ref())
    }

    /// The values the model reads ahead of `origin`, from a forecast issued there: its
    /// grid steps after the origin, as far as the model forecasts.
    fn ahead_grid(&self, ahead: &[Series], origin: i64) -> Result<AheadGrid, Error> {
        let variables = self.spec.ahead_variables();
        if variables.is_empty() {
            return Ok(AheadGrid::default());
        }
        let step = self.pipeline.spec.grid.step;
        let n = i64::from(self.spec.steps);
        let start = origin.checked_add(step).ok_or(Error::TimeOutOfRange)?;
        let end = n
            .checked_mul(step)
            .and_then(|d| start.checked_add(d))
            .ok_or(Error::TimeOutOfRange)?;
        let names: Vec<&str> = variables.iter().map(String::as_str).collect();
        let grid = AheadGrid::of(ahead, &names, start, end, step, self.spec.steps as usize);
        // Gaps inside the horizon are read as unknown (training had them too), but the
        // forecast must reach the last step.
        let last_step = end - step;
        for v in &names {
            let last = grid.last(v);
            if last.is_none_or(|t| t < last_step) {
                return Err(Error::AheadMissing {
                    variable: String::from(*v),
                    origin,
                    until: last,
                    last_step,
                });
            }
        }
        Ok(grid)
    }

    /// The band shifts at the forecast's origin, after replaying every origin from the end
    /// of the calibration window on the observations in `series` ([`crate::tracking`]).
    /// None for a model without tracking or an origin inside its calibration window.
    /// Walks the heads by the reference path; [`Forecaster::track_with`] takes a faster
    /// predictor (the same bits).
    pub fn track(
        &self,
        series: &[Series],
        at: Option<i64>,
        station: Option<&str>,
    ) -> Result<Option<Tracked>, Error> {
        let heads = &self.heads;
        self.track_with(series, at, station, &mut |head, rows, width| {
            Ok(rows
                .chunks_exact(width)
                .map(|r| heads[head].predict_reference(r))
                .collect())
        })
    }

    /// [`Forecaster::track`] with another way to walk the heads ([`HeadBatch`]).
    pub fn track_with(
        &self,
        series: &[Series],
        at: Option<i64>,
        station: Option<&str>,
        predict: &mut HeadBatch<'_>,
    ) -> Result<Option<Tracked>, Error> {
        let Some(since) = self.spec.track_since else {
            return Ok(None);
        };
        let facts = self.station_facts(station)?;
        let (origin, _, _) = self.origin_row(series, at)?;
        let grid = &self.pipeline.spec.grid;
        let step = grid.step;
        let first = since.div_euclid(step) * step + step;
        if origin < first {
            return Ok(None);
        }
        if (origin - first) / step >= MAX_REPLAY_STEPS {
            return Err(Error::ReplayTooLong {
                origin,
                max_steps: MAX_REPLAY_STEPS,
            });
        }
        // Features of every origin after `since`, and the measured target one step ahead.
        let history = i64::from(self.pipeline.history_steps());
        let start = first - history * step;
        let end = origin + step;
        let known: Vec<Series> = series.iter().map(|s| s.window(start, end)).collect();
        let table = self
            .pipeline
            .transform_for(&known, Some((start, origin)), &[1])?;
        // What the replayed forecasts read ahead: what was later measured (nothing after
        // this forecast's origin), blurred as a forecast would have been, as the trainer
        // calibrated the bands.
        let variables = self.spec.ahead_variables();
        let names: Vec<&str> = variables.iter().map(String::as_str).collect();
        let measured = AheadGrid::of(
            &known,
            &names,
            first,
            end,
            step,
            MAX_REPLAY_STEPS as usize + 1,
        );
        let observed = ahead::Blurred {
            observed: &measured,
            errors: &self.spec.ahead_error,
            step_seconds: step,
            seed: ahead::seed(facts.map_or("", |f| f.id.as_str())),
        };
        let y_next = table.targets.first().map(|c| c.values.as_slice());
        let rows_from = table.times.partition_point(|&t| t < first);
        let mut tracker = Tracker::new(
            &self.spec.calibration,
            &self.spec.track_rate,
            self.levels[0],
            self.levels[2],
            step,
        );
        let n = self.spec.steps;
        let width = self.features.len();
        let mut origin_row = Vec::with_capacity(table.features.len());
        let mut rows = Vec::new();
        let mut batch: Vec<(usize, u32, f64)> = Vec::new();
        // In chunks of origins, so the stacked batch stays small.
        let all: Vec<usize> = (rows_from..table.times.len()).collect();
        for chunk in all.chunks(64) {
            rows.clear();
            batch.clear();
            for &i in chunk {
                let t = table.times[i];
                origin_row.clear();
                origin_row.extend(table.features.iter().map(|c| c.values[i]));
                for k in 1..=n {
                    // Only outcomes known at the origin of the forecast.
                    let j = i + k as usize;
                    if t + i64::from(k) * step > origin {
                        break;
                    }
                    let y = y_next.and_then(|c| c.get(j - 1)).copied();
                    let Some(y) = y.filter(|v| v.is_finite()) else {
                        continue;
                    };
                    stacked_row(
                        &mut rows,
                        &origin_row,
                        t,
                        k,
                        &self.spec.horizon_features,
                        grid,
                        facts,
                        &observed,
                    );
                    batch.push((i, k, y));
                }
            }
            if batch.is_empty() {
                continue;
            }
            let out: [Vec<f64>; 3] = [
                predict(0, &rows, width)?,
                predict(1, &rows, width)?,
                predict(2, &rows, width)?,
            ];
            if out.iter().any(|o| o.len() != batch.len()) {
                return Err(Error::from(crate::Error::InputShape {
                    expected: batch.len(),
                    got: out[0].len(),
                }));
            }
            for (r, &(i, k, y)) in batch.iter().enumerate() {
                let t = table.times[i];
                tracker.advance(t);
                let a = self
                    .anchor
                    .map_or(0.0, |a| a.value(&rows[r * width..(r + 1) * width]));
                let b = raw_band([out[0][r], out[1][r], out[2][r]], a, self.spec.shrink_at(k));
                tracker.record(t, k, b, self.spec.scale_of(k, b), y);
            }
        }
        tracker.advance(origin);
        Ok(Some(Tracked {
            shifts: tracker.shifts().to_vec(),
            origin,
            outcomes: tracker.outcomes(),
        }))
    }

    /// Why the central forecast of `step` (1 = the next grid step) from the origin
    /// [`Forecaster::forecast`] would use is what it is.
    /// `ahead` is what [`Forecaster::forecast_ahead`] takes.
    pub fn explain(
        &self,
        series: &[Series],
        ahead: &[Series],
        at: Option<i64>,
        station: Option<&str>,
        step: u32,
    ) -> Result<Explanation, Error> {
        if step == 0 || step > self.spec.steps {
            return Err(Error::BadStep {
                step,
                steps: self.spec.steps,
            });
        }
        let station = self.station_facts(station)?;
        let (origin, _, origin_row) = self.origin_row(series, at)?;
        let values = self.ahead_grid(ahead, origin)?;
        let grid = &self.pipeline.spec.grid;
        let mut row = Vec::new();
        stacked_row(
            &mut row,
            &origin_row,
            origin,
            step,
            &self.spec.horizon_features,
            grid,
            station,
            &values,
        );
        let mut phi = aqcast_engine::shap::explain(&self.heads[1], &row)?;
        // What the forecast keeps of the head's change (see `raw_band`), so the parts
        // still add up to the median served.
        let keep = 1.0 - self.spec.shrink_at(step);
        for p in &mut phi {
            *p *= keep;
        }
        let anchor = self.anchor.map_or(0.0, |a| a.value(&row));
        let n = self.features.len();
        let contributions: Vec<Contribution> = self
            .features
            .iter()
            .zip(&row)
            .zip(&phi[..n])
            .map(|((f, &value), &contribution)| Contribution {
                feature: f.clone(),
                value,
                contribution,
            })
            .collect();
        let bias = phi[n];
        Ok(Explanation {
            step,
            time: origin + i64::from(step) * grid.step,
            anchor,
            anchor_feature: self
                .anchor
                .and_then(|a| a.used(&row))
                .map(|i| self.features[i].clone()),
            bias,
            raw: anchor + phi.iter().sum::<f64>(),
            contributions,
        })
    }

    /// The origin of a forecast from `series` (see [`Forecaster::forecast`]), the time of
    /// the latest observation of the target it knows, and the pipeline's feature row there.
    fn origin_row(
        &self,
        series: &[Series],
        at: Option<i64>,
    ) -> Result<(i64, i64, Vec<f64>), Error> {
        let grid = &self.pipeline.spec.grid;
        let step = grid.step;
        let target_variable = self
            .pipeline
            .spec
            .inputs
            .iter()
            .find(|i| i.column() == self.target)
            .map(|i| i.variable.as_str())
            .unwrap_or(self.target.as_str());
        let origin = match at {
            Some(t) => t.div_euclid(step) * step,
            None => latest(series, target_variable, i64::MAX)
                .map(|t| t.div_euclid(step) * step)
                .ok_or_else(|| Error::NoData {
                    variable: target_variable.into(),
                })?,
        };
        let end = origin.checked_add(step).ok_or(Error::TimeOutOfRange)?;
        let history = i64::from(self.pipeline.history_steps());
        let start = origin - history * step;
        // Only what was known at the origin, and only as far back as the pipeline looks.
        let known: Vec<Series> = series.iter().map(|s| s.window(start, end)).collect();
        let data_time =
            latest(&known, target_variable, end).ok_or_else(|| Error::NoRecentData {
                variable: target_variable.into(),
                history: self.pipeline.history_steps(),
                origin,
            })?;
        let table = self
            .pipeline
            .transform_for(&known, Some((start, origin)), &[])?;
        let last = table.times.len() - 1;
        let origin_row: Vec<f64> = table.features.iter().map(|c| c.values[last]).collect();
        Ok((origin, data_time, origin_row))
    }

    /// The facts of `station`, for a model that reads them.
    fn station_facts(&self, station: Option<&str>) -> Result<Option<&Station>, Error> {
        if !self.spec.needs_station() {
            return Ok(None);
        }
        let known = || Known::of(self.spec.stations.iter().map(|s| s.id.as_str()));
        let id = station.ok_or_else(|| Error::StationRequired { known: known() })?;
        let facts = self.spec.station(id).ok_or_else(|| Error::UnknownStation {
            id: id.into(),
            known: known(),
        })?;
        Ok(Some(facts))
    }

    /// The forecast from the pipeline's feature row at the origin (what
    /// [`Forecaster::forecast`] builds from observations; the trainer evaluates with it on
    /// its feature table).
    pub fn forecast_row(
        &self,
        origin: i64,
        data_time: i64,
        origin_row: &[f64],
        station: Option<&Station>,
        tracked: Option<&Tracked>,
        ahead: &dyn AheadValues,
    ) -> Result<Forecast, Error> {
        // Bands tracked to a later origin have seen outcomes this forecast could not know.
        let tracked = tracked.filter(|t| t.origin <= origin);
        let shifts =
            match tracked {
                Some(t) if t.shifts.len() == self.spec.calibration.len() => t.shifts.as_slice(),
                Some(_) => return Err(Error::from(crate::Error::Malformed(
                    "the tracked bands are not this model's: they do not hold one shift per step"
                        .into(),
                ))),
                None => self.spec.calibration.as_slice(),
            };
        let grid = &self.pipeline.spec.grid;
        let step = grid.step;
        let n = self.spec.steps as usize;
        let mut rows = Vec::new();
        for k in 1..=self.spec.steps {
            stacked_row(
                &mut rows,
                origin_row,
                origin,
                k,
                &self.spec.horizon_features,
                grid,
                station,
                ahead,
            );
        }
        let width = self.heads[0].n_features as usize;
        if rows.len() != n * width {
            return Err(Error::from(crate::Error::InputShape {
                expected: n * width,
                got: rows.len(),
            }));
        }
        let predict = |e: &Ensemble| -> Vec<f64> {
            rows.chunks_exact(width)
                .map(|r| e.predict_reference(r))
                .collect()
        };
        let (lo, mid, hi) = (
            predict(&self.heads[0]),
            predict(&self.heads[1]),
            predict(&self.heads[2]),
        );
        let categories = categories(self.spec.scale);
        let mut steps = Vec::with_capacity(n);
        for k in 0..n {
            let a = self
                .anchor
                .map_or(0.0, |a| a.value(&rows[k * width..(k + 1) * width]));
            let raw = raw_band([lo[k], mid[k], hi[k]], a, self.spec.shrink_at(k as u32 + 1));
            let band = calibrate(raw, shifts[k], self.spec.scale_of(k as u32 + 1, raw));
            let (aqi, category) = self.rate(band[1])?;
            let probabilities = self.probabilities(band, categories.len())?;
            steps.push(Step {
                step: k as u32 + 1,
                time: origin + (k as i64 + 1) * step,
                p10: band[0],
                p50: band[1],
                p90: band[2],
                aqi,
                category,
                probabilities,
            });
        }
        Ok(Forecast {
            origin,
            data_time,
            pollutant: self.spec.pollutant,
            unit: self.spec.unit,
            scale: self.spec.scale,
            step_seconds: step,
            categories,
            steps,
            tracked: tracked.map(|t| t.outcomes),
            ahead: Vec::new(),
        })
    }

    /// The AQI value and category index of a concentration on the spec's scale.
    fn rate(&self, value: f64) -> Result<(u32, u8), Error> {
        Ok(rate(
            self.spec.pollutant,
            self.spec.unit,
            self.spec.scale,
            value,
        )?)
    }

    /// Category probabilities of a band (see the module docs).
    fn probabilities(&self, band: [f64; 3], n: usize) -> Result<Vec<f64>, Error> {
        let mut counts = vec![0u32; n];
        for i in 0..QUANTILE_POINTS {
            let u = (f64::from(i) + 0.5) / f64::from(QUANTILE_POINTS);
            let (_, c) = self.rate(quantile_at(band, self.levels, u))?;
            counts[usize::from(c)] += 1;
        }
        Ok(counts
            .into_iter()
            .map(|c| f64::from(c) / f64::from(QUANTILE_POINTS))
            .collect())
    }
}

/// Quantile levels the category probabilities are read at.
const QUANTILE_POINTS: u32 = 100;

/// The latest time of an observation of `variable` before `end`.
fn latest(series: &[Series], variable: &str, end: i64) -> Option<i64> {
    series
        .iter()
        .filter(|s| s.variable == variable)
        .flat_map(|s| s.times.iter().zip(&s.values))
        .filter(|(&t, v)| t < end && !v.is_nan())
        .map(|(&t, _)| t)
        .max()
}

/// Appends the stacked row of one step: the origin's features, then the horizon
/// features of the target `k` steps after `origin` (reading inputs known ahead from
/// `ahead`). Training and forecasting both build rows with this.
#[allow(clippy::too_many_arguments)]
pub fn stacked_row(
    out: &mut Vec<f64>,
    origin_row: &[f64],
    origin: i64,
    k: u32,
    features: &[HorizonFeature],
    grid: &crate::pipeline::spec::Grid,
    station: Option<&Station>,
    ahead: &dyn AheadValues,
) {
    out.extend_from_slice(origin_row);
    let t = origin + i64::from(k) * grid.step;
    out.extend(features.iter().map(|f| f.value(k, t, grid, station, ahead)));
}

/// A step's band before calibration from the heads' outputs `[lower, median, upper]`
/// (changes from the anchor, for a model that has one): the anchor added back, less the
/// share `shrink` of the median's change, taken from all three so the band keeps its
/// shape. Training, tracking and serving all make bands with this.
pub fn raw_band(out: [f64; 3], anchor: f64, shrink: f64) -> [f64; 3] {
    let back = shrink * out[1];
    [
        out[0] + anchor - back,
        out[1] + anchor - back,
        out[2] + anchor - back,
    ]
}

/// The served band of raw head outputs `[lower, median, upper]` and a step's shift in
/// units of `scale` ([`Spec::scale_of`]): shifted, ordered and cut at 0.
pub fn calibrate(raw: [f64; 3], shift: Shift, scale: f64) -> [f64; 3] {
    band([
        raw[0] - shift.lower * scale,
        raw[1],
        raw[2] + shift.upper * scale,
    ])
}

/// A band made valid: ordered (separately trained quantiles can cross) and cut at 0
/// (concentrations are not negative). NaN (a model that cannot say) becomes 0.
fn band(mut b: [f64; 3]) -> [f64; 3] {
    for v in &mut b {
        *v = if v.is_nan() { 0.0 } else { v.max(0.0) };
    }
    b.sort_by(f64::total_cmp);
    b
}

/// The value at quantile level `u` of the distribution a band describes: linear through
/// (lower, l0), (median, l1), (upper, l2), continued with the end segments' slopes, ≥ 0.
pub fn quantile_at(band: [f64; 3], levels: [f64; 3], u: f64) -> f64 {
    let [a, m, b] = band;
    let [la, lm, lb] = levels;
    let v = if u <= lm {
        m - (lm - u) / (lm - la) * (m - a)
    } else {
        m + (u - lm) / (lb - lm) * (b - m)
    };
    v.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_function_goes_through_the_band() {
        let l = [0.1, 0.5, 0.9];
        let b = [10.0, 20.0, 40.0];
        assert_eq!(quantile_at(b, l, 0.1), 10.0);
        assert_eq!(quantile_at(b, l, 0.5), 20.0);
        assert_eq!(quantile_at(b, l, 0.9), 40.0);
        assert_eq!(quantile_at(b, l, 0.3), 15.0);
        assert!(quantile_at(b, l, 0.995) > 40.0);
        // Cut at zero below.
        assert_eq!(quantile_at([0.0, 1.0, 2.0], l, 0.005), 0.0);
    }

    #[test]
    fn bands_are_ordered_and_not_negative() {
        assert_eq!(band([5.0, 3.0, 4.0]), [3.0, 4.0, 5.0]);
        assert_eq!(band([-2.0, f64::NAN, 1.0]), [0.0, 0.0, 1.0]);
    }
}
