//! XGBoost JSON models (`booster.save_model("model.json")`).
//!
//! XGBoost rounds inputs to `f32` and sends `x < t` left. The import keeps
//! [`Precision::F32`] and rewrites each threshold to the next `f32` below it, which for
//! `f32` inputs turns `x < t` into aqcast's `x <= t'` exactly. The base score is part of
//! every prediction (its margin under the objective's link).

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

use crate::Error;
use aqcast_engine::ensemble::{Ensemble, Link, Precision};
use aqcast_forecast::artifact::Model;
use aqcast_forecast::Num;

fn err(message: String) -> Error {
    Error::Parse {
        format: "XGBoost",
        line: None,
        message,
    }
}

/// The largest `f32` strictly below `x` (for finite, non-NaN `x`).
pub(crate) fn next_down(x: f32) -> f32 {
    if x.is_nan() || x == f32::NEG_INFINITY {
        return x;
    }
    if x == 0.0 {
        return -f32::from_bits(1);
    }
    let b = x.to_bits();
    if x > 0.0 {
        f32::from_bits(b - 1)
    } else {
        f32::from_bits(b + 1)
    }
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, Error> {
    let mut cur = v;
    for (i, k) in path.iter().enumerate() {
        cur = cur
            .get(k)
            .ok_or_else(|| err(format!("missing field `{}`", path[..=i].join("."))))?;
    }
    Ok(cur)
}

/// A number that XGBoost may write as a number or as a string (`"15"`, `"[4.2E1]"`).
fn number(v: &Value, what: &str) -> Result<f64, Error> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim()
            .parse()
            .ok(),
        Value::Array(a) if a.len() == 1 => return number(&a[0], what),
        _ => None,
    }
    .ok_or_else(|| err(format!("`{what}` is {v}, not a number")))
}

fn numbers(tree: &Value, key: &str, t: usize, n: usize) -> Result<Vec<f64>, Error> {
    let a = tree
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| err(format!("tree {t}: missing array `{key}`")))?;
    if a.len() != n {
        return Err(err(format!(
            "tree {t}: `{key}` has {} items for {n} nodes",
            a.len()
        )));
    }
    a.iter()
        .enumerate()
        .map(|(i, x)| match x {
            Value::Bool(b) => Ok(*b as u8 as f64),
            _ => number(x, &format!("tree {t} {key}[{i}]")),
        })
        .collect()
}

/// Imports an XGBoost JSON model.
pub fn from_xgboost_json(bytes: &[u8]) -> Result<Model, Error> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        err(format!(
            "not valid JSON ({e}); binary UBJSON models are not supported, save the model \
             with a .json file name"
        ))
    })?;
    from_xgboost_value(&v)
}

