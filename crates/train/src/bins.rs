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

    /// Finds the bins of one feature from its values, exactly as LightGBM 4 does
    /// (`BinMapper::FindBin` for a numerical feature: zero in a bin of its own, the
    /// negative and positive values binned greedily apart, midpoints raised by one ulp,
    /// values within one ulp merged), so that the splits open to the booster are
    /// LightGBM's.
    pub fn fit(values: &[f64], max_bin: usize, min_data_in_bin: usize) -> BinMapper {
        let max_bin = max_bin.clamp(2, 255); // bin 255 is the missing bin at most
        let na = values.iter().filter(|x| x.is_nan()).count();
        let has_nan = na > 0;
        let mut v: Vec<f64> = values
            .iter()
            .copied()
            .filter(|x| !x.is_nan() && x.abs() > ZERO)
            .collect();
        let zeros = values.len() - na - v.len();
        v.sort_by(f64::total_cmp);
        // Distinct values and their counts, zero placed among them.
        let mut distinct: Vec<f64> = Vec::new();
        let mut counts: Vec<usize> = Vec::new();
        if v.is_empty() || (v[0] > 0.0 && zeros > 0) {
            distinct.push(0.0);
            counts.push(zeros);
        }
        if let Some(&first) = v.first() {
            distinct.push(first);
            counts.push(1);
        }
        for i in 1..v.len() {
            if !equal_ordered(v[i - 1], v[i]) {
                if v[i - 1] < 0.0 && v[i] > 0.0 {
                    distinct.push(0.0);
                    counts.push(zeros);
                }
                distinct.push(v[i]);
                counts.push(1);
            } else if let (Some(d), Some(c)) = (distinct.last_mut(), counts.last_mut()) {
                // Within one ulp: one value, the larger.
                *d = v[i];
                *c += 1;
            }
        }
        if v.last().is_some_and(|&x| x < 0.0) && zeros > 0 {
            distinct.push(0.0);
            counts.push(zeros);
        }
        let total = values.len() - na;
        let bins = if has_nan { max_bin - 1 } else { max_bin };
        let upper = with_zero_as_one_bin(&distinct, &counts, bins, total, min_data_in_bin);
        BinMapper { upper, has_nan }
    }
}

/// |x| at or below this is zero: LightGBM's `kZeroThreshold`, `1e-35f` (an f32 literal,
/// so 1.0000000180025095e-35 as a double, as its model files print it).
const ZERO: f64 = 1e-35_f32 as f64;

/// `b` is at most one ulp above `a` (LightGBM's `CheckDoubleEqualOrdered`).
fn equal_ordered(a: f64, b: f64) -> bool {
    b <= next_up(a)
}

/// The next double above `a` (C's `nextafter(a, INFINITY)`).
fn next_up(a: f64) -> f64 {
    if a.is_nan() || a == f64::INFINITY {
        return a;
    }
    if a == 0.0 {
        return f64::from_bits(1);
    }
    let bits = a.to_bits();
    f64::from_bits(if a > 0.0 { bits + 1 } else { bits - 1 })
}

/// LightGBM's `FindBinWithZeroAsOneBin`: the negative values get bins in proportion to
/// their share of the non-zero rows, zero one bin (bounded by ±`ZERO`), the positive
/// values what is left.
fn with_zero_as_one_bin(
    distinct: &[f64],
    counts: &[usize],
    max_bin: usize,
    total: usize,
    min_data_in_bin: usize,
) -> Vec<f64> {
    let (mut left_data, mut zero_data, mut right_data) = (0usize, 0usize, 0usize);
    for (&d, &c) in distinct.iter().zip(counts) {
        if d <= -ZERO {
            left_data += c;
        } else if d > ZERO {
            right_data += c;
        } else {
            zero_data += c;
        }
    }
    let left_cnt = distinct
        .iter()
        .position(|&d| d > -ZERO)
        .unwrap_or(distinct.len());
    let mut upper: Vec<f64> = Vec::new();
    if left_cnt > 0 {
        let nonzero = total.saturating_sub(zero_data).max(1);
        let left_max = ((left_data as f64 / nonzero as f64 * (max_bin - 1) as f64) as usize).max(1);
        upper = greedy(
            &distinct[..left_cnt],
            &counts[..left_cnt],
            left_max,
            left_data,
            min_data_in_bin,
        );
        if let Some(last) = upper.last_mut() {
            *last = -ZERO;
        }
    }
    let right_start = (left_cnt..distinct.len()).find(|&i| distinct[i] > ZERO);
    let right_max = (max_bin - 1).saturating_sub(upper.len());
    match right_start {
        Some(r) if right_max > 0 => {
            let right = greedy(
                &distinct[r..],
                &counts[r..],
                right_max,
                right_data,
                min_data_in_bin,
            );
            upper.push(ZERO);
            upper.extend(right);
        }
        _ => upper.push(f64::INFINITY),
    }
    upper
}

