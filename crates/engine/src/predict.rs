//! The compiled inference engine.
//!
//! [`Predictor::new`] compiles a validated [`Ensemble`] into a form built for speed:
//!
//! 1. **Quantized inputs.** Each feature's distinct thresholds are sorted once. A value is
//!    turned into bin numbers, `bin(x) = #{thresholds of x's feature < x}`, compared in the
//!    model's own precision; then `x <= t_k ⇔ bin(x) <= k` exactly. Every node test becomes
//!    one integer comparison, and the f64 semantics of LightGBM or the f32 semantics of
//!    XGBoost are kept bit for bit, whatever the input type.
//!    Each feature gets two bin columns that differ only for a missing value: in the
//!    first NaN is bin 0 (left at every node), in the second it is the largest bin (right
//!    at every node). A node reads the column of its own default direction, so the step
//!    has no NaN test at all.
//! 2. **Flat 8-byte nodes.** All trees live in one array of nodes `{column << 16 | bin,
//!    left}`, siblings side by side, so a step is `i = left + (bin(row, column) > k)`:
//!    one load, one compare, one add. Leaves are nodes that step to themselves, so a walk
//!    of `depth(tree)` steps ends on the leaf whatever path it took.
//! 3. **Batches** are quantized in blocks of rows. When every feature has at most 255
//!    thresholds (bins fit a byte) and every tree at most 64 leaves, they go to the sliced
//!    engine (`sliced/`: byte-sliced bitvectors, up to 64 rows per SIMD instruction);
//!    otherwise 8 rows walk each tree in lock step, giving the CPU independent loads to
//!    overlap. Single rows walk. On every path trees are visited in order, so each row's
//!    sum is accumulated in exactly the order of [`Ensemble::predict_reference`] and the
//!    same `Output` transform follows: all paths agree bit for bit.
//!
//! Thresholds are searched as 16-ary trees (`quantize.rs`).

use alloc::vec;
use alloc::vec::Vec;

use crate::ensemble::{Child, Ensemble, Output, Precision};
use crate::quantize::{self, Quantizer, Search};
use crate::sliced::{self, Block, Sliced};
use crate::Error;

/// Rows walked in lock step by the interleaved walk.
const WALK_LANES: usize = 8;
/// Rows quantized per block (bins of a block stay in L1 cache).
const BLOCK: usize = 128;
/// Bin of a missing value in a feature's "missing goes right" column; also the `k` of
/// a leaf, which no bin of a "missing goes left" column exceeds.
const TOP: u16 = u16::MAX;
/// Most distinct thresholds per feature (real bins stay below [`TOP`] − 1).
const MAX_CUTS: usize = u16::MAX as usize - 2;

#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Node {
    /// `column << 16 | k`: go to `left` when the row's bin in `column` is `<= k`, else
    /// to `left + 1`.
    key: u32,
    left: u32,
}

