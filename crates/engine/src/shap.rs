//! Exact TreeSHAP (Lundberg et al., "Consistent individualized feature attribution for
//! tree ensembles", algorithm 2), in the form LightGBM and XGBoost use, so contributions
//! equal their `pred_contrib` / `pred_contribs`.
//!
//! Contributions are in raw (margin) space: for an identity link they sum, with the bias,
//! to the prediction; for an exp link they sum to its logarithm.

use alloc::vec;
use alloc::vec::Vec;

use crate::ensemble::{Child, Ensemble};
use crate::Error;

#[derive(Clone, Copy, Debug, Default)]
struct PathElement {
    /// Feature index, or -1 for the root element.
    feature: i64,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

/// Per-feature contributions of one row; `values[n_features]` is the bias (the expected
/// raw output over the training data), so `values.iter().sum()` is the raw prediction.
pub fn explain(e: &Ensemble, row: &[f64]) -> Result<Vec<f64>, Error> {
    let nf = e.n_features as usize;
    if row.len() != nf {
        return Err(Error::InputShape {
            expected: nf,
            got: row.len(),
        });
    }
    let depths = e.depths();
    let max_depth = depths.iter().copied().max().unwrap_or(0);
    let mut path = vec![PathElement::default(); (max_depth + 2) * (max_depth + 3) / 2];
    let mut phi = vec![0.0; nf + 1];
    let mut tree_phi = vec![0.0; nf + 1];
    for t in 0..e.n_trees() {
        tree_phi.iter_mut().for_each(|v| *v = 0.0);
        let walker = Walker { e, t, row };
        tree_phi[nf] = walker.expected_value();
        if let Child::Node(_) = e.root(t) {
            walker.recurse(&mut tree_phi, Child::Node(0), 0, 0, &mut path, 1.0, 1.0, -1);
        }
        for (p, v) in phi.iter_mut().zip(&tree_phi) {
            *p += v;
        }
    }
    if e.average {
        let n = e.n_trees() as f64;
        phi.iter_mut().for_each(|v| *v /= n);
    }
    phi[nf] += e.base_score;
    Ok(phi)
}

struct Walker<'a> {
    e: &'a Ensemble,
    t: usize,
    row: &'a [f64],
}

impl Walker<'_> {
    fn cover(&self, c: Child) -> f64 {
        let (nodes, leaves) = self.e.tree_ranges(self.t);
        match c {
            Child::Node(i) => self.e.node_cover[nodes.start + i],
            Child::Leaf(i) => self.e.leaf_cover[leaves.start + i],
        }
    }

    /// The fractions of a node's cover its two children hold: their covers over the
    /// node's, or ½ each where the node has no cover (a model whose counts were lost).
    /// The expected value and the path weights use these same fractions, so the
    /// contributions sum to the prediction whatever the counts say.
    fn fractions(&self, node: Child, a: Child, b: Child) -> (f64, f64) {
        let w = self.cover(node);
        if w > 0.0 {
            (self.cover(a) / w, self.cover(b) / w)
        } else {
            (0.5, 0.5)
        }
    }

    /// The tree's expected output: every leaf weighted by the product of the fractions on
    /// its path (the cover-weighted mean of the leaves when the counts are consistent).
    fn expected_value(&self) -> f64 {
        self.expected_below(self.e.root(self.t))
    }

    fn expected_below(&self, c: Child) -> f64 {
        let (nodes, leaves) = self.e.tree_ranges(self.t);
        match c {
            Child::Leaf(i) => self.e.leaf_value[leaves.start + i],
            Child::Node(i) => {
                let g = nodes.start + i;
                let (l, r) = (Child::of(self.e.left[g]), Child::of(self.e.right[g]));
                let (fl, fr) = self.fractions(c, l, r);
                // A child with no share adds nothing (and is not walked: 0 · NaN is NaN).
                let part = |f: f64, ch: Child| {
                    if f == 0.0 {
                        0.0
                    } else {
                        f * self.expected_below(ch)
                    }
                };
                part(fl, l) + part(fr, r)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn recurse(
        &self,
        phi: &mut [f64],
        node: Child,
        parent_start: usize,
        mut unique_depth: usize,
        path: &mut [PathElement],
        parent_zero_fraction: f64,
        parent_one_fraction: f64,
        parent_feature: i64,
    ) {
        // This call's path segment follows the parent's.
        let s = parent_start + unique_depth;
        path.copy_within(parent_start..parent_start + unique_depth, s);
        extend_path(
            &mut path[s..],
            unique_depth,
            parent_zero_fraction,
            parent_one_fraction,
            parent_feature,
        );
        let (nodes, leaves) = self.e.tree_ranges(self.t);
        match node {
            Child::Leaf(i) => {
                let value = self.e.leaf_value[leaves.start + i];
                for k in 1..=unique_depth {
                    // An element with neither share carries no weight (XGBoost's guard).
                    if path[s + k].one_fraction == 0.0 && path[s + k].zero_fraction == 0.0 {
                        continue;
                    }
                    let w = unwound_path_sum(&path[s..], unique_depth, k);
                    let el = path[s + k];
                    phi[el.feature as usize] += w * (el.one_fraction - el.zero_fraction) * value;
                }
            }
            Child::Node(i) => {
                let g = nodes.start + i;
                let feature = self.e.feature[g] as usize;
                let goes_left = self.e.goes_left(g, self.row[feature]);
                let (hot, cold) = if goes_left {
                    (self.e.left[g], self.e.right[g])
                } else {
                    (self.e.right[g], self.e.left[g])
                };
                let (hot, cold) = (Child::of(hot), Child::of(cold));
                let (hot_zero, cold_zero) = self.fractions(node, hot, cold);
                let mut incoming_zero = 1.0;
                let mut incoming_one = 1.0;
                // Undo an earlier split on the same feature, to redo it here.
                let seg = &mut path[s..];
                if let Some(k) = (0..=unique_depth).find(|&k| seg[k].feature == feature as i64) {
                    incoming_zero = seg[k].zero_fraction;
                    incoming_one = seg[k].one_fraction;
                    unwind_path(seg, unique_depth, k);
                    unique_depth -= 1;
                }
                self.recurse(
                    phi,
                    hot,
                    s,
                    unique_depth + 1,
                    path,
                    hot_zero * incoming_zero,
                    incoming_one,
                    feature as i64,
                );
                // The cold side with no share of the data carries no weight on any path:
                // its contributions are exactly 0 (walking it would divide by that 0).
                if cold_zero * incoming_zero != 0.0 {
                    self.recurse(
                        phi,
                        cold,
                        s,
                        unique_depth + 1,
                        path,
                        cold_zero * incoming_zero,
                        0.0,
                        feature as i64,
                    );
                }
            }
        }
    }
}

fn extend_path(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: i64) {
    path[depth] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        pweight: if depth == 0 { 1.0 } else { 0.0 },
    };
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].pweight += one * path[i].pweight * (i + 1) as f64 / d1;
        path[i].pweight = zero * path[i].pweight * (depth - i) as f64 / d1;
    }
}

