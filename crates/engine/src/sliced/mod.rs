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
//! The leaf order is ours to choose: a node may put its right subtree first (it is
//! *mirrored*); its op then clears that subtree's run when the row goes left. Each tree's
//! nodes are oriented so that their runs touch as few slices as possible (an exact
//! dynamic program over the run's start within its slice, see [`orient`]): on the
//! canonical 500-tree model that is 18 % fewer ops than left-first order. Every op
//! clears where "bin ≤ key" (that form is one compare, an or and an and in every
//! instruction set, wasm engines included): a mirrored node's test as it is, the others'
//! "bin > threshold" through the column's bitwise complement (`x > k` ⟺ `!x ≤ −k − 2`
//! for signed bytes).
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

/// Trees whose exit positions are found before their leaf values are added.
const GROUP: usize = 16;
/// Most leaves per tree the engine handles (8 slices of 8).
pub(crate) const MAX_LEAVES: usize = 8 * MAX_SLICES;
/// Most distinct thresholds per feature: bins `0..=255` fit a byte.
pub(crate) const MAX_CUTS: usize = 255;

/// One node's effect on one slice: rows whose byte in column `col` is not above `key` keep
/// only the bits `keep` (the part of the node's run in this slice is cleared).
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

/// The column the ops of nodes that are not mirrored read: the bitwise complement of a bin
/// column, so that `!x ≤ −k − 2` holds exactly when `x > k` (signed bytes, `k < 127`).
#[inline(always)]
pub(crate) fn complement(column: &[u8], out: &mut [u8]) {
    for (o, &x) in out.iter_mut().zip(column) {
        *o = !x;
    }
}

/// Slices touched by the run of `n ≥ 1` positions starting at `start`.
fn touched(start: usize, n: usize) -> u32 {
    ((start + n - 1) / 8 - start / 8 + 1) as u32
}

/// For every internal node of tree `t` (tree-local), whether its right subtree comes first
/// in leaf order: the orientation that minimises the number of ops, the slices touched by
/// every node's first-subtree run. The cost of a subtree depends only on where its run
/// starts within a slice, so `cost[i][s]` (node `i` starting at offset `s` of a slice) is
/// exact, computed bottom-up; the orientations are then chosen top-down.
fn orient(e: &Ensemble, t: usize) -> Vec<bool> {
    let (nodes, _) = e.tree_ranges(t);
    let n = nodes.len();
    let child = |i: usize, right: bool| {
        let g = nodes.start + i;
        Child::of(if right { e.right[g] } else { e.left[g] })
    };
    // Post-order without recursion: a node after both children.
    let mut order = Vec::with_capacity(n);
    let mut stack: Vec<(usize, bool)> = Vec::new();
    if let Child::Node(r) = e.root(t) {
        stack.push((r, false));
    }
    while let Some((i, children_done)) = stack.pop() {
        if children_done {
            order.push(i);
            continue;
        }
        stack.push((i, true));
        for right in [false, true] {
            if let Child::Node(c) = child(i, right) {
                stack.push((c, false));
            }
        }
    }
    let mut size = vec![0usize; n];
    let mut cost = vec![[0u32; 8]; n];
    let size_of = |size: &[usize], c: Child| match c {
        Child::Leaf(_) => 1,
        Child::Node(j) => size[j],
    };
    let cost_of = |cost: &[[u32; 8]], c: Child, s: usize| match c {
        Child::Leaf(_) => 0,
        Child::Node(j) => cost[j][s],
    };
    // The cost of node `i` at offset `s` with child `first` first.
    let with = |size: &[usize], cost: &[[u32; 8]], i: usize, s: usize, right_first: bool| {
        let (a, b) = (child(i, right_first), child(i, !right_first));
        let na = size_of(size, a);
        touched(s, na) + cost_of(cost, a, s) + cost_of(cost, b, (s + na) % 8)
    };
    for &i in &order {
        size[i] = size_of(&size, child(i, false)) + size_of(&size, child(i, true));
        for s in 0..8 {
            cost[i][s] = with(&size, &cost, i, s, false).min(with(&size, &cost, i, s, true));
        }
    }
    let mut mirrored = vec![false; n];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    if let Child::Node(r) = e.root(t) {
        stack.push((r, 0));
    }
    while let Some((i, s)) = stack.pop() {
        let m = with(&size, &cost, i, s, true) < with(&size, &cost, i, s, false);
        mirrored[i] = m;
        let (a, b) = (child(i, m), child(i, !m));
        let na = size_of(&size, a);
        if let Child::Node(j) = a {
            stack.push((j, s));
        }
        if let Child::Node(j) = b {
            stack.push((j, (s + na) % 8));
        }
    }
    mirrored
}

