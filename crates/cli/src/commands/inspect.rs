//! `aqcast inspect`: what a model file holds.

use std::path::PathBuf;

use aqcast_core::import::{detect, Format};
use std::fmt::Write as _;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::{files, load_model};

/// Arguments of `aqcast inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// Model file (any kind `aqcast predict` reads).
    model: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// With --json: print the model's complete JSON form (every tree) instead.
    #[arg(long, requires = "json")]
    full: bool,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let bytes = files::read_all(&a.model)?;
    let model = load_model(&a.model)?;
    if a.full {
        let text = model.to_json().map_err(CliError::model(&a.model))?;
        return super::emit(None, |w| writeln!(w, "{text}"));
    }
    let format = match detect(&bytes) {
        Some(Format::Aqcast) => "aqcast artifact",
        Some(Format::LightGbm) => "LightGBM text model",
        Some(Format::Json) if model.metadata.source.starts_with("XGBoost") => "XGBoost JSON model",
        Some(Format::Json) => "aqcast model (JSON form)",
        None => "unknown",
    };
    let heads: Vec<_> = model
        .heads
        .iter()
        .map(|h| {
            let e = &h.ensemble;
            json!({
                "target": h.target,
                "horizon_hours": h.horizon_hours,
                "quantile": h.quantile,
                "trees": e.n_trees(),
                "internal_nodes": e.n_nodes(),
                "leaves": e.n_leaves(),
                "max_depth": e.depths().into_iter().max().unwrap_or(0),
                "precision": e.precision,
                "link": e.link,
                "base_score": e.base_score,
                "average": e.average,
            })
        })
        .collect();
    let summary = json!({
        "file": a.model.display().to_string(),
        "format": format,
        "bytes": bytes.len(),
        "sha256": format!("{:x}", Sha256::digest(&bytes)),
        "name": model.metadata.name,
        "source": model.metadata.source,
        "objective": model.metadata.objective,
        "created": model.metadata.created,
        "features": model.features,
        "named_features": model.named_features,
        "pipeline": model.pipeline.as_ref().map(|p| json!({
            "grid_step_seconds": p.spec.grid.step,
            "inputs": p.spec.inputs.iter().map(|i| i.variable.clone()).collect::<Vec<_>>(),
            "steps": p.spec.steps.len(),
        })),
        "heads": heads,
        "params": model.metadata.params,
        "metrics": model.metadata.metrics,
        "scores": model.metadata.test_scores(),
    });
    if a.json {
        let text = serde_json::to_string_pretty(&summary).unwrap_or_default();
        return super::emit(None, |w| writeln!(w, "{text}"));
    }
    let out = human(&a, format, &bytes, &summary, &model)
        .map_err(|_| CliError::Usage("cannot format the summary".into()))?;
    super::emit(None, |w| w.write_all(out.as_bytes()))
}

fn human(
    a: &Args,
    format: &str,
    bytes: &[u8],
    summary: &serde_json::Value,
    model: &aqcast_core::Model,
) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    writeln!(
        out,
        "{}  ({format}, {} bytes)",
        a.model.display(),
        bytes.len()
    )?;
    writeln!(
        out,
        "  sha256     {}",
        summary["sha256"].as_str().unwrap_or("")
    )?;
    if !model.metadata.name.is_empty() {
        writeln!(out, "  name       {}", model.metadata.name)?;
    }
    writeln!(out, "  source     {}", model.metadata.source)?;
    writeln!(out, "  objective  {}", model.metadata.objective)?;
    if let Some(c) = &model.metadata.created {
        writeln!(out, "  created    {c}")?;
    }
    writeln!(
        out,
        "  features   {} {}: {}",
        model.features.len(),
        if model.named_features {
            "named"
        } else {
            "by position"
        },
        model.features.join(", ")
    )?;
    if let Some(p) = &model.pipeline {
        let inputs: Vec<&str> = p.spec.inputs.iter().map(|i| i.variable.as_str()).collect();
        writeln!(
            out,
            "  pipeline   grid {} s, inputs {}, {} fitted steps",
            p.spec.grid.step,
            inputs.join(", "),
            p.spec.steps.len()
        )?;
    }
    for (i, h) in model.heads.iter().enumerate() {
        let e = &h.ensemble;
        let mut what = if h.target.is_empty() {
            "prediction".to_string()
        } else {
            h.target.clone()
        };
        if let Some(hz) = h.horizon_hours {
            what.push_str(&format!(" at +{hz} h"));
        }
        if let Some(q) = h.quantile {
            what.push_str(&format!(", quantile {q}"));
        }
        writeln!(
            out,
            "  head {i}     {what}: {} trees, {} nodes, {} leaves, depth ≤ {}, \
             {:?} thresholds, {:?} link, base {}",
            e.n_trees(),
            e.n_nodes(),
            e.n_leaves(),
            e.depths().into_iter().max().unwrap_or(0),
            e.precision,
            e.link,
            e.base_score
        )?;
    }
    for (k, v) in &model.metadata.metrics {
        writeln!(out, "  metric     {k} = {v}")?;
    }
    for s in model.metadata.test_scores() {
        write!(out, "  score      step {}: RMSE {}", s.step, s.rmse)?;
        for (name, v) in [
            ("skill", s.skill),
            ("coverage", s.coverage),
            ("width", s.width),
        ] {
            if let Some(v) = v {
                write!(out, ", {name} {v}")?;
            }
        }
        writeln!(out)?;
    }
    Ok(out)
}
