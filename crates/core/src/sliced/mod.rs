//! The batch engine: byte-sliced bitvectors, one tree at a time over a block of rows.
//!
//! It follows QuickScorer (Lucchese et al., SIGIR 2015) and RapidScorer (Ye et al., KDD
//! 2018). Number each tree's leaves left to right. A node whose test is false for a row
//! (the row goes right) makes every leaf of its left subtree unreachable; those leaves are
//! one contiguous run. Clearing the runs of all false nodes of a tree leaves the row's exit
//! leaf as the lowest set bit: the exit leaf is never in a cleared run, and every leaf left
//! of it is in the left subtree of a node on its path where the row went right.
//!
//! The bits of a tree are kept *byte-sliced*: slice `s` holds leaves `8s..8s + 8` of every
//! row of the block, one byte per row, so one SIMD register holds one slice for 16 to 64
//! rows (a block is 64 or 128 rows in two to four registers). A node's run usually falls
//! in one slice, so a node is one or two *ops*, and an op is a compare of a byte column
//! with the node's threshold bin, an and and an and-not, for all rows at once: no per-row
//! branch, no memory traffic beyond reading the bins. A tree's ops are grouped by slice,
//! so each slice stays in registers while its ops run;
//! then the exit leaves of all rows are found with byte lookups (`block.rs`) and their
//! values added in tree order, which keeps every row's sum bit for bit equal to
//! [`Ensemble::predict_reference`].
//!
//! Rows are quantized first (see `predict.rs`): a bin is a byte, so the engine takes
//! ensembles with at most 255 distinct thresholds per feature and 64 leaves per tree;
//! others are walked.

pub(crate) mod block;

use alloc::vec;
use alloc::vec::Vec;

pub(crate) use block::Block;
use block::MAX_SLICES;

use crate::ensemble::{Child, Ensemble};

/// Most leaves per tree the engine handles (8 slices of 8).
pub(crate) const MAX_LEAVES: usize = 8 * MAX_SLICES;
/// Most distinct thresholds per feature: bins `0..=255` fit a byte.
pub(crate) const MAX_CUTS: usize = 255;

/// One node's effect on one slice: rows whose byte in column `col` is above `key` keep only
/// the bits `keep` (the node's run is cleared).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Op {
    col: u16,
    /// The threshold bin, offset by −128 (bins are compared as signed bytes).
    key: i8,
    keep: u8,
}

/// A compiled ensemble for the batch engine.
#[derive(Clone, Debug)]
pub(crate) struct Sliced {
    ops: Vec<Op>,
    /// Tree `t` has `first[t + 1] − first[t] − 1` slices; its slice `s` runs the ops
    /// `bounds[first[t] + s]..bounds[first[t] + s + 1]`.
    first: Vec<u32>,
    bounds: Vec<u32>,
    /// Where tree `t`'s leaf values start in `leaves`: left to right, padded with zeros
    /// (see [`padded`]).
    leaf_base: Vec<u32>,
    leaves: Vec<f64>,
}

/// Leaf values per tree of `n` slices: 8 per slice, rounded up to 16 (the AVX-512 block
/// looks them up 16 at a time).
fn padded(n_slices: usize) -> usize {
    (8 * n_slices).next_multiple_of(16)
}

/// The signed byte that represents bin `b` (`0..=255`).
#[inline(always)]
pub(crate) fn byte(b: u8) -> u8 {
    b ^ 0x80
}

