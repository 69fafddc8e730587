//! `aqcast pipeline run --config pipeline.toml`: what the original platform ran as an
//! Airflow DAG, as one command. ingest → validate → train (features, fit, evaluate) →
//! publish → promote (when the candidate beats production by the configured margin on the
//! configured metric) → station data.
//!
//! Each step is an `aqcast` command (the plan, `--dry-run`, prints them as command lines a
//! person could run by hand) run in this process. A step's *fingerprint* hashes its
//! command line and the bytes it reads; the state file (`<work>/pipeline-state.json`,
//! written atomically after every step) records the fingerprints of the steps that
//! finished, so a re-run after a failure skips what is done and unchanged and continues
//! where it stopped. Steps that fail in a way that may pass (the object store unavailable,
//! a registry document contended) are retried with exponential backoff.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aqcast_core::published::{self, Stage};
use aqcast_store::{registry, Objects};
use clap::Parser;
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::files;

/// Arguments of `aqcast pipeline`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Run (or resume) the pipeline a config file describes.
    Run(RunArgs),
}

/// Arguments of `aqcast pipeline run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The pipeline file (TOML); relative paths in it are relative to it.
    #[arg(long)]
    config: PathBuf,
    /// Print the plan (the steps as aqcast command lines, and which are already done)
    /// without running anything.
    #[arg(long)]
    dry_run: bool,
    /// Run every step, even those done earlier and unchanged.
    #[arg(long)]
    force: bool,
}

/// The pipeline file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    /// Where things go.
    #[serde(default)]
    store: StoreConfig,
    /// Measurement files to take in.
    #[serde(default)]
    ingest: Vec<IngestConfig>,
    /// Live sources, fetched at every run (what is new since the last).
    #[serde(default)]
    sources: Vec<SourceConfig>,
    /// Models to train, publish and promote.
    #[serde(default)]
    models: Vec<ModelConfig>,
    /// When a candidate replaces production.
    #[serde(default)]
    promote: PromoteConfig,
    /// Station data.
    #[serde(default)]
    stations: StationsConfig,
    /// Retries of steps that fail in a way that may pass.
    #[serde(default)]
    retry: RetryConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreConfig {
    /// The object store models and station data are published to (folder or s3://).
    #[serde(default = "default_store")]
    location: String,
    /// The data store ingest writes and training reads (default: `location`; a folder or
    /// a bucket, shared between machines).
    #[serde(default)]
    data: Option<String>,
    /// Where trained models and the state file are kept between steps.
    #[serde(default = "default_work")]
    work: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            location: default_store(),
            data: None,
            work: default_work(),
        }
    }
}

fn default_store() -> String {
    "aqcast-store".into()
}

