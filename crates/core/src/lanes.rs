//! The inner operation of the bitvector engine on 8 rows at once, with explicit SIMD
//! where the target has it (SSE2 on x86-64, `simd128` on wasm32) and plain code elsewhere.
//!
//! For a node with threshold bin `k` and leaf mask `m`, row `j` keeps its bits when its bin
//! `b[j] <= k` and is AND-ed with `m` otherwise. Bins and keys are below 2^16, so
//! `(b − (k + 1)) >> 31` (arithmetic) is all ones exactly when `b <= k`: the update is
//! `v &= m | ((b − k − 1) >> 31)`, a subtract, a shift, an or and an and per vector, with
//! no compare. The compiler alone does not keep the bins in vector registers across nodes
//! (it rebuilds them lane by lane), hence the intrinsics.

/// Rows per group.
pub(crate) const LANES: usize = 8;

/// The two operations, for one instruction set.
pub(crate) trait Lanes {
    /// One column's bins for the 8 rows, in vector form.
    type Bins: Copy;
    /// Loads the bins of 8 rows.
    fn prepare(b: &[i32; 8]) -> Self::Bins;
    /// `v[j] &= m` for every row `j` whose bin is above `k1 − 1`.
    fn apply(v: &mut [u32; 8], b: Self::Bins, k1: i32, m: u32);

    /// `v[j] &= m` for every row (a node false for all of them).
    #[inline(always)]
    fn apply_all(v: &mut [u32; 8], m: u32) {
        for x in v.iter_mut() {
            *x &= m;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    // SAFETY (every block below): SSE2 is part of the x86-64 baseline, so these
    // intrinsics are always available; memory is touched only inside `v` (32 bytes,
    // unaligned 16-byte halves).
    #![allow(unsafe_code)]
    use core::arch::x86_64::*;

    /// SSE2: two 128-bit vectors.
    pub(crate) struct Native;

    impl super::Lanes for Native {
        type Bins = (__m128i, __m128i);

        #[inline(always)]
        fn prepare(b: &[i32; 8]) -> Self::Bins {
            unsafe {
                (
                    _mm_set_epi32(b[3], b[2], b[1], b[0]),
                    _mm_set_epi32(b[7], b[6], b[5], b[4]),
                )
            }
        }

        #[inline(always)]
        fn apply(v: &mut [u32; 8], b: Self::Bins, k1: i32, m: u32) {
            unsafe {
                let k1 = _mm_set1_epi32(k1);
                let m = _mm_set1_epi32(m as i32);
                let keep0 = _mm_or_si128(m, _mm_srai_epi32::<31>(_mm_sub_epi32(b.0, k1)));
                let keep1 = _mm_or_si128(m, _mm_srai_epi32::<31>(_mm_sub_epi32(b.1, k1)));
                let p = v.as_mut_ptr() as *mut __m128i;
                _mm_storeu_si128(p, _mm_and_si128(_mm_loadu_si128(p), keep0));
                _mm_storeu_si128(p.add(1), _mm_and_si128(_mm_loadu_si128(p.add(1)), keep1));
            }
        }
    }

    /// AVX2: one 256-bit vector. Only used inside functions compiled with
    /// `#[target_feature(enable = "avx2")]` after a runtime check; its methods are inlined
    /// there, so the AVX2 intrinsics run only on CPUs that have them.
    #[cfg(feature = "std")]
    pub(crate) struct Avx2;

    #[cfg(feature = "std")]
    impl super::Lanes for Avx2 {
        type Bins = __m256i;

        #[inline(always)]
        fn prepare(b: &[i32; 8]) -> Self::Bins {
            unsafe { _mm256_loadu_si256(b.as_ptr() as *const __m256i) }
        }

        #[inline(always)]
        fn apply(v: &mut [u32; 8], b: Self::Bins, k1: i32, m: u32) {
            unsafe {
                let keep = _mm256_or_si256(
                    _mm256_set1_epi32(m as i32),
                    _mm256_srai_epi32::<31>(_mm256_sub_epi32(b, _mm256_set1_epi32(k1))),
                );
                let p = v.as_mut_ptr() as *mut __m256i;
                _mm256_storeu_si256(p, _mm256_and_si256(_mm256_loadu_si256(p), keep));
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// simd128: two 128-bit vectors.
    pub(crate) struct Native;

    impl super::Lanes for Native {
        type Bins = (v128, v128);

        #[inline(always)]
        fn prepare(b: &[i32; 8]) -> Self::Bins {
            (i32x4(b[0], b[1], b[2], b[3]), i32x4(b[4], b[5], b[6], b[7]))
        }

        #[inline(always)]
        fn apply(v: &mut [u32; 8], b: Self::Bins, k1: i32, m: u32) {
            let k1 = i32x4_splat(k1);
            let m = u32x4_splat(m);
            let keep0 = v128_or(m, i32x4_shr(i32x4_sub(b.0, k1), 31));
            let keep1 = v128_or(m, i32x4_shr(i32x4_sub(b.1, k1), 31));
            let p = v.as_mut_ptr() as *mut v128;
            // SAFETY: `v` is 32 bytes; v128 loads and stores have no alignment requirement
            // and its two 16-byte halves stay inside it.
            #[allow(unsafe_code)]
            unsafe {
                v128_store(p, v128_and(v128_load(p), keep0));
                v128_store(p.add(1), v128_and(v128_load(p.add(1)), keep1));
            }
        }
    }
}

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
mod imp {
    /// Plain code.
    pub(crate) struct Native;

    impl super::Lanes for Native {
        type Bins = [i32; 8];

        #[inline(always)]
        fn prepare(b: &[i32; 8]) -> Self::Bins {
            *b
        }

        #[inline(always)]
        fn apply(v: &mut [u32; 8], b: Self::Bins, k1: i32, m: u32) {
            for j in 0..8 {
                v[j] &= m | ((b[j] - k1) >> 31) as u32;
            }
        }
    }
}

#[cfg(all(target_arch = "x86_64", feature = "std"))]
pub(crate) use imp::Avx2;
pub(crate) use imp::Native;

#[cfg(test)]
mod tests {
    use super::*;

    fn check<L: Lanes>() {
        let b = [0, 5, 6, 7, 65535, 3, 6, 1];
        let mut v = [u32::MAX; 8];
        L::apply(&mut v, L::prepare(&b), 6 + 1, 0b1010);
        assert_eq!(
            v,
            [
                u32::MAX,
                u32::MAX,
                u32::MAX,
                0b1010,
                0b1010,
                u32::MAX,
                u32::MAX,
                u32::MAX
            ]
        );
    }

    #[test]
    fn keeps_rows_at_or_below_the_key_and_masks_the_others() {
        check::<Native>();
        #[cfg(all(target_arch = "x86_64", feature = "std"))]
        if std::is_x86_feature_detected!("avx2") {
            check::<Avx2>();
        }
    }
}