/// Input to a batch prediction: a dense matrix with one column per model feature.
/// The number of rows is the length divided by the number of features. NaN is missing.
#[derive(Clone, Copy, Debug)]
pub enum Matrix<'a> {
    /// Row-major `f64` (row after row).
    RowMajorF64(&'a [f64]),
    /// Row-major `f32`.
    RowMajorF32(&'a [f32]),
    /// Column-major `f64` (feature after feature).
    ColMajorF64(&'a [f64]),
    /// Column-major `f32`.
    ColMajorF32(&'a [f32]),
}

impl Matrix<'_> {
    fn len(&self) -> usize {
        match self {
            Matrix::RowMajorF64(d) | Matrix::ColMajorF64(d) => d.len(),
            Matrix::RowMajorF32(d) | Matrix::ColMajorF32(d) => d.len(),
        }
    }

    #[inline]
    fn get(&self, r: usize, f: usize, n_rows: usize, n_cols: usize) -> f64 {
        match self {
            Matrix::RowMajorF64(d) => d[r * n_cols + f],
            Matrix::RowMajorF32(d) => d[r * n_cols + f] as f64,
            Matrix::ColMajorF64(d) => d[f * n_rows + r],
            Matrix::ColMajorF32(d) => d[f * n_rows + r] as f64,
        }
    }
}

/// A compiled ensemble, ready to predict. Cheap to share; prediction takes `&self`.
#[derive(Clone, Debug)]
pub struct Predictor {
    n_features: usize,
    precision: Precision,
    output: Output,
    /// Bins of feature values (searches of each feature's distinct thresholds).
    quantizer: Quantizer,
    nodes: Vec<Node>,
    /// Leaf output per node (0 for internal nodes).
    values: Vec<f64>,
    roots: Vec<u32>,
    depths: Vec<u32>,
    /// The batch engine, when every feature has at most 255 thresholds and every tree at
    /// most 64 leaves.
    sliced: Option<Sliced>,
}

/// How a batch is evaluated. [`Strategy::Auto`] is what [`Predictor::predict`] uses; the
/// others exist so tests can check that all give the same bits and benchmarks can show
/// which is fastest.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// The sliced engine with the widest SIMD instruction set when the ensemble fits it
    /// and the target has SIMD (AVX2 or AVX-512BW on x86-64, `simd128` on wasm32), else
    /// interleaved walks. Rows left over after the last full block walk when they are
    /// fewer than an eighth of a block (so batches of fewer than 8 to 16 rows walk).
    Auto,
    /// Interleaved tree walks.
    Walk,
    /// Byte-sliced bitvectors with the given instruction set, for every row (walks when
    /// the ensemble does not fit the engine or the CPU lacks the instruction set).
    Sliced(Isa),
}

/// Instruction sets of the sliced engine, for tests and benchmarks.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// The widest the CPU has (what [`Strategy::Auto`] uses).
    Widest,
    /// AVX2 when the CPU has it (else walks).
    Avx2,
    /// Plain code, 32 rows per block.
    Plain,
}

impl Predictor {
    /// Compiles an ensemble. Validates it first, so any [`Ensemble`] is safe to pass.
    pub fn new(e: &Ensemble) -> Result<Predictor, Error> {
        e.validate()?;
        let nf = e.n_features as usize;
        if nf == 0 {
            return Err(Error::Malformed("the model has no input features".into()));
        }
        if 2 * nf > 1 << 16 {
            return Err(Error::Unsupported(alloc::format!(
                "{nf} features; the engine takes up to 32768"
            )));
        }
        // Distinct thresholds per feature.
        let mut per_feature: Vec<Vec<f64>> = vec![Vec::new(); nf];
        for (f, t) in e.feature.iter().zip(&e.threshold) {
            per_feature[*f as usize].push(*t);
        }
        for list in &mut per_feature {
            list.sort_by(f64::total_cmp);
            list.dedup();
        }
        let bin_of =
            |f: usize, t: f64| -> u32 { per_feature[f].partition_point(|&c| c < t) as u32 };
        use alloc::format;

        if let Some(f) = (0..nf).find(|&f| per_feature[f].len() > MAX_CUTS) {
            return Err(Error::Unsupported(format!(
                "feature {f} has more than {MAX_CUTS} distinct thresholds"
            )));
        }
        let total = e.n_nodes() + e.n_leaves();
        if total >= u32::MAX as usize {
            return Err(Error::Unsupported("more than 4 billion nodes".into()));
        }
        let mut nodes = Vec::with_capacity(total);
        let mut values = Vec::with_capacity(total);
        let mut roots = Vec::with_capacity(e.n_trees());
        for t in 0..e.n_trees() {
            let (nr, lr) = e.tree_ranges(t);
            // Breadth first: the root, then both children of each placed node, side by side.
            let base = nodes.len();
            roots.push(base as u32);
            let mut queue = alloc::collections::VecDeque::new();
            queue.push_back(e.root(t));
            nodes.push(Node { key: 0, left: 0 });
            values.push(0.0);
            let mut slot = base;
            while let Some(c) = queue.pop_front() {
                match c {
                    Child::Node(i) => {
                        let g = nr.start + i;
                        let f = e.feature[g] as usize;
                        let column = 2 * f as u32 + u32::from(!e.default_left[g]);
                        let left = nodes.len() as u32;
                        nodes[slot] = Node {
                            key: column << 16 | bin_of(f, e.threshold[g]),
                            left,
                        };
                        for child in [e.left[g], e.right[g]] {
                            queue.push_back(Child::of(child));
                            nodes.push(Node { key: 0, left: 0 });
                            values.push(0.0);
                        }
                    }
                    Child::Leaf(i) => {
                        // Column 0 is a "missing goes left" column: its bins never exceed
                        // TOP − 1, so the leaf always steps to itself.
                        nodes[slot] = Node {
                            key: u32::from(TOP),
                            left: slot as u32,
                        };
                        values[slot] = e.leaf_value[lr.start + i];
                    }
                }
                slot += 1;
            }
        }
        let depths = e.depths().into_iter().map(|d| d as u32).collect();
        let fits_a_byte = per_feature.iter().all(|c| c.len() <= sliced::MAX_CUTS);
        let sliced = fits_a_byte
            .then(|| {
                Sliced::new(e, 2 * nf, |g| {
                    let f = e.feature[g] as usize;
                    (
                        (2 * f + usize::from(!e.default_left[g])) as u16,
                        // Below the feature's number of thresholds, at most 255.
                        bin_of(f, e.threshold[g]) as u8,
                    )
                })
            })
            .flatten();
        Ok(Predictor {
            n_features: nf,
            precision: e.precision,
            output: e.output(),
            quantizer: Quantizer::new(&per_feature),
            nodes,
            values,
            roots,
            depths,
            sliced,
        })
    }

