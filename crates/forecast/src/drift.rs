//! Input drift: what a model was trained on, as reference histograms of its training rows
//! (one per feature: ten bins between the deciles, and missing values apart), carried in
//! the artifact's REFH section; and the population stability index (PSI) of the rows a
//! model is asked about against them. PSI above 0.1 is a shift worth a look, above 0.25 a
//! different population.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// Bins between quantiles (deciles).
pub const BINS: usize = 10;

/// The reference histograms of a model's training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Training rows counted.
    pub rows: u64,
    /// One histogram per feature, by name.
    pub features: Vec<Histogram>,
}

/// One feature's histogram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The feature.
    pub name: String,
    /// Upper edges of every bin but the last, ascending and distinct: a value `<= edges[i]`
    /// (and above the previous edge) is in bin `i`; above the last edge, bin
    /// `edges.len()`.
    pub edges: Vec<f64>,
    /// The share of training rows in each bin, then the share of missing values
    /// (`edges.len() + 2` numbers summing to 1).
    pub fractions: Vec<f64>,
}

impl Histogram {
    /// The histogram of `values` (NaN: missing).
    pub fn fit(name: &str, values: &[f64]) -> Histogram {
        let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        finite.sort_by(f64::total_cmp);
        let mut edges: Vec<f64> = Vec::new();
        if !finite.is_empty() {
            for k in 1..BINS {
                let i = (k * (finite.len() - 1)) / BINS;
                let e = finite[i];
                if edges.last().is_none_or(|&last| e > last) {
                    edges.push(e);
                }
            }
        }
        let mut h = Histogram {
            name: String::from(name),
            edges,
            fractions: Vec::new(),
        };
        let mut counts = alloc::vec![0u64; h.slots()];
        for &v in values {
            counts[h.bin(v)] += 1;
        }
        let n = values.len().max(1) as f64;
        h.fractions = counts.iter().map(|&c| c as f64 / n).collect();
        h
    }

    /// Bins plus the missing slot.
    pub fn slots(&self) -> usize {
        self.edges.len() + 2
    }

    /// The slot of a value: its bin, or the last slot when it is missing.
    pub fn bin(&self, v: f64) -> usize {
        if !v.is_finite() {
            return self.edges.len() + 1;
        }
        self.edges.partition_point(|&e| e < v)
    }

    /// The PSI of `counts` (one per slot) against this histogram; `None` when there are
    /// no counts or they do not fit.
    pub fn psi(&self, counts: &[u64]) -> Option<f64> {
        if counts.len() != self.fractions.len() {
            return None;
        }
        let n: u64 = counts.iter().sum();
        if n == 0 {
            return None;
        }
        // Empty bins on either side are floored, as is usual, so the index stays finite.
        const FLOOR: f64 = 1e-4;
        let psi = self
            .fractions
            .iter()
            .zip(counts)
            .map(|(&e, &c)| {
                let a = (c as f64 / n as f64).max(FLOOR);
                let e = e.max(FLOOR);
                (a - e) * libm::log(a / e)
            })
            .sum();
        Some(psi)
    }
}

impl Reference {
    /// The histograms of training columns (`names[i]` names `columns[i]`).
    pub fn fit(names: &[String], columns: &[&[f64]]) -> Reference {
        Reference {
            rows: columns.first().map_or(0, |c| c.len() as u64),
            features: names
                .iter()
                .zip(columns)
                .map(|(n, c)| Histogram::fit(n, c))
                .collect(),
        }
    }

    /// The histogram of a feature.
    pub fn get(&self, name: &str) -> Option<&Histogram> {
        self.features.iter().find(|h| h.name == name)
    }

    /// Checks the histograms' invariants (for a decoded artifact).
    pub fn validate(&self) -> Result<(), crate::Error> {
        for h in &self.features {
            let ok = h.fractions.len() == h.slots()
                && h.edges.iter().all(|e| e.is_finite())
                && h.edges.windows(2).all(|w| w[0] < w[1])
                && h.fractions.iter().all(|f| f.is_finite() && *f >= 0.0);
            if !ok {
                return Err(crate::Error::Malformed(alloc::format!(
                    "reference histogram of {:?} is inconsistent",
                    h.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_population_has_no_drift_and_a_shifted_one_has() {
        let train: Vec<f64> = (0..1000).map(|i| f64::from(i % 100)).collect();
        let h = Histogram::fit("x", &train);
        assert_eq!(h.slots(), h.fractions.len());
        assert!((h.fractions.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let count = |vals: &[f64]| {
            let mut c = alloc::vec![0u64; h.slots()];
            for &v in vals {
                c[h.bin(v)] += 1;
            }
            c
        };
        let same = h.psi(&count(&train)).unwrap();
        assert!(same < 1e-9, "{same}");
        let shifted: Vec<f64> = train.iter().map(|v| v + 50.0).collect();
        let psi = h.psi(&count(&shifted)).unwrap();
        assert!(psi > 0.25, "{psi}");
        let missing = alloc::vec![f64::NAN; 100];
        assert!(
            h.psi(&count(&missing)).unwrap() > 1.0,
            "all missing is a different population"
        );
        assert_eq!(h.bin(f64::NAN), h.slots() - 1);
        assert_eq!(h.psi(&[]), None);
    }

    #[test]
    fn constant_and_empty_columns_still_make_histograms() {
        let h = Histogram::fit("c", &[3.0; 50]);
        assert_eq!(h.edges, alloc::vec![3.0]);
        assert_eq!(h.fractions, alloc::vec![1.0, 0.0, 0.0]);
        let e = Histogram::fit("e", &[f64::NAN; 5]);
        assert!(e.edges.is_empty());
        assert_eq!(e.fractions, alloc::vec![0.0, 1.0]);
    }
}
