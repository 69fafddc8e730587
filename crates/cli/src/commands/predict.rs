//! `aqcast predict`: one prediction per input row.

use std::path::PathBuf;

use aqcast_core::{Matrix, Model};

use crate::error::CliError;
use crate::{load_model, table};

/// Arguments of `aqcast predict`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file: an aqcast .aqm (or its JSON form), a LightGBM text model or an XGBoost
    /// JSON model (told apart by content).
    #[arg(long)]
    model: PathBuf,
    /// CSV file with a header (.csv or .csv.gz). Columns are matched by feature name when
    /// the model names its features, else by position. Empty, NaN and NA are missing.
    #[arg(long)]
    input: PathBuf,
    /// Write a CSV file (with a header) instead of printing one prediction per line.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

/// The column label of each head: the target (or `prediction`), horizon and quantile.
pub(crate) fn head_labels(model: &Model) -> Vec<String> {
    model
        .heads
        .iter()
        .map(|h| {
            let mut s = if h.target.is_empty() {
                "prediction".to_string()
            } else {
                h.target.clone()
            };
            if let Some(hz) = h.horizon_hours {
                s.push_str(&format!("_h{hz}"));
            }
            if let Some(q) = h.quantile {
                s.push_str(&format!("_q{q}"));
            }
            s
        })
        .collect()
}

pub fn run(a: Args) -> Result<(), CliError> {
    let model = load_model(&a.model)?;
    let predictors = model.predictors().map_err(CliError::model(&a.model))?;
    let t = table::read(&a.input, &model)?;
    let mut columns = Vec::with_capacity(predictors.len());
    for p in &predictors {
        columns.push(
            p.predict(Matrix::RowMajorF64(&t.values))
                .map_err(CliError::model(&a.model))?,
        );
    }
    // Quantile heads are served in order (P10 ≤ P50 ≤ P90 on every row).
    if model.heads.iter().any(|h| h.quantile.is_some()) {
        let mut row = vec![0.0; columns.len()];
        for r in 0..t.n_rows {
            row.iter_mut().zip(&columns).for_each(|(x, c)| *x = c[r]);
            model.order_quantiles(&mut row);
            columns.iter_mut().zip(&row).for_each(|(c, x)| c[r] = *x);
        }
    }
    let labels = head_labels(&model);
    let with_header = a.output.is_some();
    super::emit(a.output.as_deref(), |w| {
        if with_header {
            writeln!(w, "{}", labels.join(","))?;
        }
        for r in 0..t.n_rows {
            for (i, c) in columns.iter().enumerate() {
                if i > 0 {
                    write!(w, ",")?;
                }
                write!(w, "{}", c[r])?;
            }
            writeln!(w)?;
        }
        Ok(())
    })
}
