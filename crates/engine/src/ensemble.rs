//! The canonical tree-ensemble representation.
//!
//! Every model, whether trained by aqcast or imported from LightGBM or XGBoost, is brought
//! to this one form, with one decision rule:
//!
//! > at an internal node, a missing value (NaN) goes to the `default_left` side; any other
//! > value `x` goes left when `x <= threshold`, compared in the ensemble's [`Precision`].
//!
//! Importers rewrite their library's rule into this one exactly (XGBoost's `x < t` in
//! float32 becomes `x <= t'` with `t'` the next float32 below `t`; LightGBM's "missing is
//! zero" nodes send NaN where 0.0 goes).
//!
//! Layout is structure-of-arrays over the whole ensemble. Tree `t` owns internal nodes
//! `node_offsets[t]..node_offsets[t+1]` and leaves `leaf_offsets[t]..leaf_offsets[t+1]`;
//! child references are local to the tree: `c >= 0` is internal node `c`, `c < 0` is leaf
//! `!c`. The root is internal node 0, or leaf 0 when the tree has no internal node.
//! [`Ensemble::validate`] checks every invariant the engine relies on, so that no decoded
//! or imported model can make inference loop, index out of bounds or panic.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The deepest tree aqcast accepts. Bounds the work and the stack of a tree walk and of
/// TreeSHAP, whatever bytes a model was decoded from; real boosted trees are far shallower.
pub const MAX_TREE_DEPTH: usize = 256;

/// The precision in which inputs are compared with thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Inputs are rounded to `f32` before comparison; thresholds are `f32` values.
    /// (XGBoost and aqcast-trained models.)
    F32,
    /// Inputs are compared as `f64` with `f64` thresholds. (LightGBM models.)
    F64,
}

/// How the raw sum of leaves becomes a prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// The prediction is the raw score (squared, absolute, Huber, quantile losses).
    Identity,
    /// The prediction is `exp(raw)` (Poisson, gamma, Tweedie).
    Exp,
}

/// A tree ensemble for regression. See the module documentation for the layout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ensemble {
    /// Number of input features the trees may index.
    pub n_features: u32,
    /// Comparison precision.
    pub precision: Precision,
    /// Output transformation.
    pub link: Link,
    /// Added to the raw sum before the link (XGBoost's base margin; 0 for LightGBM, whose
    /// first tree carries its initial score).
    pub base_score: f64,
    /// When true (random forests) the raw score is the mean of the trees, not their sum.
    pub average: bool,
    /// Per tree, the start of its internal nodes; `n_trees + 1` entries.
    pub node_offsets: Vec<u32>,
    /// Per tree, the start of its leaves; `n_trees + 1` entries.
    pub leaf_offsets: Vec<u32>,
    /// Split feature of each internal node.
    pub feature: Vec<u32>,
    /// Split threshold of each internal node: left when `x <= threshold`. May be ±∞
    /// (written as the strings `"inf"` / `"-inf"` in JSON), never NaN.
    #[serde(with = "json_floats")]
    pub threshold: Vec<f64>,
    /// Where a missing value goes, per internal node.
    pub default_left: Vec<bool>,
    /// Left child of each internal node (tree-local; negative = leaf `!c`).
    pub left: Vec<i32>,
    /// Right child of each internal node (tree-local; negative = leaf `!c`).
    pub right: Vec<i32>,
    /// Training cover (row count or hessian sum) of each internal node, for TreeSHAP.
    pub node_cover: Vec<f64>,
    /// Output of each leaf.
    pub leaf_value: Vec<f64>,
    /// Training cover of each leaf, for TreeSHAP.
    pub leaf_cover: Vec<f64>,
}

