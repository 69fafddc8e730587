//! A weather forecast file, for a model that reads inputs ahead (`aqcast forecast
//! --weather FILE`): CSV with a `time` column (UTC, `YYYY-MM-DD HH:MM:SS` or RFC 3339)
//! and one column per variable, named as the store names them (`ws`, `wd`, `temp`, `rh`,
//! `pressure`, or any name the vocabulary knows), each in the unit the store keeps it in
//! (m/s, degrees, °C, %, hPa). An empty cell is a value not forecast.

use std::path::Path;

use aqcast_core::pipeline::Series;
use aqcast_core::variable;

use crate::error::CliError;

/// The series of a weather forecast file.
pub fn read(path: &Path) -> Result<Vec<Series>, CliError> {
    let columns_error = |message: String| CliError::Columns {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(source) => CliError::Io {
                path: path.to_path_buf(),
                source,
            },
            other => columns_error(format!("not a CSV file: {other:?}")),
        })?;
    let header = reader
        .headers()
        .map_err(|e| columns_error(format!("the header cannot be read: {e}")))?
        .clone();
    if header.get(0) != Some("time") {
        return Err(columns_error(
            "the first column must be `time` (UTC), then one column per variable (ws, wd, temp, …)"
                .into(),
        ));
    }
    let mut series: Vec<(variable::Variable, Series)> = Vec::new();
    for name in header.iter().skip(1) {
        let v = variable::named(name)
            .filter(|v| matches!(v, variable::Variable::Met(_)))
            .ok_or_else(|| {
                columns_error(format!(
                    "column {name:?} is not a weather variable (ws, wd, temp, rh, pressure)"
                ))
            })?;
        if series.iter().any(|(_, s)| s.variable == v.name()) {
            return Err(columns_error(format!(
                "column {name:?} repeats the variable {:?}",
                v.name()
            )));
        }
        let s = Series {
            variable: v.name().to_string(),
            ..Series::default()
        };
        series.push((v, s));
    }
    if series.is_empty() {
        return Err(columns_error(
            "no variable column after `time` (ws, wd, temp, …)".into(),
        ));
    }
    let mut previous: Option<i64> = None;
    for record in reader.records() {
        let record = record.map_err(|e| CliError::Table {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            column: "-".into(),
            message: format!("cannot be read: {e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |column: &str, message: String| CliError::Table {
            path: path.to_path_buf(),
            line,
            column: column.to_string(),
            message,
        };
        let text = record.get(0).unwrap_or_default();
        let t = aqcast_core::time::parse_datetime(text).ok_or_else(|| {
            bad(
                "time",
                format!("{text:?} is not a time (YYYY-MM-DD HH:MM:SS, UTC)"),
            )
        })?;
        if previous.is_some_and(|p| p >= t) {
            return Err(bad(
                "time",
                format!("{text:?} is not after the row before: one row per time, in order"),
            ));
        }
        previous = Some(t);
        for (j, (v, s)) in series.iter_mut().enumerate() {
            let cell = record.get(j + 1).unwrap_or_default();
            if cell.is_empty() {
                continue;
            }
            let x: f64 = cell
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite())
                .ok_or_else(|| bad(&s.variable, format!("{cell:?} is not a number")))?;
            let x = variable::to_canonical(v, x, None).map_err(|r| {
                bad(
                    &s.variable,
                    format!("{cell:?} cannot be a value of {}: {}", s.variable, r.name()),
                )
            })?;
            s.times.push(t);
            s.values.push(x);
        }
    }
    Ok(series.into_iter().map(|(_, s)| s).collect())
}
