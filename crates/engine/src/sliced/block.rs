//! One slice of a block of rows (a byte per row) and the few operations the engine does
//! on it, for each instruction set: AVX-512BW (128 rows in two registers) and AVX2 (64
//! rows in two registers) on x86-64, chosen at run time; `simd128` on wasm32 (64 rows in
//! four registers); plain code elsewhere (32 rows). Several registers per slice share the
//! decoding and broadcasts of each op, which is most of an op's cost in one register.
//!
//! Bins are compared as signed bytes (offset by −128, see `byte`): every instruction set
//! has a signed byte compare, not all an unsigned one.
//!
//! Unsafe code: SIMD intrinsics, `Block::load` and `Block::add_leaves`, whose callers
//! guarantee the bytes read and the positions looked up.
#![allow(unsafe_code)]

use crate::quantize::Search;
#[cfg(any(
    all(feature = "std", target_arch = "x86_64"),
    all(target_arch = "wasm32", target_feature = "simd128")
))]
use crate::quantize::FANOUT;

/// Most slices per tree.
pub(crate) const MAX_SLICES: usize = 8;
/// Most rows per block, over the instruction sets of the target (the AVX-512 block has 128;
/// elsewhere at most 64, and the per-block arrays stay that small).
#[cfg(target_arch = "x86_64")]
pub(crate) const MAX_ROWS: usize = 128;
#[cfg(not(target_arch = "x86_64"))]
pub(crate) const MAX_ROWS: usize = 64;

/// `TZ[0][n]` is the position of the lowest set bit of a byte whose low nibble is `n`,
/// `TZ[1][n]` that of a byte whose low nibble is zero and high nibble `n` (entry 0 is
/// unused).
const TZ: [[u8; 16]; 2] = {
    let mut t = [[0u8; 16]; 2];
    let mut n = 1;
    while n < 16 {
        t[0][n] = (n as u8).trailing_zeros() as u8;
        t[1][n] = 4 + (n as u8).trailing_zeros() as u8;
        n += 1;
    }
    t
};

/// A slice for `ROWS` rows (and, as [`Search`], the instruction set's way to quantize).
pub(crate) trait Block: Copy + Search {
    /// Rows per block.
    const ROWS: usize;
    /// Every byte `b`.
    fn splat(b: u8) -> Self;
    /// Reads `ROWS` bytes.
    ///
    /// # Safety
    /// `p` must be valid for reading `ROWS` bytes.
    unsafe fn load(p: *const u8) -> Self;
    /// Writes the `ROWS` bytes to the front of `out`.
    fn store(self, out: &mut [u8; MAX_ROWS]);
    /// `v` and-ed with `keep` in every row whose byte of `x` is not above `key`.
    fn update(v: Self, x: Self, key: i8, keep: u8) -> Self;
    /// Bitwise and.
    fn and(a: Self, b: Self) -> Self;
    /// Bitwise or.
    fn or(a: Self, b: Self) -> Self;
    /// 0xFF where the byte is zero, else 0.
    fn is_zero(a: Self) -> Self;
    /// `a` where `m` is 0xFF, else `b` (`m` is 0 or 0xFF per byte).
    fn select(m: Self, a: Self, b: Self) -> Self;
    /// Each byte shifted right by four.
    fn high_nibble(a: Self) -> Self;
    /// `table[i]` per byte (`i < 16`).
    fn lookup(table: &[u8; 16], i: Self) -> Self;

    /// `acc[j] += values[t][at[t][j]]` for every tree `t` in order and every row `j` of
    /// the block, `at[t]` being tree `t`'s exit positions (see [`Block::exit`]).
    ///
    /// # Safety
    /// Every position in `at[t]` must be below `values[t].len()`.
    #[inline(always)]
    unsafe fn add_leaves(at: &[[u8; MAX_ROWS]], values: &[&[f64]], acc: &mut [f64; MAX_ROWS]) {
        for (at, values) in at.iter().zip(values) {
            for (a, &i) in acc.iter_mut().zip(at).take(Self::ROWS) {
                debug_assert!((i as usize) < values.len());
                // SAFETY: the caller guarantees `i < values.len()`.
                *a += unsafe { *values.get_unchecked(i as usize) };
            }
        }
    }

