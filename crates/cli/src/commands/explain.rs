//! `aqcast explain`: TreeSHAP contributions per feature, plus the bias.

use std::path::PathBuf;

use aqcast_core::shap;

use crate::error::CliError;
use crate::{load_model, table};

/// Arguments of `aqcast explain`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (any kind `aqcast predict` reads).
    #[arg(long)]
    model: PathBuf,
    /// CSV file with a header, as for `aqcast predict`.
    #[arg(long)]
    input: PathBuf,
    /// Which head to explain (see `aqcast inspect`), 0 by default.
    #[arg(long, default_value_t = 0)]
    head: usize,
    /// Write to this CSV file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let model = load_model(&a.model)?;
    let head = model.heads.get(a.head).ok_or_else(|| {
        CliError::model(&a.model)(aqcast_core::ModelError::NoSuchHead {
            index: a.head,
            heads: model.heads.len(),
        })
    })?;
    let t = table::read(&a.input, &model)?;
    let nf = model.features.len();
    let mut rows = Vec::with_capacity(t.n_rows);
    for r in 0..t.n_rows {
        let row = &t.values[r * nf..(r + 1) * nf];
        let phi = shap::explain(&head.ensemble, row).map_err(CliError::model(&a.model))?;
        // Contributions sum to the prediction by construction; never print a NaN as one.
        if phi.iter().any(|v| !v.is_finite()) {
            return Err(CliError::Table {
                path: a.input.clone(),
                line: r as u64 + 2,
                column: "*".into(),
                message: "the explanation of this row is not finite (a value or the model's leaves are not finite)".into(),
            });
        }
        rows.push(phi);
    }
    super::emit(a.output.as_deref(), |w| {
        writeln!(w, "{},bias", model.features.join(","))?;
        for phi in &rows {
            let line: Vec<String> = phi.iter().map(|v| v.to_string()).collect();
            writeln!(w, "{}", line.join(","))?;
        }
        Ok(())
    })
}