fn unwind_path(path: &mut [PathElement], depth: usize, index: usize) {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].pweight;
            path[i].pweight = next_one_portion * d1 / ((i + 1) as f64 * one);
            next_one_portion = tmp - path[i].pweight * zero * (depth - i) as f64 / d1;
        } else {
            path[i].pweight = path[i].pweight * d1 / (zero * (depth - i) as f64);
        }
    }
    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

fn unwound_path_sum(path: &[PathElement], depth: usize, index: usize) -> f64 {
    let one = path[index].one_fraction;
    let zero = path[index].zero_fraction;
    let mut next_one_portion = path[depth].pweight;
    let mut total = 0.0;
    let d1 = (depth + 1) as f64;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next_one_portion * d1 / ((i + 1) as f64 * one);
            total += tmp;
            next_one_portion = path[i].pweight - tmp * zero * ((depth - i) as f64 / d1);
        } else {
            total += (path[i].pweight / zero) / ((depth - i) as f64 / d1);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::tests::tiny;

    #[test]
    fn contributions_sum_to_the_prediction() {
        let e = tiny();
        for row in [[1.0, 0.0], [2.0, 1.0], [f64::NAN, 0.2], [0.0, f64::NAN]] {
            let phi = explain(&e, &row).unwrap();
            let sum: f64 = phi.iter().sum();
            assert!((sum - e.predict_reference(&row)).abs() < 1e-12, "{phi:?}");
        }
    }

    /// Hand-computed for tree 0 of `tiny` at x = (1.0, 0.0): the path goes left, left.
    /// E[f] = (2·1 + 4·2 + 4·3)/10 = 2.2. With x1 unknown and x0 known the value is
    /// (2·1 + 4·2)/6 = 5/3; with x0 unknown and x1 known: 0.6·1 + 0.4·3 = 1.8;
    /// with both known: 1. Shapley: φ0 = ½[(5/3 − 2.2) + (1 − 1.8)], φ1 = ½[(1.8 − 2.2) + (1 − 5/3)].
    #[test]
    fn matches_shapley_values_by_hand() {
        let e = tiny();
        let phi = explain(&e, &[1.0, 0.0]).unwrap();
        let phi0 = 0.5 * ((5.0 / 3.0 - 2.2) + (1.0 - 1.8));
        let phi1 = 0.5 * ((1.8 - 2.2) + (1.0 - 5.0 / 3.0));
        assert!((phi[0] - phi0).abs() < 1e-12, "{phi:?}");
        assert!((phi[1] - phi1).abs() < 1e-12, "{phi:?}");
        assert!((phi[2] - (0.5 + 2.2 + 10.0)).abs() < 1e-12, "{phi:?}");
    }
}
