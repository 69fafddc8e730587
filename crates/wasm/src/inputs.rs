//! Turning JavaScript inputs into rows of `f64`.

use aqcast_core::Parts;
use js_sys::{Array, Float32Array, Float64Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::errors::error;

/// A typed array's contents, copied into wasm memory once.
pub(crate) enum Typed {
    F64(Vec<f64>),
    F32(Vec<f32>),
}

impl Typed {
    pub(crate) fn len(&self) -> usize {
        match self {
            Typed::F64(v) => v.len(),
            Typed::F32(v) => v.len(),
        }
    }

    pub(crate) fn of(v: &JsValue) -> Result<Typed, JsValue> {
        if let Some(a) = v.dyn_ref::<Float64Array>() {
            Ok(Typed::F64(a.to_vec()))
        } else if let Some(a) = v.dyn_ref::<Float32Array>() {
            Ok(Typed::F32(a.to_vec()))
        } else {
            Err(error(
                "bad_input",
                "expected a Float64Array or Float32Array of nRows × features values",
            ))
        }
    }
}

pub(crate) fn check_len(len: usize, n_rows: usize, nf: usize) -> Result<(), JsValue> {
    if n_rows.checked_mul(nf) != Some(len) {
        return Err(error(
            "bad_input_shape",
            &format!("{len} values for {n_rows} rows of {nf} features"),
        ));
    }
    Ok(())
}

fn number(v: &JsValue, what: &str) -> Result<f64, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(f64::NAN);
    }
    v.as_f64()
        .ok_or_else(|| error("bad_input", &format!("{what} is not a number")))
}

/// One row in the model's feature order, from a typed array, an array of numbers, or an
/// object keyed by feature name (missing keys and null are missing values).
pub(crate) fn row(v: &JsValue, model: &Parts) -> Result<Vec<f64>, JsValue> {
    let nf = model.features.len();
    let row: Vec<f64> = if let Ok(t) = Typed::of(v) {
        match t {
            Typed::F64(x) => x,
            Typed::F32(x) => x.into_iter().map(f64::from).collect(),
        }
    } else if Array::is_array(v) {
        let a: &Array = v.unchecked_ref();
        (0..a.length())
            .map(|i| number(&a.get(i), &format!("value {i}")))
            .collect::<Result<_, _>>()?
    } else if v.is_object() {
        if !model.named_features {
            return Err(error(
                "bad_input",
                "this model's features have no names: pass values in feature order",
            ));
        }
        let mut out = Vec::with_capacity(nf);
        for f in &model.features {
            let x = Reflect::get(v, &JsValue::from_str(f))?;
            out.push(number(&x, &format!("feature `{f}`"))?);
        }
        out
    } else {
        return Err(error(
            "bad_input",
            "a row is a Float64Array, a Float32Array, an array of numbers or an object keyed by feature name",
        ));
    };
    if row.len() != nf {
        return Err(error(
            "bad_input_shape",
            &format!("{} values where the model has {nf} features", row.len()),
        ));
    }
    Ok(row)
}
