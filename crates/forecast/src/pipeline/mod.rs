//! The preprocessing and feature pipeline: fitted once on training data by the trainer,
//! stored inside the model artifact, and applied by every front end with the same bits.
//!
//! Data flow of [`Pipeline::transform`]:
//!
//! ```text
//! observations (time, value) per variable, canonical units
//!   ─▶ resample onto the regular grid (mean per step), unit of each input
//!   ─▶ steps in order (fill, interpolate, impute, outliers, scale, encode), fitted on the
//!      training rows
//!   ─▶ features (values, lags, rolling windows, calendar, cyclic, wind u/v, interactions)
//!   ─▶ targets (an input's *measured* value h steps ahead, before any step touched it)
//! ```

mod features;
pub(crate) mod floats;
pub mod spec;
pub mod stats;
mod steps;

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

pub use features::wind_component;
pub use spec::Spec;
pub use steps::Fitted;

use crate::pollutant::{Pollutant, Unit};
use crate::Error;

/// Most grid rows one transform builds (114 years of hours, 8 MB per column): a bound on
/// the memory a bad time range can ask for.
pub const MAX_ROWS: usize = 1_000_000;
/// Longest rolling window, in grid steps (a leap year of hours and then some).
pub const MAX_WINDOW: u32 = 10_000;
/// Longest grid step: a leap year, in seconds.
pub const MAX_STEP: i64 = 366 * 86_400;
/// Largest offset of the calendar's clock from UTC, in seconds (time zones span
/// −12 h … +14 h).
pub const MAX_UTC_OFFSET: i64 = 18 * 3600;
/// Longest lag, in grid steps (as the longest rolling window).
pub const MAX_LAG: u32 = MAX_WINDOW;
/// Most rounds of iterative imputation.
pub const MAX_ITERATIONS: u32 = 100;
/// Most neighbours of KNN imputation.
pub const MAX_NEIGHBOURS: u32 = 100;

/// The observations of one variable, in its canonical unit, in any order; NaN values are
/// ignored. Several observations in one grid step are averaged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    /// Variable (as in [`spec::Input::variable`]).
    pub variable: String,
    /// Unix seconds, UTC.
    pub times: Vec<i64>,
    /// Values, one per time.
    pub values: Vec<f64>,
}

impl Series {
    /// The observations with `start <= time < end` (what a station snapshot or a
    /// forecast at an origin keeps).
    pub fn window(&self, start: i64, end: i64) -> Series {
        let (times, values) = self
            .times
            .iter()
            .zip(&self.values)
            .filter(|(&t, _)| t >= start && t < end)
            .map(|(&t, &v)| (t, v))
            .unzip();
        Series {
            variable: self.variable.clone(),
            times,
            values,
        }
    }
}

/// A named column of a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// One value per grid row; NaN is missing.
    pub values: Vec<f64>,
}

/// The pipeline's output: one row per grid step, the feature columns then the target
/// columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Unix seconds of each row.
    pub times: Vec<i64>,
    /// Feature columns, in the spec's order.
    pub features: Vec<Column>,
    /// Target columns (`target_h{h}`), one per horizon; empty without a target.
    pub targets: Vec<Column>,
}

/// A fitted pipeline: the spec and what each step learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// What the user asked for.
    pub spec: Spec,
    /// One entry per step.
    pub fitted: Vec<Fitted>,
}

fn bad(m: String) -> Error {
    Error::Pipeline(m)
}

