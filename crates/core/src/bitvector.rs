//! QuickScorer-style batch evaluation (Lucchese et al., SIGIR 2015), vectorised over
//! [`LANES`] rows, for ensembles whose trees have at most 32 leaves.
//!
//! Number each tree's leaves left to right. A node whose test is false for a row (the row
//! goes right) makes every leaf of its left subtree unreachable; those leaves are one
//! contiguous run, cleared by the node's `mask`. AND-ing the masks of all false nodes of a
//! tree leaves the exit leaf as the lowest set bit. Nodes are grouped by the bin column
//! they test (see `predict`) and sorted by threshold bin, so for a group of rows the false
//! nodes of a column are a prefix of its list: the scan stops at the first node whose
//! threshold no row of the group exceeds; nodes below every row's bin skip the per-row
//! test. The per-node work is a few integer operations on [`LANES`] rows at once, written
//! with explicit SIMD in `lanes.rs`.

use alloc::vec;
use alloc::vec::Vec;

use crate::ensemble::{Child, Ensemble};

pub(crate) use crate::lanes::LANES;

/// Most leaves per tree this engine handles.
pub(crate) const MAX_LEAVES: usize = 32;

#[derive(Clone, Debug)]
pub(crate) struct Bitvector {
    /// Nodes of bin column `c`: `col_offsets[c]..col_offsets[c + 1]`, sorted by `keys`.
    col_offsets: Vec<u32>,
    keys: Vec<u32>,
    trees: Vec<u32>,
    masks: Vec<u32>,
    /// Per tree: all its leaves' bits set.
    init: Vec<u32>,
    /// Per tree: where its leaf values start in `leaf_values` (left-to-right order).
    leaf_base: Vec<u32>,
    leaf_values: Vec<f64>,
}