/// JSON has no infinities: thresholds are written as numbers, or as `"inf"` / `"-inf"`.
mod json_floats {
    use alloc::vec::Vec;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    #[serde(untagged)]
    enum F {
        Num(f64),
        Text(alloc::string::String),
    }

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|&x| {
            if x.is_finite() {
                F::Num(x)
            } else if x > 0.0 {
                F::Text("inf".into())
            } else if x < 0.0 {
                F::Text("-inf".into())
            } else {
                F::Text("nan".into())
            }
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        // Through `Value`, which reads numbers exactly (serde_json parses them with core's
        // correctly rounded parser) and strings alike.
        Vec::<serde_json::Value>::deserialize(d)?
            .into_iter()
            .map(|v| {
                match &v {
                    serde_json::Value::Number(n) => n.as_f64(),
                    serde_json::Value::String(t) if t == "inf" => Some(f64::INFINITY),
                    serde_json::Value::String(t) if t == "-inf" => Some(f64::NEG_INFINITY),
                    _ => None,
                }
                .ok_or_else(|| {
                    serde::de::Error::custom(alloc::format!(
                        "threshold {v} is not a number, \"inf\" or \"-inf\""
                    ))
                })
            })
            .collect()
    }
}

/// Tree-local child reference, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Child {
    /// An internal node (tree-local index).
    Node(usize),
    /// A leaf (tree-local index).
    Leaf(usize),
}

impl Child {
    /// Decodes the tree-local child encoding.
    #[inline]
    pub fn of(c: i32) -> Child {
        if c >= 0 {
            Child::Node(c as usize)
        } else {
            Child::Leaf(!c as usize)
        }
    }
}

impl Ensemble {
    /// An ensemble with no tree yet, to append trees to (node and leaf arrays, then each
    /// array's end in `node_offsets` and `leaf_offsets`); valid once it has one.
    pub fn empty(
        n_features: u32,
        precision: Precision,
        link: Link,
        base_score: f64,
        average: bool,
    ) -> Ensemble {
        Ensemble {
            n_features,
            precision,
            link,
            base_score,
            average,
            node_offsets: vec![0],
            leaf_offsets: vec![0],
            feature: vec![],
            threshold: vec![],
            default_left: vec![],
            left: vec![],
            right: vec![],
            node_cover: vec![],
            leaf_value: vec![],
            leaf_cover: vec![],
        }
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.node_offsets.len().saturating_sub(1)
    }

