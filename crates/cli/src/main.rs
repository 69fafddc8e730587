//! `aqcast`: the command-line front end of aqcast.
//!
//! Every command reports a failure as one line on stderr, `error: <file>, line <n>,
//! column <c>: <why>` where those apply, and exits with code 2.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use aqcast_cli::commands;
use aqcast_cli::error::CliError;
use aqcast_cli::terminal;

/// aqcast: air-quality forecasting models, from raw measurements to predictions.
#[derive(Parser)]
#[command(name = "aqcast", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Predict every row of a CSV file with a model.
    Predict(commands::predict::Args),
    /// Explain every row of a CSV file: exact TreeSHAP contributions per feature.
    Explain(commands::explain::Args),
    /// Turn a LightGBM text or XGBoost JSON model into an aqcast model (.aqm or .json).
    Import(commands::import::Args),
    /// Summarise a model file.
    Inspect(commands::inspect::Args),
    /// Compute the Air Quality Index of concentrations.
    Aqi(commands::aqi::Args),
    /// Take measurement files (EPA AQS, AirNow, OpenAQ, openair/AURN, mapped CSV) into the store.
    Ingest(commands::ingest::Args),
    /// Take what is new at a network that publishes measurements (OpenAQ, AirNow, UK-AIR, the EEA) or what sensors pushed to the edge worker into the store.
    Fetch(commands::fetch::Args),
    /// Build a task's feature table from the store (fits its pipeline on the training rows).
    Features(commands::features::Args),
    /// Print the observations a store holds, as CSV.
    Export(commands::export::Args),
    /// Train a task's models (one per horizon and quantile) into one artifact, and evaluate them.
    Train(commands::train::Args),
    /// Measure a model (with its bundled pipeline) on a site's data in the store.
    Evaluate(commands::evaluate::Args),
    /// Search hyper-parameters by cross-validation on the training rows.
    Tune(commands::tune::Args),
    /// Forecast a station's next hours or days (P10/P50/P90, AQI, category probabilities).
    Forecast(commands::forecast::Args),
    /// Publish a model version to object storage and register it.
    Publish(commands::publish::Args),
    /// The model registry: list, show, promote, archive, tag, compare, get.
    Models(commands::models::Args),
    /// The records of train and tune runs.
    Runs(commands::runs::Args),
    /// Publish the station list and each station's latest observations.
    Stations(commands::stations::Args),
    /// Run the whole pipeline (ingest → validate → train → publish → promote → stations).
    Pipeline(commands::pipeline::Args),
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Predict(a) => commands::predict::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Import(a) => commands::import::run(a),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Aqi(a) => commands::aqi::run(a),
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Fetch(a) => commands::fetch::run(a),
        Command::Features(a) => commands::features::run(a),
        Command::Export(a) => commands::export::run(a),
        Command::Train(a) => commands::train::run(a),
        Command::Evaluate(a) => commands::evaluate::run(a),
        Command::Tune(a) => commands::tune::run(a),
        Command::Forecast(a) => commands::forecast::run(a),
        Command::Publish(a) => commands::publish::run(a),
        Command::Models(a) => commands::models::run(a),
        Command::Runs(a) => commands::runs::run(a),
        Command::Stations(a) => commands::stations::run(a),
        Command::Pipeline(a) => commands::pipeline::run(a),
    }
}

fn main() -> ExitCode {
    // Usage errors in one line, as every other error (clap adds a hint line and, for a bad
    // value, context); --help and --version print as usual.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let mut first = lines
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            // "the following required arguments were not provided:" names them on the
            // indented lines after it.
            if first.ends_with(':') {
                let named: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' '))
                    .map(str::trim)
                    .collect();
                first = format!("{} {}", first, named.join(", "));
            }
            eprintln!(
                "error: {} (aqcast --help lists the commands and options)",
                terminal::one_line(&first)
            );
            return ExitCode::from(2);
        }
    };
    // Logs go to stderr; AQCAST_LOG=info (or debug, trace) shows more.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AQCAST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed standard output (`aqcast … | head`) is not an error of ours.
        Err(CliError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}", terminal::one_line(&e.to_string()));
            ExitCode::from(2)
        }
    }
}
