//! LightGBM text models (`booster.save_model("model.txt")`).
//!
//! LightGBM compares `f64` inputs with `f64` thresholds, so the imported ensemble keeps
//! [`Precision::F64`]. Its per-node missing-value types are rewritten into aqcast's one rule:
//! type `NaN` sends NaN to the node's default side; type `None` treats NaN as 0.0, so NaN
//! goes where 0.0 goes. Type `Zero` (`zero_as_missing=true`), categorical splits and linear
//! trees are refused with a message that says so.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::Error;
use aqcast_engine::ensemble::{Ensemble, Link, Precision};
use aqcast_forecast::artifact::Model;

fn err(line: usize, message: String) -> Error {
    Error::Parse {
        format: "LightGBM",
        line: Some(line),
        message,
    }
}

/// The key=value lines of one block, with their line numbers.
struct Block<'a> {
    start: usize,
    kv: BTreeMap<&'a str, (usize, &'a str)>,
}

impl<'a> Block<'a> {
    fn get(&self, key: &str) -> Option<(usize, &'a str)> {
        self.kv.get(key).copied()
    }

    fn req(&self, key: &str, what: &str) -> Result<(usize, &'a str), Error> {
        self.get(key)
            .ok_or_else(|| err(self.start, format!("{what} has no `{key}=` line")))
    }

