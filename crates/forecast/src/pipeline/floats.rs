//! Fitted parameters in JSON: numbers, with the non-finite values JSON lacks written as
//! `"nan"`, `"inf"` and `"-inf"` (a KNN imputer's reference rows hold missing values).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum F {
    Num(f64),
    Text(String),
}

fn to_f(x: f64) -> F {
    if x.is_finite() {
        F::Num(x)
    } else if x.is_nan() {
        F::Text("nan".into())
    } else if x > 0.0 {
        F::Text("inf".into())
    } else {
        F::Text("-inf".into())
    }
}

fn from_f<E: serde::de::Error>(f: F) -> Result<f64, E> {
    match f {
        F::Num(x) => Ok(x),
        F::Text(t) => match t.as_str() {
            "nan" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            _ => Err(E::custom(alloc::format!(
                "{t:?} is not a number, \"nan\", \"inf\" or \"-inf\""
            ))),
        },
    }
}

/// `Vec<f64>`.
pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|&x| to_f(x)))
}

/// `Vec<f64>`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    Vec::<F>::deserialize(d)?.into_iter().map(from_f).collect()
}

/// `Vec<Vec<f64>>`.
pub mod nested {
    use super::*;

    /// Serializes.
    pub fn serialize<S: Serializer>(v: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            v.iter()
                .map(|row| row.iter().map(|&x| to_f(x)).collect::<Vec<F>>()),
        )
    }

    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        Vec::<Vec<F>>::deserialize(d)?
            .into_iter()
            .map(|row| row.into_iter().map(from_f).collect())
            .collect()
    }
}