    /// Number of internal nodes over all trees.
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }

    /// Number of leaves over all trees.
    pub fn n_leaves(&self) -> usize {
        self.leaf_value.len()
    }

    /// The range of global internal-node indices and leaf indices of tree `t`.
    pub fn tree_ranges(&self, t: usize) -> (core::ops::Range<usize>, core::ops::Range<usize>) {
        (
            self.node_offsets[t] as usize..self.node_offsets[t + 1] as usize,
            self.leaf_offsets[t] as usize..self.leaf_offsets[t + 1] as usize,
        )
    }

    /// The root of tree `t`.
    pub fn root(&self, t: usize) -> Child {
        let (nodes, _) = self.tree_ranges(t);
        if nodes.is_empty() {
            Child::Leaf(0)
        } else {
            Child::Node(0)
        }
    }

    /// Whether `x` goes left at global internal node `n`, by the one decision rule.
    #[inline]
    pub fn goes_left(&self, n: usize, x: f64) -> bool {
        if x.is_nan() {
            return self.default_left[n];
        }
        let x = match self.precision {
            Precision::F64 => x,
            Precision::F32 => x as f32 as f64,
        };
        x <= self.threshold[n]
    }

    /// Depth (edges from the root to the deepest leaf) of every tree.
    /// Call only on a validated ensemble.
    pub fn depths(&self) -> Vec<usize> {
        (0..self.n_trees())
            .map(|t| {
                let (nodes, _) = self.tree_ranges(t);
                if nodes.is_empty() {
                    return 0;
                }
                let mut max = 0;
                let mut stack = vec![(0usize, 0usize)];
                while let Some((local, d)) = stack.pop() {
                    let g = nodes.start + local;
                    for c in [self.left[g], self.right[g]] {
                        match Child::of(c) {
                            Child::Node(i) => stack.push((i, d + 1)),
                            Child::Leaf(_) => max = max.max(d + 1),
                        }
                    }
                }
                max
            })
            .collect()
    }

    /// Checks every structural invariant: array lengths agree, offsets are monotone, each
    /// tree is a proper binary tree (every node and leaf reached exactly once from the
    /// root, so traversal terminates), features are in range and numbers are finite.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: alloc::string::String| Err(Error::Malformed(m));
        let n = self.feature.len();
        let l = self.leaf_value.len();
        if self.threshold.len() != n
            || self.default_left.len() != n
            || self.left.len() != n
            || self.right.len() != n
            || self.node_cover.len() != n
        {
            return bad(format!("node arrays have different lengths ({n} features)"));
        }
        if self.leaf_cover.len() != l {
            return bad("leaf arrays have different lengths".into());
        }
        if self.node_offsets.is_empty() || self.node_offsets.len() != self.leaf_offsets.len() {
            return bad("tree offset arrays are empty or of different lengths".into());
        }
        if self.node_offsets.len() < 2 {
            return bad("the ensemble has no trees".into());
        }
        if self.node_offsets[0] != 0
            || self.leaf_offsets[0] != 0
            || *self.node_offsets.last().unwrap_or(&0) as usize != n
            || *self.leaf_offsets.last().unwrap_or(&0) as usize != l
        {
            return bad("tree offsets do not span the node and leaf arrays".into());
        }
        if !self.base_score.is_finite() {
            return bad("base score is not finite".into());
        }
        let mut seen_node = vec![false; n];
        let mut seen_leaf = vec![false; l];
        for t in 0..self.n_trees() {
            let (n0, n1) = (
                self.node_offsets[t] as usize,
                self.node_offsets[t + 1] as usize,
            );
            let (l0, l1) = (
                self.leaf_offsets[t] as usize,
                self.leaf_offsets[t + 1] as usize,
            );
            if n1 < n0 || l1 < l0 {
                return bad(format!("tree {t}: offsets decrease"));
            }
            if l1 - l0 != n1 - n0 + 1 {
                return bad(format!(
                    "tree {t}: {} leaves for {} internal nodes (a binary tree has one more)",
                    l1 - l0,
                    n1 - n0
                ));
            }
            if n1 > n0 {
                seen_node[n0] = true;
            } else {
                seen_leaf[l0] = true;
            }
            for g in n0..n1 {
                if self.feature[g] >= self.n_features {
                    return bad(format!(
                        "tree {t}, node {}: feature {} but the model has {} features",
                        g - n0,
                        self.feature[g],
                        self.n_features
                    ));
                }
                // ±∞ is a real threshold (LightGBM splits missing values off with `inf`).
                if self.threshold[g].is_nan() {
                    return bad(format!("tree {t}, node {}: threshold is NaN", g - n0));
                }
                let cover = self.node_cover[g];
                if !(cover.is_finite() && cover >= 0.0) {
                    return bad(format!("tree {t}, node {}: invalid cover", g - n0));
                }
                for c in [self.left[g], self.right[g]] {
                    let slot = match Child::of(c) {
                        Child::Node(i) if i > 0 && n0 + i < n1 => &mut seen_node[n0 + i],
                        Child::Leaf(i) if l0 + i < l1 => &mut seen_leaf[l0 + i],
                        _ => {
                            return bad(format!(
                                "tree {t}, node {}: child {c} is out of range or the root",
                                g - n0
                            ))
                        }
                    };
                    if *slot {
                        return bad(format!(
                            "tree {t}, node {}: child {c} has two parents",
                            g - n0
                        ));
                    }
                    *slot = true;
                }
            }
            for g in l0..l1 {
                if !self.leaf_value[g].is_finite() {
                    return bad(format!("tree {t}, leaf {}: value is not finite", g - l0));
                }
                let cover = self.leaf_cover[g];
                if !(cover.is_finite() && cover >= 0.0) {
                    return bad(format!("tree {t}, leaf {}: invalid cover", g - l0));
                }
            }
        }
        // n nodes and l = n + trees leaves, every one with at most one parent, all reached:
        // each tree is connected and acyclic.
        if let Some(i) = seen_node.iter().position(|s| !s) {
            return bad(format!("internal node {i} is not reachable from its root"));
        }
        if let Some(i) = seen_leaf.iter().position(|s| !s) {
            return bad(format!("leaf {i} is not reachable from its root"));
        }
        if let Some((t, d)) = self
            .depths()
            .into_iter()
            .enumerate()
            .find(|(_, d)| *d > MAX_TREE_DEPTH)
        {
            return bad(format!(
                "tree {t} is {d} levels deep; aqcast serves trees up to {MAX_TREE_DEPTH} levels"
            ));
        }
        Ok(())
    }

    /// Predicts one row by walking the canonical trees (the reference path; the
    /// [`crate::Predictor`] is the fast one and must agree with it bit for bit).
    pub fn predict_reference(&self, row: &[f64]) -> f64 {
        let mut sum = 0.0;
        for t in 0..self.n_trees() {
            let (nodes, leaves) = self.tree_ranges(t);
            let mut c = self.root(t);
            loop {
                match c {
                    Child::Leaf(i) => {
                        sum += self.leaf_value[leaves.start + i];
                        break;
                    }
                    Child::Node(i) => {
                        let g = nodes.start + i;
                        let x = row[self.feature[g] as usize];
                        c = Child::of(if self.goes_left(g, x) {
                            self.left[g]
                        } else {
                            self.right[g]
                        });
                    }
                }
            }
        }
        self.finish(sum)
    }

    /// Turns the sum of leaf outputs into the prediction (averaging, base score, link).
    #[inline]
    pub fn finish(&self, leaf_sum: f64) -> f64 {
        self.output().apply(leaf_sum)
    }

    /// How this ensemble turns a sum of leaves into a prediction.
    pub(crate) fn output(&self) -> Output {
        Output {
            trees: if self.average {
                Some(self.n_trees() as f64)
            } else {
                None
            },
            base_score: self.base_score,
            link: self.link,
        }
    }
}