/// LightGBM's `GreedyFindBin`: each distinct value its own bin while there are few,
/// else bins of about equal count, values at least as frequent as a bin alone.
fn greedy(
    distinct: &[f64],
    counts: &[usize],
    max_bin: usize,
    total: usize,
    min_data_in_bin: usize,
) -> Vec<f64> {
    let n = distinct.len();
    let mut upper: Vec<f64> = Vec::new();
    let mid = |a: f64, b: f64| next_up((a + b) / 2.0);
    let push = |upper: &mut Vec<f64>, val: f64| {
        if upper.last().is_none_or(|&last| !equal_ordered(last, val)) {
            upper.push(val);
            true
        } else {
            false
        }
    };
    if n <= max_bin {
        let mut in_bin = 0usize;
        for i in 0..n.saturating_sub(1) {
            in_bin += counts[i];
            if in_bin >= min_data_in_bin && push(&mut upper, mid(distinct[i], distinct[i + 1])) {
                in_bin = 0;
            }
        }
        upper.push(f64::INFINITY);
        return upper;
    }
    let mut max_bin = max_bin;
    if let Some(most) = total.checked_div(min_data_in_bin) {
        max_bin = max_bin.min(most).max(1);
    }
    let mut mean_bin_size = total as f64 / max_bin as f64;
    let mut rest_bins = max_bin as i64;
    let mut rest_samples = total as i64;
    let big: Vec<bool> = counts.iter().map(|&c| c as f64 >= mean_bin_size).collect();
    for (&c, &b) in counts.iter().zip(&big) {
        if b {
            rest_bins -= 1;
            rest_samples -= c as i64;
        }
    }
    mean_bin_size = rest_samples as f64 / rest_bins as f64;
    let mut uppers = vec![f64::INFINITY; max_bin];
    let mut lowers = vec![f64::INFINITY; max_bin];
    let mut bin_cnt = 0usize;
    lowers[0] = distinct[0];
    let mut in_bin = 0usize;
    for i in 0..n - 1 {
        if !big[i] {
            rest_samples -= counts[i] as i64;
        }
        in_bin += counts[i];
        // f32 on purpose: LightGBM writes `mean_bin_size * 0.5f`.
        let half = f64::from((mean_bin_size as f32) * 0.5f32).max(1.0);
        if big[i] || in_bin as f64 >= mean_bin_size || (big[i + 1] && in_bin as f64 >= half) {
            uppers[bin_cnt] = distinct[i];
            bin_cnt += 1;
            lowers[bin_cnt] = distinct[i + 1];
            if bin_cnt >= max_bin - 1 {
                break;
            }
            in_bin = 0;
            if !big[i] {
                rest_bins -= 1;
                mean_bin_size = rest_samples as f64 / rest_bins as f64;
            }
        }
    }
    bin_cnt += 1;
    for i in 0..bin_cnt - 1 {
        push(&mut upper, mid(uppers[i], lowers[i + 1]));
    }
    upper.push(f64::INFINITY);
    upper
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_get_their_own_bins() {
        let x: Vec<f64> = (0..100).map(|i| (i % 4) as f64).chain([f64::NAN]).collect();
        let m = BinMapper::fit(&x, 255, 3);
        // Zero in a bin of its own (bounded by LightGBM's zero threshold), the others at
        // midpoints raised by one ulp, as LightGBM cuts them.
        assert_eq!(
            m.upper,
            vec![ZERO, next_up(1.5), next_up(2.5), f64::INFINITY]
        );
        assert!(m.has_nan);
        assert_eq!(
            (
                m.bin(0.0),
                m.bin(0.5),
                m.bin(0.6),
                m.bin(99.0),
                m.bin(f64::NAN)
            ),
            (0, 1, 1, 3, 4)
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

#[cfg(test)]
mod lightgbm_parity {
    use super::*;
    use std::io::Read;

    /// Every threshold of the LightGBM fixture model (trained on the canonical training
    /// rows, tests/fixtures/make_fixtures.py) is one of our bin bounds for its feature: the
    /// bins are LightGBM's, so the same splits are open to both.
    #[test]
    fn lightgbm_thresholds_are_our_bin_bounds() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
        let mut text = String::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(format!("{root}/data/reference_features.csv.gz")).unwrap(),
        )
        .read_to_string(&mut text)
        .unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let nf = 15;
        let h1 = header.iter().position(|h| *h == "target_h1").unwrap();
        let rows: Vec<Vec<f64>> = lines
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| c[c.len() - 1] == "train" && c[h1].parse::<f64>().is_ok_and(f64::is_finite))
            .map(|c| (1..=nf).map(|j| c[j].parse().unwrap_or(f64::NAN)).collect())
            .collect();
        let model = std::fs::read_to_string(format!("{root}/models/lightgbm_l2.txt")).unwrap();
        let mut used: Vec<Vec<f64>> = vec![Vec::new(); nf];
        let mut features = Vec::new();
        for l in model.lines() {
            if let Some(v) = l.strip_prefix("split_feature=") {
                features = v.split(' ').map(|x| x.parse::<usize>().unwrap()).collect();
            } else if let Some(v) = l.strip_prefix("threshold=") {
                for (&f, t) in features.iter().zip(v.split(' ')) {
                    used[f].push(t.parse::<f64>().unwrap());
                }
            }
        }
        let mut missing = Vec::new();
        for (f, ts) in used.iter().enumerate() {
            let col: Vec<f64> = rows.iter().map(|r| r[f]).collect();
            let m = BinMapper::fit(&col, 255, 3);
            for &t in ts {
                if !m.upper.contains(&t) {
                    missing.push((header[f + 1], t));
                }
            }
        }
        missing.sort_by(|a, b| a.0.cmp(b.0).then(a.1.total_cmp(&b.1)));
        missing.dedup();
        assert!(
            missing.is_empty(),
            "{} LightGBM thresholds are not our bin bounds, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(8)]
        );
    }
}
