//! `aqcast publish`: a model version into object storage and the registry (upload under
//! its SHA-256, read back and verify, then register).

use std::path::PathBuf;

use aqcast_core::published::Stage;
use aqcast_store::publish::{publish, Upload};
use aqcast_store::Objects;

use crate::commands::emit;
use crate::error::CliError;
use crate::files;

/// Arguments of `aqcast publish`.
#[derive(clap::Args)]
pub struct Args {
    /// The model file (.aqm). Its reports (`<model>.report.json`, `.report.html`), when
    /// they sit beside it, are published with it.
    model: PathBuf,
    /// The model name (the registry key): letters, digits, '_', '-', '.'.
    #[arg(long)]
    name: String,
    /// The stage the new version enters: dev (the default), staging or production.
    #[arg(long, value_parser = parse_stage)]
    stage: Option<Stage>,
    /// The object store: a folder, or s3://bucket/prefix (AWS_* variables configure it).
    #[arg(long, default_value = "aqcast-store")]
    store: String,
    /// Print the registered version as JSON.
    #[arg(long)]
    json: bool,
}

/// Reads a stage name (for clap).
pub fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::parse(s)
        .ok_or_else(|| format!("{s:?} is not a stage (dev, staging, production, archived)"))
}

pub fn run(a: Args) -> Result<(), CliError> {
    let model = files::read_all(&a.model)?;
    let beside = |ext: &str| {
        let p = a.model.with_extension(ext);
        p.is_file().then_some(p)
    };
    let report_json = beside("report.json")
        .map(|p| files::read_all(&p))
        .transpose()?;
    let report_html = beside("report.html")
        .map(|p| files::read_all(&p))
        .transpose()?;
    let objects = Objects::open(&a.store)?;
    let out = publish(
        &objects,
        Upload {
            name: a.name.clone(),
            model,
            report_json,
            report_html,
            stage: a.stage.unwrap_or(Stage::Dev),
        },
    )
    .map_err(|e| match e {
        aqcast_store::Error::Registry(m) => CliError::Task {
            path: a.model.clone(),
            message: m,
        },
        e => e.into(),
    })?;
    let v = &out.version;
    if a.json {
        let text = serde_json::to_string_pretty(v).map_err(|e| CliError::Usage(e.to_string()))?;
        return emit(None, |w| writeln!(w, "{text}"));
    }
    emit(None, |w| {
        if out.new {
            writeln!(
                w,
                "published {} version {} ({} bytes, sha256 {}) in stage {}",
                a.name,
                v.version,
                v.bytes,
                v.sha256,
                v.stage.name()
            )?;
        } else {
            writeln!(
                w,
                "{} version {} already holds this model (sha256 {}, stage {}); nothing new \
                 registered, and its reports stay those published with it",
                a.name,
                v.version,
                v.sha256,
                v.stage.name()
            )?;
            if let Some(stage) = a.stage.filter(|s| *s != v.stage) {
                writeln!(
                    w,
                    "--stage {} not applied: a published version changes stage by \
                     `aqcast models promote {} {} --to {}`",
                    stage.name(),
                    a.name,
                    v.version,
                    stage.name()
                )?;
            }
        }
        writeln!(w, "model:    {}", objects.url_of(&v.model))?;
        for k in v.report.iter().chain(&v.report_html) {
            writeln!(w, "report:   {}", objects.url_of(k))?;
        }
        writeln!(
            w,
            "registry: {}",
            objects.url_of(&aqcast_core::published::layout::registry(&a.name))
        )
    })
}