impl Spec {
    /// Checks the spec: grid step, unique names, known units, and that every step, feature
    /// and target refers to a column that exists at that point.
    pub fn validate(&self) -> Result<(), Error> {
        if self.grid.step <= 0 || self.grid.step > MAX_STEP {
            return Err(bad(format!(
                "grid step must be a number of seconds in 1..={MAX_STEP} (a year), not {}",
                self.grid.step
            )));
        }
        if self.grid.utc_offset.abs() > MAX_UTC_OFFSET {
            return Err(bad(format!(
                "utc_offset must be within ±{MAX_UTC_OFFSET} seconds (±18 hours), not {}",
                self.grid.utc_offset
            )));
        }
        if self.inputs.is_empty() {
            return Err(bad(
                "the pipeline reads no inputs; add at least one [[inputs]]".into(),
            ));
        }
        let mut columns: Vec<String> = Vec::new();
        for i in &self.inputs {
            if columns.iter().any(|c| c == i.column()) {
                return Err(bad(format!("two inputs are named {:?}", i.column())));
            }
            if let Some(u) = &i.unit {
                input_unit(&i.variable, u)?;
            }
            columns.push(i.column().into());
        }
        let inputs = columns.clone();
        for (n, step) in self.steps.iter().enumerate() {
            if let spec::Step::Fill { limit, .. } | spec::Step::Interpolate { limit, .. } = step {
                if limit.is_some_and(|l| l > MAX_WINDOW) {
                    return Err(bad(format!(
                        "step {}: limit must be at most {MAX_WINDOW} steps",
                        n + 1
                    )));
                }
            }
            if let spec::Step::Impute { k, iterations, .. } = step {
                if k.is_some_and(|k| k == 0 || k > MAX_NEIGHBOURS)
                    || iterations.is_some_and(|i| i == 0 || i > MAX_ITERATIONS)
                {
                    return Err(bad(format!(
                        "step {}: k must be in 1..={MAX_NEIGHBOURS} and iterations in 1..={MAX_ITERATIONS}",
                        n + 1
                    )));
                }
            }
            for c in steps::step_columns(step, &inputs) {
                if !columns.contains(c) {
                    return Err(bad(format!(
                        "step {} refers to unknown column {c:?}",
                        n + 1
                    )));
                }
            }
            if let spec::Step::Encode {
                method: spec::EncodeMethod::OneHot,
                columns: enc,
            } = step
            {
                // One-hot columns are only known once fitted: their source disappears.
                columns.retain(|c| !enc.contains(c));
            }
        }
        let mut names = BTreeSet::new();
        for f in &self.features {
            if !names.insert(f.name()) {
                return Err(bad(format!("two features are named {:?}", f.name())));
            }
            use spec::Feature as F;
            let refs: Vec<&String> = match f {
                F::Lag { lag, .. } if *lag > MAX_LAG => {
                    return Err(bad(format!(
                        "feature {:?}: lag must be in 0..={MAX_LAG} steps, not {lag}",
                        f.name()
                    )));
                }
                F::Value { of, .. } | F::Lag { of, .. } => vec![of],
                F::Rolling {
                    of,
                    window,
                    min_count,
                    ..
                } => {
                    if *window == 0
                        || *window > MAX_WINDOW
                        || min_count.is_some_and(|m| m > *window)
                    {
                        return Err(bad(format!(
                            "feature {:?}: window must be in 1..={MAX_WINDOW} and min_count ≤ window",
                            f.name()
                        )));
                    }
                    vec![of]
                }
                F::Calendar { .. } => vec![],
                F::Cyclic { field, .. } => {
                    if matches!(
                        field,
                        spec::CalendarField::Weekend | spec::CalendarField::Year
                    ) {
                        return Err(bad(format!(
                            "feature {:?}: {field:?} has no cycle",
                            f.name()
                        )));
                    }
                    vec![]
                }
                F::WindU {
                    speed, direction, ..
                }
                | F::WindV {
                    speed, direction, ..
                } => vec![speed, direction],
                F::Interaction { a, b, .. } => vec![a, b],
            };
            for r in refs {
                // One-hot outputs (`col=value`) are checked when fitted.
                if !columns.contains(r) && !r.contains('=') {
                    return Err(bad(format!(
                        "feature {:?} refers to unknown column {r:?}",
                        f.name()
                    )));
                }
            }
        }
        if self.features.is_empty() {
            return Err(bad(
                "the pipeline builds no features; add at least one [[features]]".into(),
            ));
        }
        if let Some(t) = &self.target {
            if !inputs.contains(&t.of) {
                return Err(bad(format!(
                    "target refers to unknown input column {:?}",
                    t.of
                )));
            }
            let hs: BTreeSet<u32> = t.horizons.iter().copied().collect();
            if t.horizons.is_empty() || hs.contains(&0) || hs.len() != t.horizons.len() {
                return Err(bad("target horizons must be distinct and ≥ 1".into()));
            }
        }
        Ok(())
    }