    /// Number of input features (columns) the model expects.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.roots.len()
    }

    /// Writes feature `f`'s two bin columns for value `x`.
    #[inline]
    fn bin(&self, f: usize, x: f64, out: &mut [u16]) {
        if x.is_nan() {
            out[2 * f] = 0;
            out[2 * f + 1] = TOP;
            return;
        }
        let x = match self.precision {
            Precision::F64 => x,
            Precision::F32 => x as f32 as f64,
        };
        let b = self.quantizer.bin::<quantize::Plain>(f, x) as u16;
        out[2 * f] = b;
        out[2 * f + 1] = b;
    }

    /// Feature `f`'s two bin columns for value `x` as bytes for the sliced engine (every
    /// feature has at most 255 thresholds there): the bin, and for a missing value 0
    /// (left at every node) and 255 (right at every node).
    #[inline(always)]
    fn byte_bins<S: Search>(&self, f: usize, x: f64) -> (u8, u8) {
        if x.is_nan() {
            return (sliced::byte(0), sliced::byte(u8::MAX));
        }
        let x = match self.precision {
            Precision::F64 => x,
            Precision::F32 => x as f32 as f64,
        };
        let b = sliced::byte(self.quantizer.bin::<S>(f, x) as u8);
        (b, b)
    }

    /// Runs the sliced engine with the widest SIMD blocks the CPU has (or the ones asked
    /// for) and returns how many rows, from the first, it predicted; the caller walks the
    /// rest. With `walk_small_tail`, a last partial block of fewer than an eighth of a
    /// block's rows is left to the walk, which is faster for so few rows (a block costs the
    /// same whatever its rows; `small_batch` in the benchmarks). Returns `None`, having done
    /// nothing, when there is no SIMD to run it with: in plain code the interleaved walk is
    /// faster, so plain blocks run only when asked.
    fn predict_sliced(
        &self,
        s: &Sliced,
        input: Matrix<'_>,
        out: &mut [f64],
        isa: Isa,
        walk_small_tail: bool,
    ) -> Option<usize> {
        if isa == Isa::Plain {
            return Some(self.sliced_blocks::<sliced::block::Plain>(
                s,
                input,
                out,
                walk_small_tail,
            ));
        }
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            #[target_feature(enable = "avx512f,avx512bw")]
            fn avx512(
                p: &Predictor,
                s: &Sliced,
                input: Matrix<'_>,
                out: &mut [f64],
                t: bool,
            ) -> usize {
                p.sliced_blocks::<sliced::block::Avx512>(s, input, out, t)
            }
            #[target_feature(enable = "avx2")]
            fn avx2(
                p: &Predictor,
                s: &Sliced,
                input: Matrix<'_>,
                out: &mut [f64],
                t: bool,
            ) -> usize {
                p.sliced_blocks::<sliced::block::Avx2>(s, input, out, t)
            }
            if isa == Isa::Widest && std::is_x86_feature_detected!("avx512bw") {
                // SAFETY: the CPU has AVX-512F and BW (BW implies F), checked just above.
                #[allow(unsafe_code)]
                return Some(unsafe { avx512(self, s, input, out, walk_small_tail) });
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                #[allow(unsafe_code)]
                return Some(unsafe { avx2(self, s, input, out, walk_small_tail) });
            }
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            return Some(self.sliced_blocks::<sliced::block::Simd128>(
                s,
                input,
                out,
                walk_small_tail,
            ));
        }
        #[allow(unreachable_code)]
        None
    }

    /// Predicts rows block by block into `out` (every row of `input`), and returns how
    /// many it did (see [`Predictor::predict_sliced`] for `walk_small_tail`).
    #[inline(always)]
    fn sliced_blocks<B: Block>(
        &self,
        s: &Sliced,
        input: Matrix<'_>,
        out: &mut [f64],
        walk_small_tail: bool,
    ) -> usize {
        let nf = self.n_features;
        let n_rows = out.len();
        // Two columns per feature (see `byte_bins`), then their complements (the columns
        // mirrored ops read, see `sliced::complement`).
        let mut bins = vec![0u8; 4 * nf * B::ROWS];
        for (g, acc) in out.chunks_mut(B::ROWS).enumerate() {
            let r0 = g * B::ROWS;
            let rows = acc.len();
            if walk_small_tail && rows < B::ROWS / 8 {
                return r0;
            }
            for j in 0..rows {
                for f in 0..nf {
                    let (left, right) = self.byte_bins::<B>(f, input.get(r0 + j, f, n_rows, nf));
                    bins[2 * f * B::ROWS + j] = left;
                    bins[(2 * f + 1) * B::ROWS + j] = right;
                }
            }
            // Lanes past the last row repeat it: evaluated, then ignored.
            let (direct, complements) = bins.split_at_mut(2 * nf * B::ROWS);
            for (column, out) in direct
                .chunks_exact_mut(B::ROWS)
                .zip(complements.chunks_exact_mut(B::ROWS))
            {
                let last = column[rows - 1];
                column[rows..].fill(last);
                sliced::complement(column, out);
            }
            acc.fill(0.0);
            s.eval::<B>(&bins, acc);
            for v in acc.iter_mut() {
                *v = self.finish(*v);
            }
        }
        n_rows
    }

    #[inline]
    fn finish(&self, sum: f64) -> f64 {
        self.output.apply(sum)
    }

    #[inline(always)]
    fn step(&self, i: u32, row: &[u16]) -> u32 {
        debug_assert!((i as usize) < self.nodes.len());
        // SAFETY: `i` is a root, or `left` or `left + 1` of a node, all written by
        // `Predictor::new` as indices of nodes it pushed (a leaf's `left` is itself, and a
        // leaf never steps to `left + 1`), so `i < nodes.len()`. Every column is
        // `2 * feature + 0|1` with `feature < n_features`, and every `row` passed here
        // holds exactly `2 * n_features` bins.
        #[allow(unsafe_code)]
        let (n, b) = unsafe {
            let n = *self.nodes.get_unchecked(i as usize);
            debug_assert!(((n.key >> 16) as usize) < row.len());
            (n, *row.get_unchecked((n.key >> 16) as usize))
        };
        n.left + u32::from(u32::from(b) > n.key & 0xFFFF)
    }

    /// Predicts one row of `f64` values (one per feature, NaN = missing).
    pub fn predict_row(&self, row: &[f64]) -> Result<f64, Error> {
        self.predict_one(row.len(), |f| row[f])
    }

    /// Predicts one row of `f32` values.
    pub fn predict_row_f32(&self, row: &[f32]) -> Result<f64, Error> {
        self.predict_one(row.len(), |f| row[f] as f64)
    }

    fn predict_one(&self, len: usize, get: impl Fn(usize) -> f64) -> Result<f64, Error> {
        if len != self.n_features {
            return Err(Error::InputShape {
                expected: self.n_features,
                got: len,
            });
        }
        let mut bins = vec![0u16; 2 * self.n_features];
        for f in 0..self.n_features {
            self.bin(f, get(f), &mut bins);
        }
        let mut sum = 0.0;
        for (&root, &depth) in self.roots.iter().zip(&self.depths) {
            let mut i = root;
            for _ in 0..depth {
                i = self.step(i, &bins);
            }
            sum += self.values[i as usize];
        }
        Ok(self.finish(sum))
    }

    /// Predicts every row of `input` into `out` (one value per row).
    pub fn predict_into(&self, input: Matrix<'_>, out: &mut [f64]) -> Result<(), Error> {
        self.predict_with(input, out, Strategy::Auto)
    }

    /// [`Predictor::predict_into`] with a chosen evaluation strategy.
    #[doc(hidden)]
    pub fn predict_with(
        &self,
        input: Matrix<'_>,
        out: &mut [f64],
        strategy: Strategy,
    ) -> Result<(), Error> {
        let nf = self.n_features;
        let len = input.len();
        if !len.is_multiple_of(nf) {
            return Err(Error::InputShape {
                expected: (len / nf + 1) * nf,
                got: len,
            });
        }
        let n_rows = len / nf;
        if out.len() != n_rows {
            return Err(Error::InputShape {
                expected: n_rows,
                got: out.len(),
            });
        }
        let isa = match strategy {
            Strategy::Auto => Some(Isa::Widest),
            Strategy::Sliced(isa) => Some(isa),
            Strategy::Walk => None,
        };
        let mut start = 0;
        if let (Some(isa), Some(s)) = (isa, &self.sliced) {
            let walk_small_tail = strategy == Strategy::Auto;
            if let Some(done) = self.predict_sliced(s, input, out, isa, walk_small_tail) {
                start = done;
            }
        }
        let w = 2 * nf;
        let mut bins = vec![0u16; BLOCK * w];
        while start < n_rows {
            let rows = (n_rows - start).min(BLOCK);
            for r in 0..rows {
                let row = &mut bins[r * w..(r + 1) * w];
                for f in 0..nf {
                    self.bin(f, input.get(start + r, f, n_rows, nf), row);
                }
            }
            let acc = &mut out[start..start + rows];
            acc.fill(0.0);
            self.walk_block(&bins[..rows * w], acc);
            for v in acc.iter_mut() {
                *v = self.finish(*v);
            }
            start += rows;
        }
        Ok(())
    }

    /// Predicts every row of `input`.
    pub fn predict(&self, input: Matrix<'_>) -> Result<Vec<f64>, Error> {
        let mut out = vec![0.0; input.len() / self.n_features];
        self.predict_into(input, &mut out)?;
        Ok(out)
    }

    /// The same predictions as [`Predictor::predict`], walking one row at a time with an
    /// early exit at the leaf instead of interleaving rows at fixed depth. Kept so the
    /// benchmarks can show which strategy wins; not part of the API.
    #[doc(hidden)]
    pub fn predict_row_at_a_time(&self, input: &[f64]) -> Vec<f64> {
        let nf = self.n_features;
        let mut bins = vec![0u16; 2 * nf];
        input
            .chunks_exact(nf)
            .map(|row| {
                for (f, &x) in row.iter().enumerate() {
                    self.bin(f, x, &mut bins);
                }
                let mut sum = 0.0;
                for &root in &self.roots {
                    let mut i = root;
                    loop {
                        let next = self.step(i, &bins);
                        if next == i {
                            break;
                        }
                        i = next;
                    }
                    sum += self.values[i as usize];
                }
                self.finish(sum)
            })
            .collect()
    }

    /// Adds every tree's leaf to `acc` for the quantized rows in `bins`.
    fn walk_block(&self, bins: &[u16], acc: &mut [f64]) {
        let nf = 2 * self.n_features;
        let rows = acc.len();
        let full = rows - rows % WALK_LANES;
        for (&root, &depth) in self.roots.iter().zip(&self.depths) {
            let mut r0 = 0;
            while r0 < full {
                let lanes: [&[u16]; WALK_LANES] =
                    core::array::from_fn(|j| &bins[(r0 + j) * nf..(r0 + j + 1) * nf]);
                let mut idx = [root; WALK_LANES];
                // Walk until every lane sits on its leaf (a leaf steps to itself), at most
                // `depth` steps.
                for _ in 0..depth {
                    let mut moved = false;
                    for j in 0..WALK_LANES {
                        let next = self.step(idx[j], lanes[j]);
                        moved |= next != idx[j];
                        idx[j] = next;
                    }
                    if !moved {
                        break;
                    }
                }
                for j in 0..WALK_LANES {
                    acc[r0 + j] += self.values[idx[j] as usize];
                }
                r0 += WALK_LANES;
            }
            for r in full..rows {
                let row = &bins[r * nf..(r + 1) * nf];
                let mut i = root;
                for _ in 0..depth {
                    i = self.step(i, row);
                }
                acc[r] += self.values[i as usize];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::tests::tiny;

    #[test]
    fn agrees_with_the_reference_walk() {
        let e = tiny();
        let p = Predictor::new(&e).unwrap();
        let rows = [
            [1.0, 0.0],
            [1.5, 0.6],
            [2.0, 0.0],
            [f64::NAN, 0.0],
            [0.0, f64::NAN],
            [-1e300, 1e300],
        ];
        for r in &rows {
            assert_eq!(p.predict_row(r).unwrap(), e.predict_reference(r));
        }
        // A batch larger than one block and not a multiple of the lane counts.
        let flat: Vec<f64> = (0..300).flat_map(|i| rows[i % rows.len()]).collect();
        let out = p.predict(Matrix::RowMajorF64(&flat)).unwrap();
        for (i, v) in out.iter().enumerate() {
            assert_eq!(*v, e.predict_reference(&rows[i % rows.len()]));
        }
        // Column-major gives the same.
        let n = 300;
        let flat_ref = &flat;
        let cols: Vec<f64> = (0..2)
            .flat_map(|f| (0..n).map(move |r| flat_ref[r * 2 + f]))
            .collect();
        assert_eq!(p.predict(Matrix::ColMajorF64(&cols)).unwrap(), out);
    }

    /// `n` stumps on feature 0 with `n` distinct thresholds.
    fn stumps(n: usize) -> Ensemble {
        Ensemble {
            n_features: 1,
            precision: Precision::F64,
            link: crate::ensemble::Link::Identity,
            base_score: 0.0,
            average: false,
            node_offsets: (0..=n as u32).collect(),
            leaf_offsets: (0..=n as u32).map(|t| 2 * t).collect(),
            feature: vec![0; n],
            threshold: (0..n).map(|i| i as f64 * 0.5).collect(),
            default_left: (0..n).map(|i| i % 3 == 0).collect(),
            left: vec![!0; n],
            right: vec![!1; n],
            node_cover: vec![1.0; n],
            leaf_value: (0..2 * n).map(|i| (i % 7) as f64 - 3.0).collect(),
            leaf_cover: vec![1.0; 2 * n],
        }
    }

    #[test]
    fn the_sliced_engine_takes_up_to_255_thresholds_per_feature_and_walks_beyond() {
        for (n, sliced) in [(255, true), (256, false), (300, false)] {
            let e = stumps(n);
            let p = Predictor::new(&e).unwrap();
            assert_eq!(p.sliced.is_some(), sliced, "{n} thresholds");
            let x: Vec<f64> = (0..200)
                .map(|i| match i % 50 {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    _ => i as f64 * 0.8 - 5.0,
                })
                .collect();
            let want: Vec<f64> = x.iter().map(|v| e.predict_reference(&[*v])).collect();
            assert_eq!(p.predict(Matrix::RowMajorF64(&x)).unwrap(), want);
        }
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let p = Predictor::new(&tiny()).unwrap();
        assert!(p.predict_row(&[1.0]).is_err());
        assert!(p.predict(Matrix::RowMajorF64(&[1.0, 2.0, 3.0])).is_err());
        assert_eq!(
            p.predict(Matrix::RowMajorF32(&[])).unwrap(),
            Vec::<f64>::new()
        );
    }
}
