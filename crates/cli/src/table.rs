//! Input tables: a CSV file with a header, read into rows of `f64` for a model.
//!
//! Columns are matched to the model's features by name when the model has names, else by
//! position. Empty cells, `NaN`, `NA` and `nan` are missing values. Any other cell that is
//! not a number is an error naming the file, line and column.

use std::path::Path;

use aqcast_core::Model;

use crate::error::CliError;
use crate::files;

/// A dense, row-major table of model inputs.
pub struct Table {
    /// `n_rows × n_features` values, row after row.
    pub values: Vec<f64>,
    /// Rows read.
    pub n_rows: usize,
}

/// Whether a cell means "missing".
fn is_missing(cell: &str) -> bool {
    matches!(
        cell,
        "" | "NaN" | "nan" | "NA" | "na" | "N/A" | "null" | "NULL"
    )
}

/// Reads the CSV at `path` into the model's feature order.
pub fn read(path: &Path, model: &Model) -> Result<Table, CliError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(files::open_lines(path)?);
    // `line`: where the reader stood, for errors (a truncated gzip) that carry none.
    let csv_err = |e: csv::Error, line: u64| {
        let line = e.position().map_or(line, |p| p.line());
        let message = match e.kind() {
            csv::ErrorKind::Io(io) => format!(
                "the file cannot be read past here ({io}; a truncated or damaged gzip file?)"
            ),
            csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
            _ => e.to_string(),
        };
        CliError::Table {
            path: path.to_path_buf(),
            line: line.max(1),
            column: "-".into(),
            message,
        }
    };
    let header = rdr.headers().map_err(|e| csv_err(e, 1))?.clone();
    if header.is_empty() {
        return Err(CliError::Columns {
            path: path.to_path_buf(),
            message: "the file is empty: expected a header line".into(),
        });
    }
    let nf = model.features.len();
    // For each model feature, the CSV column that holds it.
    let columns: Vec<usize> = if model.named_features {
        let mut missing = Vec::new();
        let cols = model
            .features
            .iter()
            .filter_map(|f| {
                let c = header.iter().position(|h| h == f);
                if c.is_none() {
                    missing.push(f.as_str());
                }
                c
            })
            .collect();
        // A feature's column given twice would be read from the first one silently.
        if let Some(f) = model
            .features
            .iter()
            .find(|f| header.iter().filter(|h| h == f).count() > 1)
        {
            return Err(CliError::Columns {
                path: path.to_path_buf(),
                message: format!(
                    "two columns are named {f:?}; which one holds the feature is ambiguous"
                ),
            });
        }
        if !missing.is_empty() {
            return Err(CliError::Columns {
                path: path.to_path_buf(),
                message: format!(
                    "no column for feature(s) {}; the model needs columns named {}",
                    missing.join(", "),
                    model.features.join(", ")
                ),
            });
        }
        cols
    } else {
        if header.len() != nf {
            return Err(CliError::Columns {
                path: path.to_path_buf(),
                message: format!(
                    "{} columns, but the model has {nf} unnamed features matched by position \
                     (import it with --feature-names to match by name)",
                    header.len()
                ),
            });
        }
        (0..nf).collect()
    };
    let mut values = Vec::new();
    let mut n_rows = 0;
    let mut record = csv::StringRecord::new();
    while rdr
        .read_record(&mut record)
        .map_err(|e| csv_err(e, rdr.position().line()))?
    {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != header.len() {
            return Err(CliError::Table {
                path: path.to_path_buf(),
                line,
                column: "-".into(),
                message: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
            });
        }
        for &c in &columns {
            let cell = &record[c];
            let v = if is_missing(cell) {
                f64::NAN
            } else {
                cell.parse::<f64>().map_err(|_| CliError::Table {
                    path: path.to_path_buf(),
                    line,
                    column: header[c].to_string(),
                    message: format!("{cell:?} is not a number"),
                })?
            };
            values.push(v);
        }
        n_rows += 1;
    }
    Ok(Table { values, n_rows })
}