impl Sliced {
    /// Compiles the ensemble, or `None` when a tree has more than [`MAX_LEAVES`] leaves.
    /// `column_and_bin(g)` gives the bin column and threshold bin (below 255) of internal
    /// node `g`.
    pub(crate) fn new(e: &Ensemble, column_and_bin: impl Fn(usize) -> (u16, u8)) -> Option<Self> {
        let mut ops = Vec::with_capacity(e.n_nodes() + e.n_nodes() / 2);
        let mut first = Vec::with_capacity(e.n_trees() + 1);
        let mut bounds = Vec::new();
        let mut leaf_base = Vec::with_capacity(e.n_trees());
        let mut leaves = Vec::with_capacity(e.n_leaves() + 8 * e.n_trees());
        for t in 0..e.n_trees() {
            let (nodes, tree_leaves) = e.tree_ranges(t);
            if tree_leaves.len() > MAX_LEAVES {
                return None;
            }
            let n_slices = tree_leaves.len().div_ceil(8).max(1);
            let mut per_slice: [Vec<Op>; MAX_SLICES] = Default::default();
            leaf_base.push(leaves.len() as u32);
            // Depth-first, left first: leaves get their left-to-right positions, and each
            // internal node learns the run of positions its left subtree covers. Popping
            // order: left subtree, then the node again (its run is complete), then right.
            let mut pos = 0usize;
            let mut stack = vec![(e.root(t), false)];
            let mut left_start = vec![0usize; nodes.len()];
            while let Some((c, left_done)) = stack.pop() {
                match c {
                    Child::Leaf(i) => {
                        leaves.push(e.leaf_value[tree_leaves.start + i]);
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
                        let (col, bin) = column_and_bin(nodes.start + i);
                        let run = left_start[i]..pos;
                        for (s, list) in per_slice.iter_mut().enumerate().take(n_slices) {
                            let lo = run.start.max(8 * s);
                            let hi = run.end.min(8 * s + 8);
                            if lo < hi {
                                let bits = ((1u32 << (hi - lo)) - 1) << (lo - 8 * s);
                                list.push(Op {
                                    col,
                                    key: byte(bin) as i8,
                                    keep: !(bits as u8),
                                });
                            }
                        }
                    }
                }
            }
            leaves.resize(leaf_base[t] as usize + padded(n_slices), 0.0);
            first.push(bounds.len() as u32);
            for list in per_slice.iter().take(n_slices) {
                bounds.push(ops.len() as u32);
                ops.extend_from_slice(list);
            }
            bounds.push(ops.len() as u32);
        }
        first.push(bounds.len() as u32);
        Some(Sliced {
            ops,
            first,
            bounds,
            leaf_base,
            leaves,
        })
    }

    /// Adds every tree's leaf value to `acc` (at most `B::ROWS` rows) for one block of
    /// quantized rows: `bins` holds, column after column, `B::ROWS` signed bytes (see
    /// [`byte`]); lanes past `acc.len()` hold any valid bins and are ignored.
    #[inline(always)]
    pub(crate) fn eval<B: Block>(&self, bins: &[u8], acc: &mut [f64]) {
        debug_assert!(acc.len() <= B::ROWS && bins.len().is_multiple_of(B::ROWS));
        let n_cols = bins.len() / B::ROWS;
        let mut slices = [B::splat(0); MAX_SLICES];
        let mut sums = [0.0f64; block::MAX_ROWS];
        for t in 0..self.leaf_base.len() {
            let bounds = &self.bounds[self.first[t] as usize..self.first[t + 1] as usize];
            let n = bounds.len() - 1;
            for (s, slice) in slices.iter_mut().enumerate().take(n) {
                let mut v = B::splat(0xFF);
                for op in &self.ops[bounds[s] as usize..bounds[s + 1] as usize] {
                    let col = op.col as usize;
                    debug_assert!(col < n_cols);
                    // SAFETY: `col` is a column of the predictor that built these ops and
                    // that quantized `bins` with `n_cols` columns of `B::ROWS` bytes each,
                    // so the `B::ROWS` bytes at `col * B::ROWS` are inside `bins`.
                    #[allow(unsafe_code)]
                    let x = unsafe { B::load(bins.as_ptr().add(col * B::ROWS)) };
                    v = B::update(v, x, op.key, op.keep);
                }
                *slice = v;
            }
            let base = self.leaf_base[t] as usize;
            let values = &self.leaves[base..base + padded(n)];
            // SAFETY: exit positions of `n` slices are below 8n, and the leaves are padded
            // beyond that length.
            #[allow(unsafe_code)]
            unsafe {
                B::add_leaves(B::exit(&slices[..n]), values, &mut sums)
            };
        }
        for (a, s) in acc.iter_mut().zip(sums) {
            *a += s;
        }
    }
}
