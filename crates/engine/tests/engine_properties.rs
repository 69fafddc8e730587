//! Every evaluation path equals the canonical reference walk, bit for bit, on random
//! ensembles and random rows (with missing values, ties on thresholds and infinities).

use aqcast_engine::predict::{Isa, Strategy};
use aqcast_engine::{shap, Ensemble, Link, Matrix, Precision, Predictor};
use proptest::prelude::*;

/// A small deterministic generator, so one `u64` seed describes a whole ensemble.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Values drawn from a small grid, so rows often hit thresholds exactly.
    fn value(&mut self) -> f64 {
        match self.below(20) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            _ => (self.below(41) as f64 - 20.0) / 4.0,
        }
    }
}

/// Appends a random tree with `leaves` leaves; returns its root reference (tree-local)
/// and its cover (a node's cover is the sum of its children's, as in a trained model).
fn grow(e: &mut Ensemble, rng: &mut Rng, leaves: usize, n0: usize, l0: usize) -> (i32, f64) {
    if leaves == 1 {
        let cover = 1.0 + rng.below(50) as f64;
        // Not dyadic, so sums carry rounding and any difference in operations shows.
        e.leaf_value.push((rng.below(2001) as f64 - 1000.0) / 37.0);
        e.leaf_cover.push(cover);
        return (!((e.leaf_value.len() - 1 - l0) as i32), cover);
    }
    let me = e.feature.len();
    e.feature.push(rng.below(e.n_features as u64) as u32);
    let t = match rng.below(12) {
        0 => f64::INFINITY,
        1 => f64::NEG_INFINITY,
        _ => (rng.below(41) as f64 - 20.0) / 4.0 + 0.125 * (rng.below(2) as f64),
    };
    e.threshold.push(t);
    e.default_left.push(rng.below(2) == 0);
    e.left.push(0);
    e.right.push(0);
    e.node_cover.push(0.0);
    let left_leaves = 1 + rng.below(leaves as u64 - 1) as usize;
    let (l, lc) = grow(e, rng, left_leaves, n0, l0);
    let (r, rc) = grow(e, rng, leaves - left_leaves, n0, l0);
    e.left[me] = l;
    e.right[me] = r;
    e.node_cover[me] = lc + rc;
    ((me - n0) as i32, lc + rc)
}

fn ensemble(seed: u64, trees: usize, max_leaves: u64, f32_precision: bool) -> Ensemble {
    let mut rng = Rng(seed | 1);
    let precision = if f32_precision {
        Precision::F32
    } else {
        Precision::F64
    };
    let n_features = 1 + rng.below(6) as u32;
    let mut e = Ensemble::empty(n_features, precision, Link::Identity, 0.25, false);
    for _ in 0..trees {
        let leaves = 1 + rng.below(max_leaves) as usize;
        let (n0, l0) = (e.feature.len(), e.leaf_value.len());
        grow(&mut e, &mut rng, leaves, n0, l0);
        e.node_offsets.push(e.feature.len() as u32);
        e.leaf_offsets.push(e.leaf_value.len() as u32);
    }
    e
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn all_paths_equal_the_reference(
        seed in any::<u64>(),
        trees in 1usize..12,
        max_leaves in prop_oneof![Just(4u64), Just(32), Just(40), Just(64), Just(70)],
        f32_precision in any::<bool>(),
        rows in 1usize..150,
    ) {
        let e = ensemble(seed, trees, max_leaves, f32_precision);
        e.validate().unwrap();
        let p = Predictor::new(&e).unwrap();
        let nf = e.n_features as usize;
        let mut rng = Rng(seed.rotate_left(17) | 1);
        let x: Vec<f64> = (0..rows * nf).map(|_| rng.value()).collect();
        let want: Vec<f64> = x.chunks_exact(nf).map(|r| e.predict_reference(r)).collect();
        prop_assert_eq!(&p.predict(Matrix::RowMajorF64(&x)).unwrap(), &want);
        for s in [
            Strategy::Walk,
            Strategy::Sliced(Isa::Widest),
            Strategy::Sliced(Isa::Avx2),
            Strategy::Sliced(Isa::Plain),
        ] {
            let mut out = vec![0.0; rows];
            p.predict_with(Matrix::RowMajorF64(&x), &mut out, s).unwrap();
            prop_assert_eq!(&out, &want, "{:?}", s);
        }
        for (r, row) in x.chunks_exact(nf).enumerate() {
            prop_assert_eq!(p.predict_row(row).unwrap(), want[r]);
            if e.link == Link::Identity {
                // Contributions are in raw space: with the identity link, the prediction.
                let phi = shap::explain(&e, row).unwrap();
                let sum: f64 = phi.iter().sum();
                prop_assert!((sum - want[r]).abs() <= 1e-9 * want[r].abs().max(1.0));
            }
        }
    }
}

/// Random forests: every path averages exactly as the reference does (a division by the
/// number of trees, as LightGBM does), on many ensembles of 3 to 11 trees.
#[test]
fn averaged_ensembles_agree_bit_for_bit() {
    for seed in 1..300u64 {
        let mut e = ensemble(seed, 3 + (seed % 9) as usize, 32, false);
        e.average = true;
        e.link = Link::Identity;
        let p = Predictor::new(&e).unwrap();
        let nf = e.n_features as usize;
        let mut rng = Rng(seed.rotate_left(29) | 1);
        let x: Vec<f64> = (0..16 * nf).map(|_| rng.value()).collect();
        let want: Vec<f64> = x.chunks_exact(nf).map(|r| e.predict_reference(r)).collect();
        assert_eq!(
            p.predict(Matrix::RowMajorF64(&x)).unwrap(),
            want,
            "seed {seed}"
        );
    }
}