    /// Fits the pipeline on `series`: the grid spans every observation, and steps are
    /// fitted on the rows at or before `train_end` (all rows if `None`).
    pub fn fit(&self, series: &[Series], train_end: Option<i64>) -> Result<Pipeline, Error> {
        self.validate()?;
        let (start, end) = span(series, self.grid.step)
            .ok_or_else(|| bad("no observations of any input: nothing to fit on".into()))?;
        let mut frame = resample(self, series, start, end)?;
        for (i, c) in frame.columns.iter().enumerate() {
            if c.values.iter().all(|v| v.is_nan()) {
                return Err(bad(format!(
                    "input {:?} has no observations",
                    self.inputs[i].variable
                )));
            }
        }
        let train = match train_end {
            Some(t) if t < start => {
                return Err(bad(
                    "the training period ends before the first observation".into()
                ))
            }
            Some(t) => ((t.min(end) - start) / self.grid.step + 1) as usize,
            None => frame.len,
        };
        let inputs: Vec<String> = self.inputs.iter().map(|i| i.column().into()).collect();
        let mut fitted = Vec::with_capacity(self.steps.len());
        for (n, step) in self.steps.iter().enumerate() {
            let cols = steps::step_columns(step, &inputs);
            let f = steps::fit(step, &frame.columns, cols, train).map_err(|e| in_step(n, e))?;
            steps::apply(step, &f, &mut frame.columns, cols).map_err(|e| in_step(n, e))?;
            fitted.push(f);
        }
        Ok(Pipeline {
            spec: self.clone(),
            fitted,
        })
    }
}

fn in_step(n: usize, e: Error) -> Error {
    match e {
        Error::Pipeline(m) => bad(format!("step {}: {m}", n + 1)),
        e => e,
    }
}

fn input_unit(variable: &str, unit: &str) -> Result<(Pollutant, Unit), Error> {
    let p = Pollutant::from_str(variable).map_err(|_| {
        bad(format!(
            "input {variable:?} has a unit but is not a pollutant (units convert pollutants only)"
        ))
    })?;
    let u = Unit::from_str(unit).map_err(|e| bad(format!("input {variable:?}: {e}")))?;
    // Refuse impossible conversions now, not on the first value.
    p.convert(1.0, p.canonical_unit(), u)
        .map_err(|e| bad(format!("input {variable:?}: {e}")))?;
    Ok((p, u))
}