    fn list<T: core::str::FromStr>(
        &self,
        key: &str,
        what: &str,
        expect: usize,
    ) -> Result<Vec<T>, Error> {
        let (line, text) = self.req(key, what)?;
        let v: Vec<T> = text
            .split_ascii_whitespace()
            .enumerate()
            .map(|(i, s)| {
                s.parse::<T>().map_err(|_| {
                    err(
                        line,
                        format!("`{key}` item {} is {s:?}, not a number", i + 1),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        if v.len() != expect {
            return Err(err(
                line,
                format!("`{key}` has {} items, expected {expect}", v.len()),
            ));
        }
        Ok(v)
    }
}

/// The file's parts: the header, one block per tree, and the training parameters
/// (`[key: value]` lines after `end of trees`).
type Parts<'a> = (Block<'a>, Vec<Block<'a>>, BTreeMap<&'a str, &'a str>);

/// Splits the file into its parts.
fn blocks(text: &str) -> Result<Parts<'_>, Error> {
    let mut header = Block {
        start: 1,
        kv: BTreeMap::new(),
    };
    let mut trees: Vec<Block<'_>> = Vec::new();
    let mut params = BTreeMap::new();
    let mut ended = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if ended {
            if let Some((k, v)) = line
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .and_then(|l| l.split_once(": "))
            {
                params.insert(k, v);
            }
            continue;
        }
        if line == "end of trees" {
            ended = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("Tree=") {
            if rest.parse::<usize>().ok() != Some(trees.len()) {
                return Err(err(n, format!("expected `Tree={}`", trees.len())));
            }
            trees.push(Block {
                start: n,
                kv: BTreeMap::new(),
            });
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, v),
            None => (line, ""),
        };
        let block = trees.last_mut().unwrap_or(&mut header);
        block.kv.insert(key, (n, value));
    }
    if !ended {
        return Err(err(
            text.lines().count().max(1),
            "the file ends before `end of trees` (truncated?)".into(),
        ));
    }
    Ok((header, trees, params))
}

/// Imports a LightGBM text model.
pub fn from_lightgbm_text(text: &str) -> Result<Model, Error> {
    let first = text.lines().next().unwrap_or("").trim();
    if first != "tree" {
        return Err(err(
            1,
            "the first line is not `tree`: not a LightGBM text model".into(),
        ));
    }
    let (h, trees, trained_with) = blocks(text)?;
    let num = |key: &str| -> Result<usize, Error> {
        let (line, v) = h.req(key, "the header")?;
        v.trim()
            .parse()
            .map_err(|_| err(line, format!("`{key}` is {v:?}, not a count")))
    };
    if num("num_class")? != 1 || num("num_tree_per_iteration")? != 1 {
        return Err(Error::Unsupported(
            "multi-class LightGBM models: aqcast serves regression models".into(),
        ));
    }
    let n_features = num("max_feature_idx")? + 1;
    let (obj_line, objective) = h.req("objective", "the header")?;
    let mut words = objective.split_ascii_whitespace();
    let obj = words.next().unwrap_or("");
    let link = match obj {
        "regression" | "regression_l2" | "l2" | "mse" | "mean_squared_error" | "regression_l1"
        | "l1" | "mae" | "huber" | "fair" | "quantile" | "mape" => Link::Identity,
        "poisson" | "gamma" | "tweedie" => Link::Exp,
        other => {
            return Err(Error::Unsupported(format!(
                "LightGBM objective `{other}` (line {obj_line}): aqcast serves regression \
                 objectives (regression, l1, huber, fair, quantile, mape, poisson, gamma, tweedie)"
            )))
        }
    };
    let mut quantile = match (obj, trained_with.get("alpha")) {
        ("quantile", Some(a)) => a.parse::<f64>().ok(),
        _ => None,
    };
    for w in words {
        if w == "sqrt" {
            return Err(Error::Unsupported(
                "LightGBM models trained with reg_sqrt=true".into(),
            ));
        }
        if let (Some(a), "quantile") = (w.strip_prefix("alpha:"), obj) {
            quantile = a.parse::<f64>().ok();
        }
    }
    let (names_line, names) = h.req("feature_names", "the header")?;
    let features: Vec<String> = names.split_ascii_whitespace().map(String::from).collect();
    if features.len() != n_features {
        return Err(err(
            names_line,
            format!("{} feature names for {n_features} features", features.len()),
        ));
    }
    let named_features = features
        .iter()
        .enumerate()
        .any(|(i, f)| *f != format!("Column_{i}"));
    let average = h.get("average_output").is_some();
    if trees.is_empty() {
        return Err(err(h.start, "the model has no trees".into()));
    }

    let mut e = Ensemble {
        n_features: n_features as u32,
        precision: Precision::F64,
        link,
        base_score: 0.0,
        average,
        node_offsets: Vec::with_capacity(trees.len() + 1),
        leaf_offsets: Vec::with_capacity(trees.len() + 1),
        feature: Vec::new(),
        threshold: Vec::new(),
        default_left: Vec::new(),
        left: Vec::new(),
        right: Vec::new(),
        node_cover: Vec::new(),
        leaf_value: Vec::new(),
        leaf_cover: Vec::new(),
    };
    e.node_offsets.push(0);
    e.leaf_offsets.push(0);
    for (t, b) in trees.iter().enumerate() {
        let what = format!("tree {t}");
        let (nl_line, nl) = b.req("num_leaves", &what)?;
        let n_leaves: usize = nl
            .trim()
            .parse()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| err(nl_line, format!("`num_leaves` is {nl:?}")))?;
        if let Some((line, v)) = b.get("is_linear") {
            if v.trim() != "0" {
                return Err(Error::Unsupported(format!(
                    "LightGBM linear trees (tree {t}, line {line})"
                )));
            }
        }
        if n_leaves == 1 {
            let v = b.list::<f64>("leaf_value", &what, 1)?;
            e.leaf_value.extend(v);
            e.leaf_cover.push(match b.get("leaf_count") {
                Some(_) => b.list::<f64>("leaf_count", &what, 1)?[0],
                None => 0.0,
            });
        } else {
            let n = n_leaves - 1;
            let feature = b.list::<u32>("split_feature", &what, n)?;
            let threshold = b.list::<f64>("threshold", &what, n)?;
            let decision = b.list::<u32>("decision_type", &what, n)?;
            let left = b.list::<i32>("left_child", &what, n)?;
            let right = b.list::<i32>("right_child", &what, n)?;
            let leaf_value = b.list::<f64>("leaf_value", &what, n_leaves)?;
            let leaf_count = b.list::<f64>("leaf_count", &what, n_leaves)?;
            let internal_count = b.list::<f64>("internal_count", &what, n)?;
            let (dt_line, _) = b.req("decision_type", &what)?;
            for i in 0..n {
                let dt = decision[i];
                if dt & 1 != 0 {
                    return Err(Error::Unsupported(format!(
                        "LightGBM categorical splits (tree {t}, node {i}, line {dt_line}); \
                         retrain with the feature numeric or one-hot encoded"
                    )));
                }
                let default_left = match (dt >> 2) & 3 {
                    0 => 0.0 <= threshold[i],
                    2 => dt & 2 != 0,
                    1 => {
                        return Err(Error::Unsupported(format!(
                            "LightGBM zero-as-missing splits (tree {t}, node {i}, line \
                             {dt_line}); retrain with zero_as_missing=false"
                        )))
                    }
                    other => {
                        return Err(err(
                            dt_line,
                            format!("tree {t}, node {i}: unknown missing type {other}"),
                        ))
                    }
                };
                e.default_left.push(default_left);
            }
            e.feature.extend(feature);
            e.threshold.extend(threshold);
            e.left.extend(left);
            e.right.extend(right);
            e.node_cover.extend(internal_count);
            e.leaf_value.extend(leaf_value);
            e.leaf_cover.extend(leaf_count);
        }
        e.node_offsets.push(e.feature.len() as u32);
        e.leaf_offsets.push(e.leaf_value.len() as u32);
    }
    let mut params: BTreeMap<String, String> = trained_with
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    params.insert("objective".to_string(), objective.trim().to_string());
    let version = h.get("version").map(|(_, v)| v).unwrap_or("?");
    super::single_head_model(
        "LightGBM",
        format!("LightGBM {version}"),
        obj.to_string(),
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

    const TWO_TREES: &str = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\n\
label_index=0\nmax_feature_idx=1\nobjective=regression\nfeature_names=a b\n\
feature_infos=[0:1] [0:1]\n\nTree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 1\n\
split_gain=1 1\nthreshold=0.5 1.5\ndecision_type=2 8\nleft_child=1 -1\nright_child=-3 -2\n\
leaf_value=1 2 3\nleaf_weight=1 1 1\nleaf_count=2 3 5\ninternal_value=0 0\n\
internal_weight=0 0\ninternal_count=10 5\nis_linear=0\nshrinkage=1\n\n\nTree=1\n\
num_leaves=1\nnum_cat=0\nleaf_value=0.25\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";

    #[test]
    fn imports_and_predicts_by_lightgbm_rules() {
        let m = from_lightgbm_text(TWO_TREES).unwrap();
        assert!(m.named_features);
        let e = &m.heads[0].ensemble;
        // root: a <= 0.5, missing type None with default_left=1 bit -> NaN acts as 0 -> left
        assert_eq!(e.predict_reference(&[0.2, 1.0]), 1.25);
        assert_eq!(e.predict_reference(&[0.2, 2.0]), 2.25);
        assert_eq!(e.predict_reference(&[0.7, 0.0]), 3.25);
        assert_eq!(e.predict_reference(&[f64::NAN, 1.0]), 1.25);
        // node 1: missing type NaN, default right
        assert_eq!(e.predict_reference(&[0.2, f64::NAN]), 2.25);
    }

    #[test]
    fn errors_name_the_line() {
        let bad = TWO_TREES.replace("threshold=0.5 1.5", "threshold=0.5 x");
        let e = from_lightgbm_text(&bad).unwrap_err().to_string();
        assert!(e.contains("line 16") && e.contains("\"x\""), "{e}");
        let cat = TWO_TREES.replace("decision_type=2 8", "decision_type=1 8");
        assert!(from_lightgbm_text(&cat)
            .unwrap_err()
            .to_string()
            .contains("categorical"));
        let cut = &TWO_TREES[..TWO_TREES.len() - 20];
        assert!(from_lightgbm_text(cut).is_err());
        let cyc = TWO_TREES.replace("left_child=1 -1", "left_child=1 1");
        assert!(from_lightgbm_text(&cyc).is_err());
        assert!(from_lightgbm_text("nonsense").is_err());
        let bin = TWO_TREES.replace("objective=regression", "objective=binary sigmoid:1");
        assert!(from_lightgbm_text(&bin)
            .unwrap_err()
            .to_string()
            .contains("binary"));
    }
}
