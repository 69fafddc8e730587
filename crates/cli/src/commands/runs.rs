//! `aqcast runs list|show`: the records `train` and `tune` write to the store.

use aqcast_store::{runs, Objects};

use crate::commands::emit;
use crate::error::CliError;

/// Arguments of `aqcast runs`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// The object store: a folder, or s3://bucket/prefix.
    #[arg(long, global = true, default_value = "aqcast-store")]
    store: String,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Every run, oldest first.
    List,
    /// One run's record (JSON).
    Show {
        /// The run id (as `runs list` prints it).
        id: String,
    },
}

pub fn run(a: Args) -> Result<(), CliError> {
    let objects = Objects::open_existing(&a.store)?;
    match a.command {
        Command::List => {
            let all = runs::list(&objects)?;
            emit(None, |w| {
                if all.is_empty() {
                    return writeln!(w, "no runs recorded in {}", objects.location());
                }
                writeln!(
                    w,
                    "{:<26} {:<6} {:<16} {:<7} {:>8}  {:<20} metrics",
                    "id", "run", "name", "status", "seconds", "started"
                )?;
                for r in &all {
                    let m = [
                        "rmse",
                        "mean.rmse",
                        "mean.skill",
                        "mean.coverage",
                        "best.score",
                    ]
                    .iter()
                    .filter_map(|k| r.metrics.get(*k).map(|v| format!("{k} {v:.3}")))
                    .collect::<Vec<_>>()
                    .join(", ");
                    writeln!(
                        w,
                        "{:<26} {:<6} {:<16} {:<7} {:>8.1}  {:<20} {m}",
                        r.id, r.command, r.name, r.status, r.seconds, r.started
                    )?;
                }
                Ok(())
            })
        }
        Command::Show { id } => {
            let r = runs::get(&objects, &id)?;
            let t = serde_json::to_string_pretty(&r).map_err(|e| CliError::Usage(e.to_string()))?;
            emit(None, |w| writeln!(w, "{t}"))
        }
    }
}