impl Bitvector {
    /// Builds the engine, or `None` when a tree has more than [`MAX_LEAVES`] leaves.
    /// `column_and_bin(g)` gives the bin column and threshold bin of internal node `g`, as
    /// the walking engine uses them.
    pub(crate) fn new(
        e: &Ensemble,
        n_columns: usize,
        column_and_bin: impl Fn(usize) -> (u32, u32),
    ) -> Option<Bitvector> {
        let mut per_col: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); n_columns];
        let mut init = Vec::with_capacity(e.n_trees());
        let mut leaf_base = Vec::with_capacity(e.n_trees());
        let mut leaf_values = Vec::with_capacity(e.n_leaves());
        for t in 0..e.n_trees() {
            let (nodes, leaves) = e.tree_ranges(t);
            if leaves.len() > MAX_LEAVES {
                return None;
            }
            leaf_base.push(leaf_values.len() as u32);
            // Bits 0..leaves set (a tree has 1 to 32 leaves here).
            init.push(u32::MAX >> (32 - leaves.len()));
            // Depth-first, left first: leaves get their left-to-right positions, and each
            // internal node learns the run of positions its left subtree covers.
            let mut pos = 0u32;
            // (subtree, whether its left subtree is already done). Popping order: left
            // subtree, then the node again (its left run is complete), then right subtree.
            let mut stack = vec![(e.root(t), false)];
            let mut left_start = vec![0u32; nodes.len()];
            while let Some((c, left_done)) = stack.pop() {
                match c {
                    Child::Leaf(i) => {
                        leaf_values.push(e.leaf_value[leaves.start + i]);
                        pos += 1;
                    }
                    Child::Node(i) if !left_done => {
                        let g = nodes.start + i;
                        left_start[i] = pos;
                        stack.push((Child::of(e.right[g]), false));
                        stack.push((c, true));
                        stack.push((Child::of(e.left[g]), false));
                    }
                    Child::Node(i) => {
                        // Node i's left subtree holds the leaves left_start[i]..pos.
                        let run = pos - left_start[i];
                        let mask = !(((1u64 << run) - 1) << left_start[i]) as u32;
                        let (col, bin) = column_and_bin(nodes.start + i);
                        per_col[col as usize].push((bin, t as u32, mask));
                    }
                }
            }
        }
        let mut col_offsets = Vec::with_capacity(n_columns + 1);
        let (mut keys, mut trees, mut masks) = (Vec::new(), Vec::new(), Vec::new());
        col_offsets.push(0);
        for mut list in per_col {
            list.sort_by_key(|&(k, t, _)| (k, t));
            for (k, t, m) in list {
                keys.push(k);
                trees.push(t);
                masks.push(m);
            }
            col_offsets.push(keys.len() as u32);
        }
        Some(Bitvector {
            col_offsets,
            keys,
            trees,
            masks,
            init,
            leaf_base,
            leaf_values,
        })
    }

    /// Adds every tree's leaf value to `acc` for up to [`LANES`] rows of bins (`width`
    /// columns each); `scratch` holds one `[u32; LANES]` per tree.
    ///
    /// With `std` on x86-64, a copy compiled for AVX2 runs when the CPU has it (the lane
    /// loop then takes one 256-bit instruction instead of two 128-bit ones).
    pub(crate) fn eval(
        &self,
        bins: &[u16],
        width: usize,
        acc: &mut [f64],
        scratch: &mut Vec<[u32; LANES]>,
    ) {
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            #[allow(unsafe_code)]
            unsafe {
                return self.eval_avx2(bins, width, acc, scratch);
            }
        }
        self.eval_with::<crate::lanes::Native>(bins, width, acc, scratch)
    }

    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    fn eval_avx2(
        &self,
        bins: &[u16],
        width: usize,
        acc: &mut [f64],
        scratch: &mut Vec<[u32; LANES]>,
    ) {
        self.eval_with::<crate::lanes::Avx2>(bins, width, acc, scratch)
    }

    #[inline(always)]
    fn eval_with<L: crate::lanes::Lanes>(
        &self,
        bins: &[u16],
        width: usize,
        acc: &mut [f64],
        scratch: &mut Vec<[u32; LANES]>,
    ) {
        let rows = acc.len();
        debug_assert!(rows <= LANES && bins.len() == rows * width);
        scratch.clear();
        scratch.extend(self.init.iter().map(|&m| [m; LANES]));
        let v = scratch.as_mut_slice();
        for c in 0..width {
            let mut b = [0i32; LANES];
            for (j, bj) in b.iter_mut().enumerate() {
                // Lanes past the last row repeat it: computed, then ignored.
                *bj = i32::from(bins[j.min(rows - 1) * width + c]);
            }
            let bmin = b.iter().copied().min().unwrap_or(0) as u32;
            let bmax = b.iter().copied().max().unwrap_or(0) as u32;
            let bv = L::prepare(&b);
            let (s, e) = (
                self.col_offsets[c] as usize,
                self.col_offsets[c + 1] as usize,
            );
            let keys = &self.keys[s..e];
            let trees = &self.trees[s..e];
            let masks = &self.masks[s..e];
            // Nodes below every row's bin are false for all rows; then, up to the largest
            // bin, false for some; beyond it, for none.
            let all = keys.partition_point(|&k| k < bmin);
            for (&t, &m) in trees[..all].iter().zip(&masks[..all]) {
                L::apply_all(&mut v[t as usize], m);
            }
            for ((&k, &t), &m) in keys[all..].iter().zip(&trees[all..]).zip(&masks[all..]) {
                if k >= bmax {
                    break;
                }
                L::apply(&mut v[t as usize], bv, k as i32 + 1, m);
            }
        }
        for (t, vt) in v.iter().enumerate() {
            let base = self.leaf_base[t] as usize;
            for (j, a) in acc.iter_mut().enumerate() {
                *a += self.leaf_values[base + vt[j].trailing_zeros() as usize];
            }
        }
    }
}