/// The first and last grid step holding an observation.
fn span(series: &[Series], step: i64) -> Option<(i64, i64)> {
    let mut it = series
        .iter()
        .flat_map(|s| s.times.iter().zip(&s.values))
        .filter(|(_, v)| !v.is_nan())
        .map(|(&t, _)| t.div_euclid(step) * step);
    let first = it.next()?;
    Some(it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

struct Frame {
    start: i64,
    len: usize,
    columns: Vec<Column>,
}

fn resample(spec: &Spec, series: &[Series], start: i64, end: i64) -> Result<Frame, Error> {
    let step = spec.grid.step;
    let rows = (end - start) / step + 1;
    if end < start || rows as u64 > MAX_ROWS as u64 {
        return Err(bad(format!(
            "the time range asks for {rows} grid rows; at most {MAX_ROWS} are allowed"
        )));
    }
    let len = rows as usize;
    let mut columns = Vec::with_capacity(spec.inputs.len());
    let mut count = vec![0u32; len];
    for input in &spec.inputs {
        let unit = input
            .unit
            .as_deref()
            .map(|u| input_unit(&input.variable, u))
            .transpose()?;
        let mut sum = vec![0.0f64; len];
        count.iter_mut().for_each(|c| *c = 0);
        for s in series.iter().filter(|s| s.variable == input.variable) {
            if s.times.len() != s.values.len() {
                return Err(bad(format!(
                    "series {:?} has {} times but {} values",
                    s.variable,
                    s.times.len(),
                    s.values.len()
                )));
            }
            for (&t, &v) in s.times.iter().zip(&s.values) {
                let g = t.div_euclid(step) * step;
                if v.is_nan() || g < start || g > end {
                    continue;
                }
                let v = match unit {
                    Some((p, u)) => p.convert(v, p.canonical_unit(), u)?,
                    None => v,
                };
                let i = ((g - start) / step) as usize;
                sum[i] += v;
                count[i] += 1;
            }
        }
        for (s, &c) in sum.iter_mut().zip(&count) {
            *s = if c == 0 { f64::NAN } else { *s / f64::from(c) };
        }
        columns.push(Column {
            name: input.column().into(),
            values: sum,
        });
    }
    Ok(Frame {
        start,
        len,
        columns,
    })
}

impl Pipeline {
    /// The feature names, in output order (the model's features).
    pub fn feature_names(&self) -> Vec<String> {
        self.spec.features.iter().map(|f| f.name().into()).collect()
    }

    /// How many grid steps before a row the pipeline reads to build that row: the longest
    /// lag or rolling window, plus the longest gap a fill or interpolation bridges (168
    /// steps for one without a limit). A forecast transforms this much history.
    pub fn history_steps(&self) -> u32 {
        use spec::{Feature as F, Step as S};
        let features = self
            .spec
            .features
            .iter()
            .map(|f| match f {
                F::Lag { lag, .. } => *lag,
                F::Rolling { window, .. } => window.saturating_sub(1),
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let fills = self
            .spec
            .steps
            .iter()
            .map(|s| match s {
                S::Fill { limit, .. } | S::Interpolate { limit, .. } => {
                    limit.unwrap_or(168).min(MAX_WINDOW)
                }
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        features.saturating_add(fills)
    }

    /// Reads a pipeline from its JSON (an artifact's PIPE section) and validates it.
    pub fn from_json(text: &str) -> Result<Pipeline, Error> {
        let p: Pipeline = serde_json::from_str(text)
            .map_err(|e| bad(format!("the pipeline's JSON is invalid: {e}")))?;
        p.validate()?;
        Ok(p)
    }

    /// Checks a pipeline read from an artifact: a valid spec and one fitted entry per step.
    pub fn validate(&self) -> Result<(), Error> {
        self.spec.validate()?;
        if self.fitted.len() != self.spec.steps.len() {
            return Err(bad(format!(
                "{} steps but {} fitted entries",
                self.spec.steps.len(),
                self.fitted.len()
            )));
        }
        Ok(())
    }

    /// Applies the fitted pipeline to observations. The grid runs from `range.0` to
    /// `range.1` (inclusive, floored to the grid), or over every observation if `None`.
    pub fn transform(&self, series: &[Series], range: Option<(i64, i64)>) -> Result<Table, Error> {
        let horizons = self.spec.target.as_ref().map(|t| t.horizons.as_slice());
        self.transform_for(series, range, horizons.unwrap_or(&[]))
    }

    /// [`Pipeline::transform`] with the target's columns at `horizons` instead of the
    /// spec's (none without a target).
    pub fn transform_for(
        &self,
        series: &[Series],
        range: Option<(i64, i64)>,
        horizons: &[u32],
    ) -> Result<Table, Error> {
        self.validate()?;
        let step = self.spec.grid.step;
        let (start, end) = match range {
            Some((a, b)) => (a.div_euclid(step) * step, b.div_euclid(step) * step),
            None => span(series, step).ok_or_else(|| bad("no observations of any input".into()))?,
        };
        let mut frame = resample(&self.spec, series, start, end)?;
        let measured = frame.columns.clone();
        let inputs: Vec<String> = self.spec.inputs.iter().map(|i| i.column().into()).collect();
        for (n, (step, f)) in self.spec.steps.iter().zip(&self.fitted).enumerate() {
            let cols = steps::step_columns(step, &inputs);
            steps::apply(step, f, &mut frame.columns, cols).map_err(|e| in_step(n, e))?;
        }
        let times: Vec<i64> = (0..frame.len as i64)
            .map(|i| frame.start + i * step)
            .collect();
        let mut out = Vec::with_capacity(self.spec.features.len());
        for f in &self.spec.features {
            let values = features::build(f, &frame.columns, &times, self.spec.grid.utc_offset)?;
            out.push(Column {
                name: f.name().into(),
                values,
            });
        }
        let mut targets = Vec::new();
        if let Some(t) = &self.spec.target {
            let m = measured
                .iter()
                .find(|c| c.name == t.of)
                .ok_or_else(|| bad(format!("target refers to unknown input column {:?}", t.of)))?;
            for &h in horizons {
                let h = h as usize;
                let values = (0..frame.len)
                    .map(|i| m.values.get(i + h).copied().unwrap_or(f64::NAN))
                    .collect();
                targets.push(Column {
                    name: spec::Target::column(h as u32),
                    values,
                });
            }
        }
        Ok(Table {
            times,
            features: out,
            targets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_like: &str) -> Spec {
        serde_json::from_str(toml_like).unwrap()
    }

    #[test]
    fn hourly_lags_rolling_and_targets() {
        let s = spec(
            r#"{"grid": {"step": 3600},
                "inputs": [{"variable": "no2"}, {"variable": "ws"}],
                "steps": [{"kind": "impute", "method": "mean", "columns": ["ws"]}],
                "features": [
                  {"kind": "calendar", "name": "hour", "field": "hour"},
                  {"kind": "lag", "name": "no2_lag1", "of": "no2", "lag": 1},
                  {"kind": "rolling", "name": "r3", "of": "no2", "window": 3, "min_count": 2, "stat": "mean"},
                  {"kind": "value", "name": "ws", "of": "ws"}],
                "target": {"of": "no2", "horizons": [1]}}"#,
        );
        let t0 = 978_307_200; // 2001-01-01 00:00 UTC
        let series = [
            Series {
                variable: "no2".into(),
                times: vec![t0, t0 + 3600, t0 + 3 * 3600 + 5],
                values: vec![1.0, 2.0, 4.0],
            },
            Series {
                variable: "ws".into(),
                times: vec![t0, t0 + 7200],
                values: vec![3.0, 5.0],
            },
        ];
        let p = s.fit(&series, None).unwrap();
        let t = p.transform(&series, None).unwrap();
        assert_eq!(t.times.len(), 4);
        assert_eq!(t.features[0].values, [0.0, 1.0, 2.0, 3.0]);
        assert!(t.features[1].values[0].is_nan());
        assert_eq!(&t.features[1].values[1..3], &[1.0, 2.0]);
        assert!(t.features[2].values[0].is_nan());
        assert_eq!(t.features[2].values[1], 1.5);
        assert_eq!(t.features[2].values[2], 1.5);
        assert_eq!(t.features[2].values[3], 3.0);
        assert_eq!(t.features[3].values, [3.0, 4.0, 5.0, 4.0]);
        let y = &t.targets[0].values;
        assert!(
            y[0] == 2.0 && y[1].is_nan() && y[2] == 4.0 && y[3].is_nan(),
            "{y:?}"
        );
        // Serialises and comes back equal (it travels inside the artifact).
        let back: Pipeline = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn fitted_parameters_with_missing_values_survive_json() {
        // A KNN imputer keeps reference rows with holes: NaN must round-trip.
        let s = spec(
            r#"{"grid": {"step": 3600},
                "inputs": [{"variable": "a"}, {"variable": "b"}],
                "steps": [{"kind": "impute", "method": "knn", "k": 2}],
                "features": [{"kind": "value", "name": "a", "of": "a"}]}"#,
        );
        let t: Vec<i64> = (0..10).map(|i| i * 3600).collect();
        let series = [
            Series {
                variable: "a".into(),
                times: t.clone(),
                values: (0..10)
                    .map(|i| if i % 3 == 0 { f64::NAN } else { i as f64 })
                    .collect(),
            },
            Series {
                variable: "b".into(),
                times: t,
                values: (0..10)
                    .map(|i| if i % 4 == 0 { f64::NAN } else { 2.0 * i as f64 })
                    .collect(),
            },
        ];
        let p = s.fit(&series, None).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        let fitted = &json[json.find("\"fitted\":[").unwrap()..];
        assert!(
            fitted.contains("\"nan\"") && !fitted.contains("null"),
            "{json}"
        );
        let back: Pipeline = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let (x, y) = (
            p.transform(&series, None).unwrap(),
            back.transform(&series, None).unwrap(),
        );
        assert!(x.features[0]
            .values
            .iter()
            .zip(&y.features[0].values)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn refuses_specs_that_cannot_work() {
        let base = r#""grid": {"step": 3600}, "inputs": [{"variable": "no2"}]"#;
        for (body, needle) in [
            (
                r#""features": [{"kind": "lag", "name": "x", "of": "pm", "lag": 1}]"#,
                "unknown column \"pm\"",
            ),
            (r#""features": []"#, "no features"),
            (
                r#""features": [{"kind": "value", "name": "x", "of": "no2"}], "target": {"of": "no2", "horizons": [0]}"#,
                "horizons",
            ),
        ] {
            let s = spec(&format!("{{{base}, {body}}}"));
            let e = s.validate().unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        let s = spec(
            r#"{"grid": {"step": 3600}, "inputs": [{"variable": "pm2.5", "unit": "ppb"}], "features": [{"kind": "value", "name": "x", "of": "pm2.5"}]}"#,
        );
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("particulate"));
    }
}
