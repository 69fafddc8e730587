//! `aqcast export`: the observations a store holds, as CSV.

use std::io::Write;
use std::path::PathBuf;

use crate::commands::emit;
use crate::error::CliError;

/// Arguments of `aqcast export`.
#[derive(clap::Args)]
pub struct Args {
    /// The store: a folder or file:// URL.
    #[arg(long, default_value = "aqcast-store")]
    store: String,
    /// Only this site.
    #[arg(long)]
    site: Option<String>,
    /// Only this variable (`no2`, `pm2.5`, `ws`, …).
    #[arg(long)]
    variable: Option<String>,
    /// Print one line per (site, variable) with its count and time span instead of rows.
    #[arg(long)]
    summary: bool,
    /// Where to write (CSV); standard output if not given.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let store = crate::datastore::open_read(&a.store)?;
    let manifest = store.manifest()?;
    let mut parts = Vec::new();
    for (site, variable, _) in store.partitions()? {
        if a.site.as_ref().is_some_and(|s| *s != site)
            || a.variable.as_ref().is_some_and(|v| *v != variable)
        {
            continue;
        }
        let rows = store.read_series(&site, &variable, &manifest)?;
        if !rows.is_empty() {
            parts.push((site, variable, rows));
        }
    }
    let fmt = aqcast_core::time::format_datetime;
    emit(a.output.as_deref(), |out: &mut dyn Write| {
        let mut w = csv::Writer::from_writer(out);
        if a.summary {
            // Through the CSV writer: a site id may hold a comma or a quote.
            w.write_record(["site", "variable", "observations", "from", "to"])?;
            for (s, v, rows) in &parts {
                let (first, last) = (rows[0].0, rows[rows.len() - 1].0);
                w.write_record([
                    s.as_str(),
                    v.as_str(),
                    &rows.len().to_string(),
                    &fmt(first),
                    &fmt(last),
                ])?;
            }
            return w.flush();
        }
        w.write_record(["site", "variable", "time", "value"])?;
        for (s, v, rows) in &parts {
            for &(t, x) in rows {
                w.write_record([s.as_str(), v.as_str(), &fmt(t), &format!("{x:?}")])?;
            }
        }
        w.flush()
    })
}
