//! Cross-validation folds: expanding-window time-series splits (with a gap, so no
//! validation target leaks into training through lags or horizons) and K-fold.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How rows are split into folds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Rows in time order; fold i trains on the first i + 1 blocks (less `gap` rows at
    /// their end) and validates on block i + 2.
    TimeSeries,
    /// Shuffled (seeded) into k blocks; each block validates once.
    KFold,
}

/// One fold: (training rows, validation rows), row indices in ascending order.
pub type Fold = (Vec<usize>, Vec<usize>);

/// The folds of `n` rows.
pub fn folds(
    n: usize,
    k: usize,
    scheme: Scheme,
    gap: usize,
    seed: u64,
) -> Result<Vec<Fold>, crate::Error> {
    if k < 2 {
        return Err(crate::Error::Setting(
            "cross-validation needs at least 2 folds".into(),
        ));
    }
    match scheme {
        Scheme::TimeSeries => {
            // k folds need k + 1 blocks.
            let block = n / (k + 1);
            if block == 0 || block <= gap {
                return Err(crate::Error::TooFewRows(format!(
                    "{n} rows are too few for {k} time-series folds with a gap of {gap}"
                )));
            }
            Ok((0..k)
                .map(|i| {
                    let valid_start = block * (i + 1);
                    let valid_end = if i + 1 == k { n } else { valid_start + block };
                    (
                        (0..valid_start - gap).collect(),
                        (valid_start..valid_end).collect(),
                    )
                })
                .collect())
        }
        Scheme::KFold => {
            if n < k {
                return Err(crate::Error::TooFewRows(format!(
                    "{n} rows are too few for {k} folds"
                )));
            }
            let mut idx: Vec<usize> = (0..n).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            for i in (1..n).rev() {
                idx.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            Ok((0..k)
                .map(|f| {
                    let (lo, hi) = (f * n / k, (f + 1) * n / k);
                    let mut valid: Vec<usize> = idx[lo..hi].to_vec();
                    let mut train: Vec<usize> =
                        idx[..lo].iter().chain(&idx[hi..]).copied().collect();
                    valid.sort_unstable();
                    train.sort_unstable();
                    (train, valid)
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_series_folds_never_look_ahead() {
        let f = folds(100, 4, Scheme::TimeSeries, 5, 0).unwrap();
        assert_eq!(f.len(), 4);
        for (train, valid) in &f {
            let last_train = *train.last().unwrap();
            assert!(last_train + 5 < valid[0], "gap kept");
        }
        assert_eq!(*f[3].1.last().unwrap(), 99);
        assert!(folds(10, 4, Scheme::TimeSeries, 5, 0).is_err());
    }

    #[test]
    fn k_fold_covers_every_row_once() {
        let f = folds(103, 5, Scheme::KFold, 0, 7).unwrap();
        let mut seen = vec![0; 103];
        for (train, valid) in &f {
            assert_eq!(train.len() + valid.len(), 103);
            valid.iter().for_each(|&r| seen[r] += 1);
        }
        assert!(seen.iter().all(|&c| c == 1));
        assert_eq!(f, folds(103, 5, Scheme::KFold, 0, 7).unwrap());
    }
}