impl Sliced {
    /// Compiles the ensemble, or `None` when a tree has more than [`MAX_LEAVES`] leaves.
    /// `column_and_bin(g)` gives the bin column (below `n_cols`) and threshold bin (below
    /// 255) of internal node `g`. The ops of nodes that are not mirrored read column
    /// `n_cols + c`, the complement of column `c` (see [`complement`]).
    pub(crate) fn new(
        e: &Ensemble,
        n_cols: usize,
        column_and_bin: impl Fn(usize) -> (u16, u8),
    ) -> Option<Self> {
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
            let mirrored = orient(e, t);
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
                        let (first, second) = if mirrored[i] {
                            (e.right[g], e.left[g])
                        } else {
                            (e.left[g], e.right[g])
                        };
                        left_start[i] = pos;
                        stack.push((Child::of(second), false));
                        stack.push((c, true));
                        stack.push((Child::of(first), false));
                    }
                    Child::Node(i) => {
                        let (col, bin) = column_and_bin(nodes.start + i);
                        debug_assert!((col as usize) < n_cols && bin < u8::MAX);
                        // Clear the first subtree's run when the row goes to the second:
                        // left for a mirrored node (`x ≤ key`), else right
                        // (`x > key` ⟺ `!x ≤ −key − 2`, in the complement column).
                        let (col, key) = if mirrored[i] {
                            (col, byte(bin) as i8)
                        } else {
                            (
                                (n_cols + col as usize) as u16,
                                (-i16::from(byte(bin) as i8) - 2) as i8,
                            )
                        };
                        let run = left_start[i]..pos;
                        for (s, list) in per_slice.iter_mut().enumerate().take(n_slices) {
                            let lo = run.start.max(8 * s);
                            let hi = run.end.min(8 * s + 8);
                            if lo < hi {
                                let bits = ((1u32 << (hi - lo)) - 1) << (lo - 8 * s);
                                list.push(Op {
                                    col,
                                    key,
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
        // Tree `t`'s exit positions and its (padded) leaf values.
        let mut exit = |t: usize| {
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
            (B::exit(&slices[..n]), &self.leaves[base..base + padded(n)])
        };
        // The exit positions of up to GROUP trees, then their leaf values added in tree
        // order (see `Block::add_leaves`).
        let mut at = [[0u8; block::MAX_ROWS]; GROUP];
        let mut values: [&[f64]; GROUP] = [&[]; GROUP];
        let n_trees = self.leaf_base.len();
        for first in (0..n_trees).step_by(GROUP) {
            let g = GROUP.min(n_trees - first);
            for k in 0..g {
                let (a, v) = exit(first + k);
                a.store(&mut at[k]);
                values[k] = v;
            }
            // SAFETY: exit positions of `n` slices are below 8n, and each tree's leaves
            // are padded beyond that length.
            #[allow(unsafe_code)]
            unsafe {
                B::add_leaves(&at[..g], &values[..g], &mut sums)
            };
        }
        for (a, s) in acc.iter_mut().zip(sums) {
            *a += s;
        }
    }
}
