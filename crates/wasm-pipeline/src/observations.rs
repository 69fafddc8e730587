//! Raw observations from JavaScript (`[{ variable, time, value }, …]`) → the core
//! pipeline's per-variable series.

use aqcast_core::pipeline::Series;
use aqcast_core::time;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use crate::errors::error;

fn bad(message: String) -> JsValue {
    error("bad_observations", &message)
}

/// A timestamp: Unix seconds (a number) or text (`YYYY-MM-DD HH:MM:SS`, RFC 3339).
pub(crate) fn timestamp(v: &JsValue, what: &str) -> Result<i64, JsValue> {
    if let Some(n) = v.as_f64() {
        if n.is_finite() && n.abs() < 1e15 {
            return Ok(n.floor() as i64);
        }
    } else if let Some(s) = v.as_string() {
        if let Some(t) = time::parse_datetime(&s) {
            return Ok(t);
        }
    }
    Err(bad(format!(
        "{what}: {v:?} is not a time (Unix seconds or \"YYYY-MM-DD HH:MM:SS\" / RFC 3339)"
    )))
}

/// Reads tracked bands as a published snapshot holds them (`tracked[i].bands`):
/// `{ shifts: [{ lower, upper }, …], origin, outcomes }`.
pub(crate) fn tracked(v: &JsValue) -> Result<aqcast_core::tracking::Tracked, JsValue> {
    let wrong = || {
        bad("options.bands must be the bands of a snapshot's `tracked` entry: { shifts: [{ lower, upper }], origin, outcomes }".into())
    };
    let get =
        |o: &JsValue, k: &str| Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let num = |o: &JsValue, k: &str| {
        get(o, k)
            .as_f64()
            .filter(|n| n.is_finite())
            .ok_or_else(wrong)
    };
    let shifts = get(v, "shifts");
    if !Array::is_array(&shifts) {
        return Err(wrong());
    }
    let shifts = Array::from(&shifts)
        .iter()
        .map(|s| {
            Ok(aqcast_core::tracking::Shift {
                lower: num(&s, "lower")?,
                upper: num(&s, "upper")?,
            })
        })
        .collect::<Result<Vec<_>, JsValue>>()?;
    let (origin, outcomes) = (num(v, "origin")?, num(v, "outcomes")?);
    if origin.abs() >= 1e15 || !(0.0..1e15).contains(&outcomes) {
        return Err(wrong());
    }
    Ok(aqcast_core::tracking::Tracked {
        shifts,
        origin: origin as i64,
        outcomes: outcomes as u64,
    })
}

/// Reads an array of `{ variable: string, time: number | string, value: number | null }`.
pub(crate) fn series(v: &JsValue) -> Result<Vec<Series>, JsValue> {
    if !Array::is_array(v) {
        return Err(bad(
            "observations must be an array of { variable, time, value }".into(),
        ));
    }
    let arr = Array::from(v);
    let mut out: Vec<Series> = Vec::new();
    for (i, o) in arr.iter().enumerate() {
        let get = |k: &str| Reflect::get(&o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        let variable = get("variable")
            .as_string()
            .ok_or_else(|| bad(format!("observation {i}: `variable` must be a string")))?;
        let t = timestamp(&get("time"), &format!("observation {i}"))?;
        let value = get("value");
        let value = if value.is_null() || value.is_undefined() {
            f64::NAN
        } else {
            value
                .as_f64()
                .ok_or_else(|| bad(format!("observation {i}: `value` must be a number or null")))?
        };
        let s = match out.iter_mut().position(|s| s.variable == variable) {
            Some(k) => &mut out[k],
            None => {
                out.push(Series {
                    variable,
                    ..Series::default()
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        s.times.push(t);
        s.values.push(value);
    }
    Ok(out)
}
