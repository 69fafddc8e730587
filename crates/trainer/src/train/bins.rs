//! Feature binning: each feature's values are cut into at most `max_bin` bins at
//! quantile-like boundaries, as LightGBM does (a value's own bin while there are few
//! distinct values, else greedy bins of about equal count, each holding at least
//! `min_data_in_bin` rows); missing values get a bin of their own, the last one.

/// The bins of one feature.
#[derive(Clone, Debug)]
pub struct BinMapper {
    /// Upper bound of each value bin: bin `b` holds `x <= upper[b]` (and `> upper[b-1]`);
    /// the last bound is `+inf`.
    pub upper: Vec<f64>,
    /// Whether the training data had missing values (then bin `upper.len()` holds them).
    pub has_nan: bool,
}

impl BinMapper {
    /// Value bins (without the missing bin).
    pub fn value_bins(&self) -> usize {
        self.upper.len()
    }

    /// The missing-value bin.
    pub fn nan_bin(&self) -> usize {
        self.upper.len()
    }

    /// Bins including the missing bin.
    pub fn total_bins(&self) -> usize {
        self.upper.len() + 1
    }

    /// The bin of `x`.
    pub fn bin(&self, x: f64) -> u8 {
        if x.is_nan() {
            return self.nan_bin() as u8;
        }
        self.upper
            .partition_point(|&u| u < x)
            .min(self.upper.len() - 1) as u8
    }

    /// Finds the bins of one feature from its values.
    pub fn fit(values: &[f64], max_bin: usize, min_data_in_bin: usize) -> BinMapper {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        let has_nan = v.len() < values.len();
        v.sort_by(f64::total_cmp);
        // Distinct values and their counts.
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for x in v {
            match distinct.last_mut() {
                Some((d, c)) if *d == x => *c += 1,
                _ => distinct.push((x, 1)),
            }
        }
        let max_bin = max_bin.clamp(2, 255); // bin 255 is the missing bin at most
        let mut upper = Vec::new();
        if distinct.len() <= 1 {
            upper.push(f64::INFINITY);
            return BinMapper { upper, has_nan };
        }
        let total: usize = distinct.iter().map(|d| d.1).sum();
        let mid = |i: usize| {
            let (a, b) = (distinct[i].0, distinct[i + 1].0);
            let m = a + (b - a) / 2.0;
            // The bound must separate a from b: a <= m < b.
            if m < b {
                m
            } else {
                a
            }
        };
        if distinct.len() <= max_bin {
            let mut count = 0;
            for (i, d) in distinct[..distinct.len() - 1].iter().enumerate() {
                count += d.1;
                if count >= min_data_in_bin {
                    upper.push(mid(i));
                    count = 0;
                }
            }
        } else {
            // Greedy: cut when a bin reaches the mean size of the bins still to fill.
            let mut rest = total;
            let mut bins_left = max_bin;
            let mut count = 0;
            for (i, pair) in distinct.windows(2).enumerate() {
                count += pair[0].1;
                let target = (rest as f64 / bins_left as f64).max(min_data_in_bin as f64);
                let next = pair[1].1 as f64;
                // Cut here if the bin is full, or if adding the next value would overshoot
                // the target by more than this bin falls short of it.
                let full = count as f64 >= target
                    || (count >= min_data_in_bin
                        && count as f64 + next - target > target - count as f64);
                if full && bins_left > 1 {
                    upper.push(mid(i));
                    rest -= count;
                    bins_left -= 1;
                    count = 0;
                }
            }
        }
        upper.push(f64::INFINITY);
        BinMapper { upper, has_nan }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_get_their_own_bins() {
        let x: Vec<f64> = (0..100).map(|i| (i % 4) as f64).chain([f64::NAN]).collect();
        let m = BinMapper::fit(&x, 255, 3);
        assert_eq!(m.upper, vec![0.5, 1.5, 2.5, f64::INFINITY]);
        assert!(m.has_nan);
        assert_eq!(
            (
                m.bin(0.0),
                m.bin(0.5),
                m.bin(0.6),
                m.bin(99.0),
                m.bin(f64::NAN)
            ),
            (0, 0, 1, 3, 4)
        );
    }

    #[test]
    fn many_values_get_balanced_bins() {
        let x: Vec<f64> = (0..10_000).map(|i| (i as f64).sqrt()).collect();
        let m = BinMapper::fit(&x, 255, 3);
        assert!(
            m.value_bins() <= 255 && m.value_bins() > 200,
            "{}",
            m.value_bins()
        );
        let mut counts = vec![0; m.total_bins()];
        for &v in &x {
            counts[m.bin(v) as usize] += 1;
        }
        let max = *counts.iter().max().unwrap();
        assert!(max < 100, "largest bin {max}");
        // Every bound separates: the bin of each value is consistent with the bounds.
        for &v in &x {
            let b = m.bin(v) as usize;
            assert!(v <= m.upper[b] && (b == 0 || v > m.upper[b - 1]));
        }
    }
}