/// The output transformation, kept apart so that every evaluation path applies exactly
/// the same operations (and so the same bits): mean over trees for random forests (a
/// division, as LightGBM does), plus the base score, then the link.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    trees: Option<f64>,
    base_score: f64,
    link: Link,
}

impl Output {
    #[inline]
    pub(crate) fn apply(self, leaf_sum: f64) -> f64 {
        let s = match self.trees {
            Some(n) => leaf_sum / n,
            None => leaf_sum,
        };
        let raw = self.base_score + s;
        match self.link {
            Link::Identity => raw,
            Link::Exp => libm::exp(raw),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two small trees on 2 features:
    /// tree 0: x0 <= 1.5 ? (x1 <= 0.5 ? 1 : 2) : 3   (NaN at root goes right)
    /// tree 1: a single leaf 10.
    pub(crate) fn tiny() -> Ensemble {
        Ensemble {
            n_features: 2,
            precision: Precision::F64,
            link: Link::Identity,
            base_score: 0.5,
            average: false,
            node_offsets: vec![0, 2, 2],
            leaf_offsets: vec![0, 3, 4],
            feature: vec![0, 1],
            threshold: vec![1.5, 0.5],
            default_left: vec![false, true],
            left: vec![1, !0],
            right: vec![!2, !1],
            node_cover: vec![10.0, 6.0],
            leaf_value: vec![1.0, 2.0, 3.0, 10.0],
            leaf_cover: vec![2.0, 4.0, 4.0, 10.0],
        }
    }

    #[test]
    fn reference_prediction_follows_the_rule() {
        let e = tiny();
        e.validate().unwrap();
        assert_eq!(e.predict_reference(&[1.0, 0.0]), 0.5 + 1.0 + 10.0);
        assert_eq!(e.predict_reference(&[1.5, 0.6]), 0.5 + 2.0 + 10.0);
        assert_eq!(e.predict_reference(&[2.0, 0.0]), 0.5 + 3.0 + 10.0);
        assert_eq!(e.predict_reference(&[f64::NAN, 0.0]), 0.5 + 3.0 + 10.0);
        assert_eq!(e.predict_reference(&[0.0, f64::NAN]), 0.5 + 1.0 + 10.0);
        assert_eq!(e.depths(), vec![2, 0]);
    }

    #[test]
    fn validation_rejects_cycles_and_bad_indices() {
        let mut e = tiny();
        e.left[1] = 1; // self loop
        assert!(e.validate().is_err());
        let mut e = tiny();
        e.right[0] = !0; // leaf 0 twice
        assert!(e.validate().is_err());
        let mut e = tiny();
        e.feature[0] = 7;
        assert!(e.validate().is_err());
        let mut e = tiny();
        e.leaf_value[2] = f64::NAN;
        assert!(e.validate().is_err());
        let mut e = tiny();
        e.left[0] = 0; // root as a child
        assert!(e.validate().is_err());
    }
}