/// Imports an XGBoost model already parsed as JSON.
pub(crate) fn from_xgboost_value(v: &Value) -> Result<Model, Error> {
    let learner = at(v, &["learner"])?;
    let version = v
        .get("version")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_else(|| "?".into());
    let objective = at(learner, &["objective", "name"])?
        .as_str()
        .ok_or_else(|| err("`learner.objective.name` is not a string".into()))?;
    let link = match objective {
        "reg:squarederror" | "reg:absoluteerror" | "reg:pseudohubererror" | "reg:quantileerror" => {
            Link::Identity
        }
        "count:poisson" | "reg:gamma" | "reg:tweedie" => Link::Exp,
        other => {
            return Err(Error::Unsupported(format!(
                "XGBoost objective `{other}`: aqcast serves regression objectives \
                 (reg:squarederror, reg:absoluteerror, reg:pseudohubererror, \
                 reg:quantileerror, count:poisson, reg:gamma, reg:tweedie)"
            )))
        }
    };
    let quantile = if objective == "reg:quantileerror" {
        Some(number(
            at(
                learner,
                &["objective", "quantile_loss_param", "quantile_alpha"],
            )?,
            "quantile_alpha",
        )?)
    } else {
        None
    };
    let mp = at(learner, &["learner_model_param"])?;
    let num_class = number(at(mp, &["num_class"])?, "num_class")?;
    let num_target = match mp.get("num_target") {
        Some(n) => number(n, "num_target")?,
        None => 1.0,
    };
    if num_class > 1.0 || num_target > 1.0 {
        return Err(Error::Unsupported(
            "multi-class or multi-target XGBoost models".into(),
        ));
    }
    let n_features = number(at(mp, &["num_feature"])?, "num_feature")?;
    if !(1.0..=65_536.0).contains(&n_features) {
        return Err(err(format!("num_feature {n_features} is out of range")));
    }
    let n_features = n_features as usize;
    let base_score = number(at(mp, &["base_score"])?, "base_score")? as f32 as f64;
    let base_margin = match link {
        Link::Identity => base_score,
        Link::Exp => {
            if base_score <= 0.0 {
                return Err(err(format!(
                    "base_score {} must be positive under a log link",
                    Num(base_score)
                )));
            }
            libm::log(base_score) as f32 as f64
        }
    };
    let booster = at(learner, &["gradient_booster"])?;
    let name = booster.get("name").and_then(Value::as_str).unwrap_or("");
    if name != "gbtree" {
        return Err(Error::Unsupported(format!(
            "XGBoost booster `{name}`: only gbtree is supported"
        )));
    }
    let trees = at(booster, &["model", "trees"])?
        .as_array()
        .ok_or_else(|| err("`gradient_booster.model.trees` is not an array".into()))?;
    if trees.is_empty() {
        return Err(err("the model has no trees".into()));
    }
    let (features, named_features) = match learner.get("feature_names").and_then(Value::as_array) {
        Some(names) if !names.is_empty() => {
            if names.len() != n_features {
                return Err(err(format!(
                    "{} feature names for {n_features} features",
                    names.len()
                )));
            }
            let names = names
                .iter()
                .map(|n| n.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| err("a feature name is not a string".into()))?;
            (names, true)
        }
        _ => ((0..n_features).map(|i| format!("f{i}")).collect(), false),
    };

    let mut e = Ensemble {
        n_features: n_features as u32,
        precision: Precision::F32,
        link,
        base_score: base_margin,
        average: false,
        node_offsets: alloc::vec![0],
        leaf_offsets: alloc::vec![0],
        feature: Vec::new(),
        threshold: Vec::new(),
        default_left: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
        node_cover: Vec::new(),
        leaf_value: Vec::new(),
        leaf_cover: Vec::new(),
    };
    for (t, tree) in trees.iter().enumerate() {
        let lc = tree
            .get("left_children")
            .and_then(Value::as_array)
            .ok_or_else(|| err(format!("tree {t}: missing array `left_children`")))?;
        let n = lc.len();
        if n == 0 {
            return Err(err(format!("tree {t} has no nodes")));
        }
        let left = numbers(tree, "left_children", t, n)?;
        let right = numbers(tree, "right_children", t, n)?;
        let split = numbers(tree, "split_indices", t, n)?;
        let cond = numbers(tree, "split_conditions", t, n)?;
        let dl = numbers(tree, "default_left", t, n)?;
        let hess = numbers(tree, "sum_hessian", t, n)?;
        if tree.get("split_type").is_some() {
            let st = numbers(tree, "split_type", t, n)?;
            if let Some(i) = st.iter().position(|&s| s != 0.0) {
                return Err(Error::Unsupported(format!(
                    "XGBoost categorical splits (tree {t}, node {i})"
                )));
            }
        }
        // Number internal nodes and leaves in array order; the root (node 0) comes first.
        let mut local = Vec::with_capacity(n);
        let (mut ni, mut li) = (0i32, 0i32);
        for &l in &left {
            if l < 0.0 {
                local.push(!li);
                li += 1;
            } else {
                local.push(ni);
                ni += 1;
            }
        }
        let child = |c: f64, i: usize, side: &str| -> Result<i32, Error> {
            if c < 1.0 || c >= n as f64 || libm::trunc(c) != c {
                return Err(err(format!(
                    "tree {t}, node {i}: {side} child {c} is out of range"
                )));
            }
            Ok(local[c as usize])
        };
        for i in 0..n {
            if left[i] < 0.0 {
                e.leaf_value.push(cond[i] as f32 as f64);
                e.leaf_cover.push(hess[i]);
                continue;
            }
            let f = split[i];
            if f < 0.0 || f >= n_features as f64 || libm::trunc(f) != f {
                return Err(err(format!(
                    "tree {t}, node {i}: split feature {f} is out of range"
                )));
            }
            e.feature.push(f as u32);
            e.threshold.push(next_down(cond[i] as f32) as f64);
            e.default_left.push(dl[i] != 0.0);
            e.left.push(child(left[i], i, "left")?);
            e.right.push(child(right[i], i, "right")?);
            e.node_cover.push(hess[i]);
        }
        e.node_offsets.push(e.feature.len() as u32);
        e.leaf_offsets.push(e.leaf_value.len() as u32);
    }
    let mut params = BTreeMap::new();
    params.insert("objective".to_string(), objective.to_string());
    params.insert("base_score".to_string(), Num(base_score).to_string());
    super::single_head_model(
        "XGBoost",
        format!("XGBoost {version}"),
        objective.to_string(),
        params,
        features,
        named_features,
        quantile,
        e,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_down_is_the_float_just_below() {
        for x in [1.0f32, -1.0, 0.5, 1e-30, -3.25, f32::MAX] {
            let d = next_down(x);
            assert!(d < x);
            assert_eq!(d.to_bits().abs_diff(x.to_bits()), 1);
        }
        assert!(next_down(0.0) < 0.0);
    }

    const TINY: &str = r#"{"learner":{"attributes":{},"feature_names":[],"feature_types":[],
      "gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1"},
        "trees":[{"base_weights":[0,0,0],"default_left":[1,0,0],"id":0,
          "left_children":[1,-1,-1],"right_children":[2,-1,-1],"parents":[2147483647,0,0],
          "split_conditions":[0.5,-1.5,2.5],"split_indices":[0,0,0],"split_type":[0,0,0],
          "sum_hessian":[10,4,6],"loss_changes":[1,0,0],
          "tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"1"}}],
        "tree_info":[0]},"name":"gbtree"},
      "learner_model_param":{"base_score":"[1E1]","num_class":"0","num_feature":"2","num_target":"1"},
      "objective":{"name":"reg:squarederror","reg_loss_param":{"scale_pos_weight":"1"}}},
      "version":[3,2,0]}"#;

    #[test]
    fn imports_with_strict_less_than_in_f32() {
        let m = from_xgboost_json(TINY.as_bytes()).unwrap();
        assert!(!m.named_features);
        assert_eq!(m.features, ["f0", "f1"]);
        assert_eq!(m.metadata.source, "XGBoost 3.2.0");
        let e = &m.heads[0].ensemble;
        // x < 0.5 goes left: 0.5 itself goes right.
        assert_eq!(e.predict_reference(&[0.25, 0.0]), 10.0 - 1.5);
        assert_eq!(e.predict_reference(&[0.5, 0.0]), 10.0 + 2.5);
        assert_eq!(e.predict_reference(&[f64::NAN, 0.0]), 10.0 - 1.5);
        // An f64 just below 0.5 rounds to 0.5 in f32, as XGBoost does: right.
        assert_eq!(e.predict_reference(&[0.49999999999, 0.0]), 10.0 + 2.5);
    }

    #[test]
    fn bad_models_are_clear_errors() {
        assert!(from_xgboost_json(b"{").is_err());
        assert!(from_xgboost_json(b"{}").is_err());
        let cls = TINY.replace("reg:squarederror", "binary:logistic");
        assert!(from_xgboost_json(cls.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("binary:logistic"));
        let oob = TINY.replace("\"right_children\":[2,", "\"right_children\":[7,");
        assert!(from_xgboost_json(oob.as_bytes()).is_err());
        let cat = TINY.replace("\"split_type\":[0,0,0]", "\"split_type\":[1,0,0]");
        assert!(from_xgboost_json(cat.as_bytes()).is_err());
    }
}