fn default_work() -> String {
    "aqcast-work".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestConfig {
    /// Files or folders.
    files: Vec<String>,
    /// `--map NAME=COLUMN[:UNIT]` options.
    #[serde(default)]
    map: Vec<String>,
    /// `--site`.
    #[serde(default)]
    site: Option<String>,
    /// `--time-format`.
    #[serde(default)]
    time_format: Option<String>,
    /// `--utc-offset`.
    #[serde(default)]
    utc_offset: Option<String>,
}

/// A `[[sources]]` table: `source = "openaq"` and the options of `aqcast fetch openaq`,
/// by their long names (`bbox = "-1,51,1,52"`, `locations = [2178, 159]`, `base_url`,
/// `days`…); lists are joined with commas.
#[derive(Debug, Deserialize)]
struct SourceConfig {
    /// `openaq`, `airnow`, `eea`, `ukair`.
    source: String,
    /// Every other key: an option of `aqcast fetch SOURCE`.
    #[serde(flatten)]
    options: BTreeMap<String, toml::Value>,
}

impl SourceConfig {
    /// The command line of `aqcast fetch` this table stands for.
    fn args(&self, data: &str) -> Result<Vec<String>, String> {
        let mut args = vec!["fetch".to_string(), self.source.clone()];
        for (key, value) in &self.options {
            if key == "store" {
                return Err("`store` is the pipeline's ([store] data)".into());
            }
            let flag = format!("--{}", key.replace('_', "-"));
            let text = |v: &toml::Value| match v {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(i) => Ok(i.to_string()),
                toml::Value::Float(f) => Ok(f.to_string()),
                other => Err(format!("`{key}`: {other} is not a string or a number")),
            };
            match value {
                toml::Value::Boolean(true) => args.push(flag),
                toml::Value::Boolean(false) => {}
                toml::Value::Array(items) => {
                    let items = items.iter().map(text).collect::<Result<Vec<_>, _>>()?;
                    args.push(format!("{flag}={}", items.join(",")));
                }
                v => args.push(format!("{flag}={}", text(v)?)),
            }
        }
        args.extend(["--store".into(), data.to_string(), "--no-refresh".into()]);
        Ok(args)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelConfig {
    /// The registry name.
    name: String,
    /// The task file.
    task: String,
    /// Retrain when the last training is this many days old (and the task changed or new
    /// data came). Unset: whenever the data or the task change — with `[[sources]]`
    /// bringing data every run, that would be every run.
    #[serde(default)]
    retrain_days: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromoteConfig {
    /// The summary metric compared: `skill`, `coverage_error`, `rmse` or `width`.
    #[serde(default = "default_metric")]
    metric: String,
    /// How much better the candidate must be.
    #[serde(default)]
    margin: f64,
}

impl Default for PromoteConfig {
    fn default() -> Self {
        PromoteConfig {
            metric: default_metric(),
            margin: 0.0,
        }
    }
}

fn default_metric() -> String {
    "skill".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StationsConfig {
    /// A station list (code/id, lat, lon).
    #[serde(default)]
    file: Option<String>,
    /// Days every snapshot keeps at least.
    #[serde(default)]
    days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryConfig {
    /// Attempts per step.
    #[serde(default = "default_attempts")]
    attempts: u32,
    /// The first wait, in seconds.
    #[serde(default = "default_first")]
    first_seconds: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            attempts: default_attempts(),
            first_seconds: default_first(),
        }
    }
}

fn default_attempts() -> u32 {
    4
}

fn default_first() -> f64 {
    1.0
}

/// One step of the plan.
struct Step {
    /// Stable id (`ingest:1`, `train:no2-72h`, …).
    id: String,
    /// The aqcast command line it runs.
    args: Vec<String>,
    /// Files whose bytes the step reads (in its fingerprint).
    reads: Vec<PathBuf>,
    /// The data it reads (the data store's manifest): in its fingerprint, but a change
    /// of these alone does not run it again within `fresh_for` of its last run.
    data_reads: Vec<PathBuf>,
    /// How long a run of it stays fresh while only its data change.
    fresh_for: Option<Duration>,
    /// Whether it runs every time (cheap, and its input is the store itself).
    always: bool,
    /// What the plan shows for a step that is not a plain command.
    shown: Option<String>,
    /// Files the step writes: while one is missing, the step is not done, whatever the
    /// state file says (a deleted model is trained again).
    writes: Vec<PathBuf>,
    kind: Kind,
}

enum Kind {
    Command,
    /// Check the data store holds the task's data.
    Validate {
        model: String,
        task: PathBuf,
        data: String,
    },
    /// Promote the version the publish step registered, when it beats production.
    Promote {
        model: String,
        artifact: PathBuf,
        store: String,
    },
}

/// `<work>/pipeline-state.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    format: u32,
    steps: BTreeMap<String, StepState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StepState {
    fingerprint: String,
    /// The fingerprint without the data it reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_fingerprint: Option<String>,
    finished: String,
    seconds: f64,
    outcome: String,
}

/// What the pipeline did, step by step.
struct Summary {
    rows: Vec<(String, String, f64)>,
}

pub fn run(a: Args) -> Result<(), CliError> {
    match a.command {
        Command::Run(r) => run_pipeline(&r),
    }
}

fn run_pipeline(a: &RunArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&a.config).map_err(CliError::io(&a.config))?;
    let config: Config = toml::from_str(&text).map_err(|e| CliError::Task {
        path: a.config.clone(),
        message: e.to_string().trim_end().replace('\n', " "),
    })?;
    let base = a.config.parent().map(Path::to_path_buf).unwrap_or_default();
    let plan = plan(&config, &base, &a.config)?;
    let work = resolve(&base, &config.store.work);
    let state_path = work.join("pipeline-state.json");
    let mut state: State = match std::fs::read(&state_path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| CliError::Task {
            path: state_path.clone(),
            message: format!("not a pipeline state file ({e}); delete it to start over"),
        })?,
        Err(_) => State {
            format: 1,
            ..Default::default()
        },
    };
    let mut out = std::io::stdout();
    let say = |out: &mut std::io::Stdout, s: String| {
        let _ = writeln!(out, "{s}");
        let _ = out.flush();
    };
    if a.dry_run {
        say(
            &mut out,
            format!("plan of {} ({} steps):", a.config.display(), plan.len()),
        );
    }
    let mut summary = Summary { rows: Vec::new() };
    let started = Instant::now();
    for (i, step) in plan.iter().enumerate() {
        let fingerprint = fingerprint(step, true)?;
        let config_fingerprint = self::fingerprint(step, false)?;
        let done = !step.always
            && !a.force
            && step.writes.iter().all(|p| p.exists())
            && state.steps.get(&step.id).is_some_and(|s| {
                s.fingerprint == fingerprint
                    || (s.config_fingerprint.as_deref() == Some(config_fingerprint.as_str())
                        && step.fresh_for.is_some_and(|d| age(&s.finished) < d))
            });
        let line = step
            .shown
            .clone()
            .unwrap_or_else(|| format!("aqcast {}", shell_words(&step.args)));
        if a.dry_run {
            say(
                &mut out,
                format!(
                    "{:>2}. {:<28} {}{}",
                    i + 1,
                    step.id,
                    line,
                    if done {
                        "   [done, unchanged: skipped]"
                    } else {
                        ""
                    }
                ),
            );
            continue;
        }
        if done {
            say(
                &mut out,
                format!("== {} — done earlier, inputs unchanged: skipped", step.id),
            );
            summary
                .rows
                .push((step.id.clone(), "skipped (done)".into(), 0.0));
            continue;
        }
        say(&mut out, format!("== {}: {line}", step.id));
        let t0 = Instant::now();
        let outcome = with_retries(&config.retry, &step.id, || execute(step, &config))
            .inspect_err(|e| {
                summary.rows.push((
                    step.id.clone(),
                    format!("FAILED: {e}"),
                    t0.elapsed().as_secs_f64(),
                ));
                print_summary(&summary, started);
            })?;
        if !outcome.is_empty() {
            say(&mut out, outcome.clone());
        }
        let seconds = t0.elapsed().as_secs_f64();
        // The fingerprint after the step: what it wrote may be what a later run reads.
        state.steps.insert(
            step.id.clone(),
            StepState {
                fingerprint: self::fingerprint(step, true)?,
                config_fingerprint: Some(self::fingerprint(step, false)?),
                finished: registry::now(),
                seconds,
                outcome: outcome.clone(),
            },
        );
        std::fs::create_dir_all(&work).map_err(CliError::io(&work))?;
        let bytes =
            serde_json::to_vec_pretty(&state).map_err(|e| CliError::Usage(e.to_string()))?;
        files::write_atomic(&state_path, |w| w.write_all(&bytes))?;
        summary.rows.push((
            step.id.clone(),
            if outcome.is_empty() {
                "ok".into()
            } else {
                outcome
            },
            seconds,
        ));
    }
    if !a.dry_run {
        print_summary(&summary, started);
    }
    Ok(())
}

fn print_summary(s: &Summary, started: Instant) {
    println!();
    println!(
        "pipeline summary ({:.1} s):",
        started.elapsed().as_secs_f64()
    );
    for (id, outcome, secs) in &s.rows {
        let first = outcome.lines().next().unwrap_or("");
        println!("  {id:<28} {secs:>7.1} s  {first}");
    }
}

/// Runs `f`, retrying with backoff while it fails in a way that may pass (the object
/// store unavailable, a document contended).
fn with_retries(
    r: &RetryConfig,
    what: &str,
    f: impl FnMut() -> Result<String, CliError>,
) -> Result<String, CliError> {
    let backoff = aqcast_store::retry::Backoff {
        attempts: r.attempts.max(1),
        first: Duration::from_secs_f64(r.first_seconds.max(0.0)),
        max: Duration::from_secs(60),
    };
    backoff.run_with(
        what,
        |e| matches!(e, CliError::Objects(e) if e.is_transient()),
        f,
    )
}

/// A path of the pipeline file, relative to its folder, with `x/..` folded away.
fn resolve(base: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                ) =>
            {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

fn location(base: &Path, p: &str) -> String {
    if p.contains("://") {
        p.to_string()
    } else {
        resolve(base, p).display().to_string()
    }
}

/// The steps, in order.
fn plan(c: &Config, base: &Path, config_path: &Path) -> Result<Vec<Step>, CliError> {
    let store = location(base, &c.store.location);
    let data =
        match &c.store.data {
            Some(d) => location(base, d),
            None if !store.contains("://") => store.clone(),
            None => return Err(CliError::Task {
                path: config_path.into(),
                message:
                    "[store] location is remote: give [store] data, the local folder ingest writes"
                        .into(),
            }),
        };
    let work = resolve(base, &c.store.work);
    check(c).map_err(|message| CliError::Task {
        path: config_path.into(),
        message,
    })?;
    let mut steps = Vec::new();
    for (i, ing) in c.ingest.iter().enumerate() {
        let mut args = vec!["ingest".to_string(), "--store".into(), data.clone()];
        let reads: Vec<PathBuf> = ing.files.iter().map(|f| resolve(base, f)).collect();
        // `--flag=value`: a value that starts with `-` stays a value.
        for m in &ing.map {
            args.push(format!("--map={m}"));
        }
        for (flag, v) in [
            ("--site", &ing.site),
            ("--time-format", &ing.time_format),
            ("--utc-offset", &ing.utc_offset),
        ] {
            if let Some(v) = v {
                args.push(format!("{flag}={v}"));
            }
        }
        // Files after `--`: a name that starts with `-` is a file, not an option.
        args.push("--".into());
        args.extend(reads.iter().map(|p| p.display().to_string()));
        steps.push(Step {
            id: format!("ingest:{}", i + 1),
            args,
            reads,
            data_reads: Vec::new(),
            fresh_for: None,
            always: false,
            shown: None,
            writes: Vec::new(),
            kind: Kind::Command,
        });
    }
    for (i, src) in c.sources.iter().enumerate() {
        let id = format!("fetch:{}", i + 1);
        let bad = |message: String| CliError::Task {
            path: config_path.into(),
            message: format!("[[sources]] {} ({}): {message}", i + 1, src.source),
        };
        let args = src.args(&data).map_err(bad)?;
        // Checked now, by the command's own parser, so that a wrong option stops the
        // plan before anything runs.
        Cli::try_parse_from(std::iter::once("aqcast".to_string()).chain(args.iter().cloned()))
            .map_err(|e| bad(e.to_string().lines().next().unwrap_or("").to_string()))?;
        steps.push(Step {
            id,
            args,
            reads: Vec::new(),
            data_reads: Vec::new(),
            fresh_for: None,
            always: true,
            shown: None,
            writes: Vec::new(),
            kind: Kind::Command,
        });
    }
    for m in &c.models {
        published::check_name(&m.name).map_err(|e| CliError::Task {
            path: config_path.into(),
            message: e.to_string(),
        })?;
        let task = resolve(base, &m.task);
        let artifact = work.join(&m.name).join("model.aqm");
        let fresh_for = match m.retrain_days {
            Some(d) if d >= 0.0 && Duration::try_from_secs_f64(d * 86_400.0).is_ok() => {
                Duration::try_from_secs_f64(d * 86_400.0).ok()
            }
            Some(d) => {
                return Err(CliError::Task {
                    path: config_path.into(),
                    message: format!(
                        "[[models]] {}: retrain_days = {d}: give a number of days ≥ 0",
                        m.name
                    ),
                })
            }
            None => None,
        };
        // A shared store's manifest is read through its mirror.
        let manifest = if aqcast_store::shared::is_remote(&data) {
            aqcast_store::shared::mirror_dir(&data).join("manifest.json")
        } else {
            PathBuf::from(&data).join("manifest.json")
        };
        steps.push(Step {
            id: format!("validate:{}", m.name),
            args: vec![
                "features".into(),
                "--config".into(),
                task.display().to_string(),
                "--store".into(),
                data.clone(),
            ],
            reads: vec![task.clone()],
            data_reads: vec![manifest.clone()],
            fresh_for,
            always: false,
            shown: Some(format!(
                "check that {} has data for every site and input of {}",
                data,
                task.display()
            )),
            writes: Vec::new(),
            kind: Kind::Validate {
                model: m.name.clone(),
                task: task.clone(),
                data: data.clone(),
            },
        });
        steps.push(Step {
            id: format!("train:{}", m.name),
            args: vec![
                "train".into(),
                "--config".into(),
                task.display().to_string(),
                "--store".into(),
                data.clone(),
                "-o".into(),
                artifact.display().to_string(),
            ],
            reads: vec![task.clone()],
            data_reads: vec![manifest.clone()],
            fresh_for,
            always: false,
            shown: None,
            writes: vec![artifact.clone()],
            kind: Kind::Command,
        });
        steps.push(Step {
            id: format!("publish:{}", m.name),
            args: vec![
                "publish".into(),
                artifact.display().to_string(),
                "--name".into(),
                m.name.clone(),
                "--stage".into(),
                "staging".into(),
                "--store".into(),
                store.clone(),
            ],
            reads: vec![artifact.clone()],
            data_reads: Vec::new(),
            fresh_for: None,
            always: false,
            shown: None,
            writes: Vec::new(),
            kind: Kind::Command,
        });
        steps.push(Step {
            id: format!("promote:{}", m.name),
            args: vec![
                "models".into(),
                "promote".into(),
                m.name.clone(),
                "--store".into(),
                store.clone(),
            ],
            reads: vec![artifact.clone()],
            data_reads: Vec::new(),
            fresh_for: None,
            always: false,
            shown: Some(format!(
                "aqcast models promote {} <the version just published> --to production --store {store}, if its mean {} beats production's by more than {}",
                m.name, c.promote.metric, c.promote.margin
            )),
            writes: Vec::new(),
            kind: Kind::Promote {
                model: m.name.clone(),
                artifact,
                store: store.clone(),
            },
        });
    }
    let mut args = vec![
        "stations".into(),
        "publish".into(),
        "--store".into(),
        store.clone(),
        "--data".into(),
        data.clone(),
    ];
    if let Some(f) = &c.stations.file {
        args.extend(["--stations".into(), resolve(base, f).display().to_string()]);
    }
    if let Some(d) = c.stations.days {
        args.extend(["--days".into(), d.to_string()]);
    }
    steps.push(Step {
        id: "stations".into(),
        args,
        reads: Vec::new(),
        data_reads: Vec::new(),
        fresh_for: None,
        always: true,
        shown: None,
        writes: Vec::new(),
        kind: Kind::Command,
    });
    Ok(steps)
}

/// The metrics `[promote] metric` may name.
const PROMOTE_METRICS: [&str; 4] = ["skill", "rmse", "width", "coverage_error"];

/// What the plan can refuse before any step runs: settings out of range, two models under
/// one name, a promotion metric no report has.
fn check(c: &Config) -> Result<(), String> {
    let r = &c.retry;
    if !(1..=100).contains(&r.attempts) {
        return Err(format!(
            "[retry] attempts = {}: give 1 to 100 attempts per step",
            r.attempts
        ));
    }
    if !(r.first_seconds.is_finite() && (0.0..=600.0).contains(&r.first_seconds)) {
        return Err(format!(
            "[retry] first_seconds = {}: give a wait from 0 to 600 seconds",
            r.first_seconds
        ));
    }
    if !PROMOTE_METRICS.contains(&c.promote.metric.as_str()) {
        return Err(format!(
            "[promote] metric = {:?}: use one of {}",
            c.promote.metric,
            PROMOTE_METRICS.join(", ")
        ));
    }
    if !c.promote.margin.is_finite() {
        return Err(format!(
            "[promote] margin = {}: give a finite number",
            c.promote.margin
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    for m in &c.models {
        if !names.insert(m.name.as_str()) {
            return Err(format!(
                "two [[models]] are named {:?}: each model needs its own name (it is the \
                 registry's key)",
                m.name
            ));
        }
    }
    for ing in &c.ingest {
        if ing.files.is_empty() {
            return Err("an [[ingest]] lists no files".into());
        }
    }
    Ok(())
}

/// How long ago an RFC 3339 time was (a time that does not read: long ago).
fn age(finished: &str) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    aqcast_core::time::parse_datetime(finished).map_or(Duration::MAX, |t| {
        Duration::from_secs((now - t).max(0) as u64)
    })
}

/// The SHA-256 of a step's command line and of the bytes it reads (with or without its
/// data).
fn fingerprint(step: &Step, with_data: bool) -> Result<String, CliError> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for a in &step.args {
        h.update(a.as_bytes());
        h.update([0]);
    }
    let data: &[PathBuf] = if with_data { &step.data_reads } else { &[] };
    for p in step.reads.iter().chain(data) {
        match std::fs::read(p) {
            Ok(b) => h.update(sha2::Sha256::digest(&b)),
            // Not there yet (a model a later step writes): part of the fingerprint too.
            Err(_) => h.update(b"missing"),
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A command line as a person would type it.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses a command line into the CLI's own command and runs it.
#[derive(Parser)]
#[command(name = "aqcast")]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    Ingest(super::ingest::Args),
    Fetch(super::fetch::Args),
    Train(super::train::Args),
    Publish(super::publish::Args),
    Stations(super::stations::Args),
}

fn execute(step: &Step, c: &Config) -> Result<String, CliError> {
    match &step.kind {
        Kind::Command => {
            let cli = Cli::try_parse_from(
                std::iter::once("aqcast".to_string()).chain(step.args.iter().cloned()),
            )
            .map_err(|e| CliError::Usage(format!("step {}: {}", step.id, e.to_string().trim())))?;
            match cli.command {
                Sub::Ingest(a) => super::ingest::run(a),
                Sub::Fetch(a) => super::fetch::run(a),
                Sub::Train(a) => super::train::run(a),
                Sub::Publish(a) => super::publish::run(a),
                Sub::Stations(a) => super::stations::run(a),
            }?;
            Ok(String::new())
        }
        Kind::Validate { model, task, data } => validate(model, task, data),
        Kind::Promote {
            model,
            artifact,
            store,
        } => promote(c, model, artifact, store),
    }
}

/// Checks that the task's data is there: every site it reads has data in the store for
/// every input, and the training and test periods are not empty.
fn validate(model: &str, task: &Path, data: &str) -> Result<String, CliError> {
    let config = crate::config::Config::read(task)?;
    let store = crate::datastore::open_read(data)?;
    let partitions = store.partitions()?;
    // Inputs other than the target may be missing at some sites (the pipeline imputes);
    // the target must be everywhere.
    let target = config.target(task)?.of;
    let target_var = config
        .pipeline
        .inputs
        .iter()
        .find(|i| i.column() == target)
        .map(|i| i.variable.clone())
        .unwrap_or(target);
    let sites: Vec<String> = if config.data.sites.is_empty() {
        vec![config.data.site.clone()]
    } else if config.data.sites.iter().any(|s| s == "*") {
        // Every site with the target.
        partitions
            .iter()
            .filter(|(_, v, _)| *v == target_var)
            .map(|p| p.0.clone())
            .collect()
    } else {
        config.data.sites.clone()
    };
    let mut missing = Vec::new();
    for site in &sites {
        for input in &config.pipeline.inputs {
            if !partitions
                .iter()
                .any(|(s, v, _)| s == site && *v == input.variable)
            {
                missing.push(format!("{site}/{}", input.variable));
            }
        }
    }
    let without_target: Vec<&String> = missing
        .iter()
        .filter(|m| m.ends_with(&format!("/{target_var}")))
        .collect();
    if !without_target.is_empty() || sites.is_empty() {
        return Err(CliError::Task {
            path: task.into(),
            message: format!(
                "model {model}: no {target_var} data in the store for {} (ingest it first)",
                if sites.is_empty() {
                    "any site".to_string()
                } else {
                    without_target
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        });
    }
    Ok(format!(
        "{model}: {} site(s), {} input(s) each{}",
        sites.len(),
        config.pipeline.inputs.len(),
        if missing.is_empty() {
            String::new()
        } else {
            format!("; absent and imputed: {}", missing.join(", "))
        }
    ))
}

/// Promotes the candidate (the version the publish step registered) to production when
/// it beats the serving version by the margin on the metric; otherwise it stays in staging.
fn promote(c: &Config, model: &str, artifact: &Path, store: &str) -> Result<String, CliError> {
    let objects = Objects::open(store)?;
    let sha = published::sha256_hex(&files::read_all(artifact)?);
    let doc = registry::get(&objects, model)?;
    let candidate = doc.by_sha(&sha).ok_or_else(|| CliError::Task {
        path: artifact.into(),
        message: format!(
            "{model}: this model is not in the registry (the publish step did not run?)"
        ),
    })?;
    if candidate.stage == Stage::Production {
        return Ok(format!(
            "{model} v{} is already in production",
            candidate.version
        ));
    }
    let metric = c.promote.metric.as_str();
    let score = |v: &published::Version| -> Option<f64> {
        let s = &v.metrics.summary;
        match metric {
            "skill" => s.get("skill").copied(),
            "rmse" => s.get("rmse").map(|x| -x),
            "width" => s.get("width").map(|x| -x),
            "coverage_error" => s.get("coverage").map(|x| -(x - 0.8).abs()),
            _ => None,
        }
    };
    let cand = score(candidate).ok_or_else(|| CliError::Task {
        path: artifact.into(),
        message: format!(
            "{model} v{}: its metrics have no {metric}",
            candidate.version
        ),
    })?;
    let n = candidate.version;
    let shown = |x: f64| if metric == "skill" { x } else { -x };
    let (promote, note) = match doc.latest(Some(Stage::Production)) {
        None => (
            true,
            format!("no version in production; {metric} {:.4}", shown(cand)),
        ),
        Some(prod) => match score(prod) {
            None => (
                true,
                format!("production v{} has no {metric}", prod.version),
            ),
            Some(p) if cand > p + c.promote.margin => (
                true,
                format!(
                    "{metric} {:.4} beats production v{} ({:.4}) by more than {}",
                    shown(cand),
                    prod.version,
                    shown(p),
                    c.promote.margin
                ),
            ),
            Some(p) => (
                false,
                format!(
                    "{metric} {:.4} does not beat production v{} ({:.4}) by more than {}",
                    shown(cand),
                    prod.version,
                    shown(p),
                    c.promote.margin
                ),
            ),
        },
    };
    if promote {
        registry::promote(
            &objects,
            model,
            &n.to_string(),
            Stage::Production,
            Some(&note),
        )?;
        Ok(format!("{model} v{n} promoted to production: {note}"))
    } else {
        Ok(format!("{model} v{n} stays in staging: {note}"))
    }
}