    /// Per row, the position of the lowest set bit over the slices (0 if none is set): the
    /// first nonzero slice and its number are picked first, so the bit is looked for in one
    /// byte only.
    #[inline(always)]
    fn exit(slices: &[Self]) -> Self {
        let mut first = Self::splat(0);
        let mut base = Self::splat(0);
        for (s, &v) in slices.iter().enumerate().rev() {
            let empty = Self::is_zero(v);
            first = Self::select(empty, first, v);
            base = Self::select(empty, base, Self::splat(8 * s as u8));
        }
        let lo = Self::and(first, Self::splat(0x0F));
        let bit = Self::select(
            Self::is_zero(lo),
            Self::lookup(&TZ[1], Self::high_nibble(first)),
            Self::lookup(&TZ[0], lo),
        );
        Self::or(base, bit)
    }
}

/// Plain code, 32 rows (the compiler vectorises what it can).
#[derive(Clone, Copy)]
pub(crate) struct Plain([u8; 32]);

impl Search for Plain {}

impl Block for Plain {
    const ROWS: usize = 32;

    #[inline(always)]
    fn splat(b: u8) -> Self {
        Plain([b; 32])
    }

    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 32 readable bytes at `p`.
        Plain(unsafe { p.cast::<[u8; 32]>().read_unaligned() })
    }

    #[inline(always)]
    fn store(self, out: &mut [u8; MAX_ROWS]) {
        out[..32].copy_from_slice(&self.0);
    }

    #[inline(always)]
    fn update(mut v: Self, x: Self, key: i8, keep: u8) -> Self {
        for (v, &x) in v.0.iter_mut().zip(&x.0) {
            if x as i8 <= key {
                *v &= keep;
            }
        }
        v
    }

    #[inline(always)]
    fn and(a: Self, b: Self) -> Self {
        Plain(core::array::from_fn(|j| a.0[j] & b.0[j]))
    }

    #[inline(always)]
    fn or(a: Self, b: Self) -> Self {
        Plain(core::array::from_fn(|j| a.0[j] | b.0[j]))
    }

    #[inline(always)]
    fn is_zero(a: Self) -> Self {
        Plain(a.0.map(|b| if b == 0 { 0xFF } else { 0 }))
    }

    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        Plain(core::array::from_fn(|j| {
            if m.0[j] != 0 {
                a.0[j]
            } else {
                b.0[j]
            }
        }))
    }

    #[inline(always)]
    fn high_nibble(a: Self) -> Self {
        Plain(a.0.map(|b| b >> 4))
    }

    #[inline(always)]
    fn lookup(table: &[u8; 16], i: Self) -> Self {
        Plain(i.0.map(|i| table[usize::from(i & 15)]))
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub(crate) use x86::{Avx2, Avx512};

/// Only used inside functions compiled with `#[target_feature(enable = ...)]` after a
/// run-time check of the CPU (`predict.rs`); their methods are inlined there, so the
/// intrinsics run only on CPUs that have them.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod x86 {
    // SAFETY (every block below): the instruction sets are checked at run time before any
    // of this runs (see the module comment); memory is read only through `load`, whose
    // caller guarantees the bytes, and written only to `out`, 64 bytes.
    use super::{Block, Search, FANOUT, MAX_ROWS};
    use core::arch::x86_64::*;

    impl Search for Avx2 {
        #[inline(always)]
        fn count_below(keys: &[f64; FANOUT], x: f64) -> usize {
            unsafe {
                let x = _mm256_set1_pd(x);
                let p = keys.as_ptr();
                let mut below = 0;
                for q in 0..4 {
                    let lt = _mm256_cmp_pd::<_CMP_LT_OQ>(_mm256_loadu_pd(p.add(4 * q)), x);
                    below |= _mm256_movemask_pd(lt) << (4 * q);
                }
                below.count_ones() as usize
            }
        }
    }

    impl Search for Avx512 {
        #[inline(always)]
        fn count_below(keys: &[f64; FANOUT], x: f64) -> usize {
            unsafe {
                let x = _mm512_set1_pd(x);
                let p = keys.as_ptr();
                let lo = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(_mm512_loadu_pd(p), x);
                let hi = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(_mm512_loadu_pd(p.add(8)), x);
                (u32::from(lo) | u32::from(hi) << 8).count_ones() as usize
            }
        }
    }

    /// AVX2: 64 rows in two 256-bit registers.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2([__m256i; 2]);

    impl Avx2 {
        #[inline(always)]
        fn map2(a: Self, b: Self, f: impl Fn(__m256i, __m256i) -> __m256i) -> Self {
            Avx2([f(a.0[0], b.0[0]), f(a.0[1], b.0[1])])
        }
    }

    impl Block for Avx2 {
        const ROWS: usize = 64;

        #[inline(always)]
        fn splat(b: u8) -> Self {
            unsafe { Avx2([_mm256_set1_epi8(b as i8); 2]) }
        }

        #[inline(always)]
        unsafe fn load(p: *const u8) -> Self {
            unsafe {
                Avx2([
                    _mm256_loadu_si256(p.cast()),
                    _mm256_loadu_si256(p.add(32).cast()),
                ])
            }
        }

        #[inline(always)]
        fn store(self, out: &mut [u8; MAX_ROWS]) {
            unsafe {
                _mm256_storeu_si256(out.as_mut_ptr().cast(), self.0[0]);
                _mm256_storeu_si256(out.as_mut_ptr().add(32).cast(), self.0[1]);
            }
        }

        #[inline(always)]
        fn update(v: Self, x: Self, key: i8, keep: u8) -> Self {
            unsafe {
                let key = _mm256_set1_epi8(key);
                let keep = _mm256_set1_epi8(keep as i8);
                // v & (gt | keep)
                Self::map2(v, x, |v, x| {
                    _mm256_and_si256(v, _mm256_or_si256(_mm256_cmpgt_epi8(x, key), keep))
                })
            }
        }

        #[inline(always)]
        fn and(a: Self, b: Self) -> Self {
            Self::map2(a, b, |a, b| unsafe { _mm256_and_si256(a, b) })
        }

        #[inline(always)]
        fn or(a: Self, b: Self) -> Self {
            Self::map2(a, b, |a, b| unsafe { _mm256_or_si256(a, b) })
        }

        #[inline(always)]
        fn is_zero(a: Self) -> Self {
            Self::map2(a, a, |a, _| unsafe {
                _mm256_cmpeq_epi8(a, _mm256_setzero_si256())
            })
        }

        #[inline(always)]
        fn select(m: Self, a: Self, b: Self) -> Self {
            unsafe {
                Avx2([
                    _mm256_blendv_epi8(b.0[0], a.0[0], m.0[0]),
                    _mm256_blendv_epi8(b.0[1], a.0[1], m.0[1]),
                ])
            }
        }

        #[inline(always)]
        fn high_nibble(a: Self) -> Self {
            Self::map2(a, a, |a, _| unsafe {
                _mm256_and_si256(_mm256_srli_epi16::<4>(a), _mm256_set1_epi8(0x0F))
            })
        }

        #[inline(always)]
        fn lookup(table: &[u8; 16], i: Self) -> Self {
            unsafe {
                let t = _mm256_broadcastsi128_si256(_mm_loadu_si128(table.as_ptr().cast()));
                Self::map2(i, i, |i, _| _mm256_shuffle_epi8(t, i))
            }
        }
    }

    /// AVX-512BW: 128 rows in two 512-bit registers; compares write mask registers.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512([__m512i; 2]);

    impl Avx512 {
        #[inline(always)]
        fn map2(a: Self, b: Self, f: impl Fn(__m512i, __m512i) -> __m512i) -> Self {
            Avx512([f(a.0[0], b.0[0]), f(a.0[1], b.0[1])])
        }
    }

    impl Block for Avx512 {
        const ROWS: usize = 128;

        #[inline(always)]
        fn splat(b: u8) -> Self {
            unsafe { Avx512([_mm512_set1_epi8(b as i8); 2]) }
        }

        #[inline(always)]
        unsafe fn load(p: *const u8) -> Self {
            unsafe {
                Avx512([
                    _mm512_loadu_si512(p.cast()),
                    _mm512_loadu_si512(p.add(64).cast()),
                ])
            }
        }

        #[inline(always)]
        fn store(self, out: &mut [u8; MAX_ROWS]) {
            unsafe {
                _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0[0]);
                _mm512_storeu_si512(out.as_mut_ptr().add(64).cast(), self.0[1]);
            }
        }

        #[inline(always)]
        fn update(v: Self, x: Self, key: i8, keep: u8) -> Self {
            unsafe {
                let key = _mm512_set1_epi8(key);
                let keep = _mm512_set1_epi8(keep as i8);
                Self::map2(v, x, |v, x| {
                    let gt = _mm512_movm_epi8(_mm512_cmpgt_epi8_mask(x, key));
                    // v & (gt | keep): one instruction on `v`'s dependency chain.
                    _mm512_ternarylogic_epi32::<0b1110_0000>(v, gt, keep)
                })
            }
        }

        #[inline(always)]
        fn and(a: Self, b: Self) -> Self {
            Self::map2(a, b, |a, b| unsafe { _mm512_and_si512(a, b) })
        }

        #[inline(always)]
        fn or(a: Self, b: Self) -> Self {
            Self::map2(a, b, |a, b| unsafe { _mm512_or_si512(a, b) })
        }

        #[inline(always)]
        fn is_zero(a: Self) -> Self {
            Self::map2(a, a, |a, _| unsafe {
                _mm512_movm_epi8(_mm512_testn_epi8_mask(a, a))
            })
        }

        #[inline(always)]
        fn select(m: Self, a: Self, b: Self) -> Self {
            unsafe {
                Avx512([
                    _mm512_mask_blend_epi8(_mm512_movepi8_mask(m.0[0]), b.0[0], a.0[0]),
                    _mm512_mask_blend_epi8(_mm512_movepi8_mask(m.0[1]), b.0[1], a.0[1]),
                ])
            }
        }

        #[inline(always)]
        fn high_nibble(a: Self) -> Self {
            Self::map2(a, a, |a, _| unsafe {
                _mm512_and_si512(_mm512_srli_epi16::<4>(a), _mm512_set1_epi8(0x0F))
            })
        }

        #[inline(always)]
        fn lookup(table: &[u8; 16], i: Self) -> Self {
            unsafe {
                let t = _mm512_broadcast_i32x4(_mm_loadu_si128(table.as_ptr().cast()));
                Self::map2(i, i, |i, _| _mm512_shuffle_epi8(t, i))
            }
        }

        #[inline(always)]
        unsafe fn add_leaves(at: &[[u8; MAX_ROWS]], values: &[&[f64]], acc: &mut [f64; MAX_ROWS]) {
            for (at, values) in at.iter().zip(values) {
                // SAFETY: the caller's guarantees, tree by tree; `at` is 128 bytes.
                unsafe { Self::add_tree(Self::load(at.as_ptr()), values, acc) };
            }
        }
    }

    impl Avx512 {
        #[inline(always)]
        unsafe fn add_tree(at: Self, values: &[f64], acc: &mut [f64; MAX_ROWS]) {
            // Leaf values are looked up 16 at a time with two-table permutes (bits 0–3
            // of the position), the 16-leaf table chosen by bits 4–5; positions index
            // `values`, padded to a multiple of 16.
            unsafe {
                let n_tables = values.len() / 16;
                let p = values.as_ptr();
                let at: [__m128i; 8] = core::mem::transmute(at.0);
                for (q, at) in at.into_iter().enumerate() {
                    for (h, at) in [at, _mm_srli_si128::<8>(at)].into_iter().enumerate() {
                        let i = _mm512_cvtepu8_epi64(at);
                        let mut v = _mm512_permutex2var_pd(
                            _mm512_loadu_pd(p),
                            i,
                            _mm512_loadu_pd(p.add(8)),
                        );
                        for t in 1..n_tables {
                            let hit = _mm512_cmpeq_epi64_mask(
                                _mm512_srli_epi64::<4>(i),
                                _mm512_set1_epi64(t as i64),
                            );
                            let w = _mm512_permutex2var_pd(
                                _mm512_loadu_pd(p.add(16 * t)),
                                i,
                                _mm512_loadu_pd(p.add(16 * t + 8)),
                            );
                            v = _mm512_mask_mov_pd(v, hit, w);
                        }
                        let a = acc.as_mut_ptr().add(16 * q + 8 * h);
                        _mm512_storeu_pd(a, _mm512_add_pd(_mm512_loadu_pd(a), v));
                    }
                }
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use wasm::Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use super::{Block, Search, FANOUT, MAX_ROWS};
    use core::arch::wasm32::*;

    impl Search for Simd128 {
        #[inline(always)]
        fn count_below(keys: &[f64; FANOUT], x: f64) -> usize {
            // Each compare gives −1 per key below `x`; the sum is minus the count.
            let x = f64x2_splat(x);
            let p = keys.as_ptr().cast::<v128>();
            // SAFETY: `keys` is 16 f64, eight v128 (no alignment needed).
            let m: [v128; FANOUT / 2] =
                core::array::from_fn(|q| f64x2_lt(unsafe { v128_load(p.add(q)) }, x));
            // Summed as a tree, not a chain: the adds do not wait on each other.
            let s = i64x2_add(
                i64x2_add(i64x2_add(m[0], m[1]), i64x2_add(m[2], m[3])),
                i64x2_add(i64x2_add(m[4], m[5]), i64x2_add(m[6], m[7])),
            );
            (-(i64x2_extract_lane::<0>(s) + i64x2_extract_lane::<1>(s))) as usize
        }
    }

    /// simd128: 64 rows in four 128-bit registers (the per-op splats are shared).
    #[derive(Clone, Copy)]
    pub(crate) struct Simd128([v128; 4]);

    impl Block for Simd128 {
        const ROWS: usize = 64;

        #[inline(always)]
        fn splat(b: u8) -> Self {
            Simd128([u8x16_splat(b); 4])
        }

        #[inline(always)]
        unsafe fn load(p: *const u8) -> Self {
            // SAFETY: the caller guarantees 64 readable bytes at `p`; v128 loads have no
            // alignment requirement.
            unsafe {
                let p = p.cast::<v128>();
                Simd128([
                    v128_load(p),
                    v128_load(p.add(1)),
                    v128_load(p.add(2)),
                    v128_load(p.add(3)),
                ])
            }
        }

        #[inline(always)]
        fn store(self, out: &mut [u8; MAX_ROWS]) {
            let p = out.as_mut_ptr().cast::<v128>();
            // SAFETY: `out` is 64 bytes, four unaligned v128 stores.
            unsafe {
                for (k, v) in self.0.iter().enumerate() {
                    v128_store(p.add(k), *v);
                }
            }
        }

        #[inline(always)]
        fn update(v: Self, x: Self, key: i8, keep: u8) -> Self {
            let key = i8x16_splat(key);
            let keep = u8x16_splat(keep);
            // v & (gt | keep): a compare, an or and an and, each one instruction in the
            // engines (a test stated the other way round, `x > key`, becomes
            // `i8x16.le_s` after LLVM's rewriting, which engines emulate with two).
            Simd128(core::array::from_fn(|k| {
                v128_and(v.0[k], v128_or(i8x16_gt(x.0[k], key), keep))
            }))
        }

        #[inline(always)]
        fn and(a: Self, b: Self) -> Self {
            Simd128(core::array::from_fn(|k| v128_and(a.0[k], b.0[k])))
        }

        #[inline(always)]
        fn or(a: Self, b: Self) -> Self {
            Simd128(core::array::from_fn(|k| v128_or(a.0[k], b.0[k])))
        }

        #[inline(always)]
        fn is_zero(a: Self) -> Self {
            Simd128(a.0.map(|v| i8x16_eq(v, u8x16_splat(0))))
        }

        #[inline(always)]
        fn select(m: Self, a: Self, b: Self) -> Self {
            Simd128(core::array::from_fn(|k| {
                v128_bitselect(a.0[k], b.0[k], m.0[k])
            }))
        }

        #[inline(always)]
        fn high_nibble(a: Self) -> Self {
            Simd128(a.0.map(|v| u8x16_shr(v, 4)))
        }

        #[inline(always)]
        fn lookup(table: &[u8; 16], i: Self) -> Self {
            // SAFETY: `table` is 16 bytes.
            let t = unsafe { v128_load(table.as_ptr().cast()) };
            Simd128(i.0.map(|i| i8x16_swizzle(t, i)))
        }

        #[inline(always)]
        unsafe fn add_leaves(at: &[[u8; MAX_ROWS]], values: &[&[f64]], acc: &mut [f64; MAX_ROWS]) {
            // Sixteen rows at a time, their sums in eight registers through every tree;
            // two rows per f64x2 add.
            // SAFETY: the caller guarantees every position is below its tree's number of
            // values; `acc` is 64 f64, 32 unaligned v128.
            unsafe {
                for r in (0..Self::ROWS).step_by(16) {
                    let a = acc.as_mut_ptr().add(r).cast::<v128>();
                    let mut sums: [v128; 8] = core::array::from_fn(|k| v128_load(a.add(k)));
                    for (at, values) in at.iter().zip(values) {
                        let v = values.as_ptr().cast::<u64>();
                        for (k, sum) in sums.iter_mut().enumerate() {
                            let j = r + 2 * k;
                            let lo = v128_load64_zero(v.add(usize::from(at[j])));
                            let pair = v128_load64_lane::<1>(lo, v.add(usize::from(at[j + 1])));
                            *sum = f64x2_add(*sum, pair);
                        }
                    }
                    for (k, sum) in sums.iter().enumerate() {
                        v128_store(a.add(k), *sum);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit_of<B: Block>(slices: &[[u8; MAX_ROWS]]) -> [u8; MAX_ROWS] {
        let blocks: alloc::vec::Vec<B> = slices
            .iter()
            .map(|s| unsafe { B::load(s.as_ptr()) })
            .collect();
        let mut out = [0u8; MAX_ROWS];
        B::exit(&blocks).store(&mut out);
        out
    }

    // Row j's bits are spread over the slices, so the loop indexes by row.
    #[allow(clippy::needless_range_loop)]
    fn check<B: Block>() {
        // Row j: one bit set at position j (rows 0..B::ROWS, up to 63), and a second,
        // higher one that must not win.
        let mut slices = [[0u8; MAX_ROWS]; MAX_SLICES];
        for j in 0..B::ROWS {
            let p = j % 64;
            slices[p / 8][j] |= 1 << (p % 8);
            let k = (p + 5).min(63);
            slices[k / 8][j] |= 1 << (k % 8);
        }
        let out = exit_of::<B>(&slices);
        for (j, &at) in out.iter().enumerate().take(B::ROWS) {
            assert_eq!(at as usize, j % 64, "row {j}");
        }
        // update: rows whose byte is not above the key keep only `keep`.
        let x: [u8; MAX_ROWS] = core::array::from_fn(|j| (j as u8).wrapping_mul(37));
        let v = B::update(B::splat(0xFF), unsafe { B::load(x.as_ptr()) }, -3, !0b0110);
        let mut got = [0u8; MAX_ROWS];
        v.store(&mut got);
        for j in 0..B::ROWS {
            let want = if (x[j] as i8) <= -3 { 0xF9 } else { 0xFF };
            assert_eq!(got[j], want, "row {j}");
        }
    }

    #[test]
    fn every_block_finds_the_lowest_bit_and_clears_by_signed_compare() {
        check::<Plain>();
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        {
            // SAFETY: each runs only on a CPU that has its instruction set.
            if std::is_x86_feature_detected!("avx2") {
                unsafe { check_avx2() };
            }
            if std::is_x86_feature_detected!("avx512bw") {
                unsafe { check_avx512() };
            }
        }
    }

    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx2")]
    fn check_avx2() {
        check::<Avx2>();
    }

    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn check_avx512() {
        check::<Avx512>();
    }
}
