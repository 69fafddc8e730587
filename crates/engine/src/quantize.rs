//! Turning a feature value into its bin: the number of the feature's distinct thresholds
//! below it.
//!
//! The sorted thresholds of a feature are searched as a static 16-ary search tree (an
//! "S-tree"): each level is a run of 16-key nodes, a node's keys being the largest
//! threshold of each of its 16 children's ranges, and the last level the thresholds
//! themselves, padded with +∞ to a power of 16. A step counts the keys of one node below
//! the value (16 compares with no branch, which the compiler turns into a few SIMD
//! instructions) and moves to that child. Up to 255 thresholds take two steps.

use alloc::vec::Vec;

/// Keys per node.
pub(crate) const FANOUT: usize = 16;

/// How a node is searched: by default with plain compares; the SIMD blocks of the sliced
/// engine (`sliced/block.rs`) override it with their instruction sets.
pub(crate) trait Search {
    /// The number of `keys` below `x`.
    #[inline(always)]
    fn count_below(keys: &[f64; FANOUT], x: f64) -> usize {
        // A bit per key below `x`.
        let mut below = 0u32;
        for (j, &k) in keys.iter().enumerate() {
            below |= u32::from(k < x) << j;
        }
        below.count_ones() as usize
    }
}

/// Plain compares.
pub(crate) struct Plain;

impl Search for Plain {}

#[derive(Clone, Debug)]
pub(crate) struct Quantizer {
    keys: Vec<f64>,
    /// Feature `f`'s tree starts at `start[f]` and has `depth[f]` levels.
    start: Vec<u32>,
    depth: Vec<u8>,
}

impl Quantizer {
    /// Builds the trees; `cuts[f]` are feature `f`'s thresholds, sorted, distinct, not NaN.
    pub(crate) fn new(cuts: &[Vec<f64>]) -> Quantizer {
        let mut keys = Vec::new();
        let mut start = Vec::with_capacity(cuts.len());
        let mut depth = Vec::with_capacity(cuts.len());
        for c in cuts {
            let mut levels = 1;
            let mut span = FANOUT;
            // At least one +∞ key, so that no step counts all 16 keys of a node.
            while span <= c.len() {
                span *= FANOUT;
                levels += 1;
            }
            start.push(keys.len() as u32);
            depth.push(levels as u8);
            let key = |i: usize| c.get(i).copied().unwrap_or(f64::INFINITY);
            // Level l has FANOUT^(l+1) keys; key j of level l is the largest threshold of
            // the j-th run of span/FANOUT^(l+1) thresholds.
            let mut width = FANOUT;
            for _ in 0..levels {
                let run = span / width;
                keys.extend((0..width).map(|j| key((j + 1) * run - 1)));
                width *= FANOUT;
            }
        }
        Quantizer { keys, start, depth }
    }

    /// The number of feature `f`'s thresholds strictly below `x` (`x` not NaN).
    #[inline(always)]
    pub(crate) fn bin<S: Search>(&self, f: usize, x: f64) -> usize {
        let mut level = self.start[f] as usize;
        let mut width = FANOUT;
        let mut i = 0;
        for _ in 0..self.depth[f] {
            let node: &[f64; FANOUT] = self.keys[level + FANOUT * i..][..FANOUT]
                .try_into()
                .expect("a node is FANOUT keys");
            i = FANOUT * i + S::count_below(node, x);
            level += width;
            width *= FANOUT;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn counts_the_thresholds_below_for_every_size() {
        for n in [0usize, 1, 2, 15, 16, 17, 255, 256, 257, 300, 4096, 4097] {
            let cuts: Vec<f64> = (0..n).map(|i| i as f64 * 2.0 - 7.0).collect();
            let q = Quantizer::new(&[vec![], cuts.clone()]);
            for x in (-20..2 * n as i64 + 20).map(|i| i as f64 * 0.5 - 7.0) {
                let want = cuts.partition_point(|&c| c < x);
                assert_eq!(q.bin::<Plain>(1, x), want, "n {n} x {x}");
            }
            for x in [f64::NEG_INFINITY, f64::INFINITY, -0.0, 1e300] {
                assert_eq!(q.bin::<Plain>(1, x), cuts.partition_point(|&c| c < x));
            }
            assert_eq!(q.bin::<Plain>(0, 3.0), 0);
        }
    }
}
