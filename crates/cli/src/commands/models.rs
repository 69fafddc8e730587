//! `aqcast models list|show|promote|archive|tag|compare|get`: the registry.

use std::io::Write;
use std::path::PathBuf;

use aqcast_core::published::{Registry, Stage, Version};
use aqcast_store::{registry, Objects};

use crate::commands::emit;
use crate::commands::publish::parse_stage;
use crate::error::CliError;
use crate::files;

/// Arguments of `aqcast models`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// The object store: a folder, or s3://bucket/prefix.
    #[arg(long, global = true, default_value = "aqcast-store")]
    store: String,
}

/// A version is named by a selector: its number (`3` or `v3`), a stage (its latest
/// version there), a tag, or `latest`.
#[derive(clap::Subcommand)]
enum Command {
    /// Every model name with its versions' stages.
    List,
    /// One model's versions, or one version in full.
    Show {
        /// The model name.
        name: String,
        /// A version selector (number, stage, tag or `latest`).
        version: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move a version to a stage (entering production retires the version that served).
    Promote {
        /// The model name.
        name: String,
        /// A version selector.
        version: String,
        /// The stage: dev, staging, production or archived.
        #[arg(long, value_parser = parse_stage)]
        to: Stage,
        /// Why (kept in the version's history).
        #[arg(long)]
        note: Option<String>,
    },
    /// Retire a version (stage `archived`).
    Archive {
        /// The model name.
        name: String,
        /// A version selector.
        version: String,
    },
    /// Add (or with --remove, remove) a tag.
    Tag {
        /// The model name.
        name: String,
        /// A version selector.
        version: String,
        /// The tag.
        tag: String,
        /// Remove the tag instead.
        #[arg(long)]
        remove: bool,
    },
    /// Two versions side by side, per step ahead.
    Compare {
        /// The model name.
        name: String,
        /// A version selector.
        a: String,
        /// Another.
        b: String,
    },
    /// Download a version's artifact (its hash checked) to a file.
    Get {
        /// The model name.
        name: String,
        /// A version selector.
        version: String,
        /// Where to write it.
        #[arg(short, long)]
        output: PathBuf,
    },
}

fn resolve<'r>(doc: &'r Registry, selector: &str) -> Result<&'r Version, CliError> {
    doc.resolve(selector)
        .map_err(|e| CliError::Usage(e.to_string()))
}

pub fn run(a: Args) -> Result<(), CliError> {
    let objects = Objects::open_existing(&a.store)?;
    match a.command {
        Command::List => {
            let names = registry::names(&objects)?;
            let docs = names
                .iter()
                .map(|n| registry::get(&objects, n))
                .collect::<Result<Vec<_>, _>>()?;
            emit(None, |w| {
                if docs.is_empty() {
                    return writeln!(
                        w,
                        "no models in {} (aqcast publish adds one)",
                        objects.location()
                    );
                }
                writeln!(
                    w,
                    "{:<24} {:>8} {:>10} {:>10} {:>8}  kind",
                    "name", "versions", "production", "staging", "latest"
                )?;
                for d in &docs {
                    let at = |s: Stage| {
                        d.latest(Some(s))
                            .map_or("-".to_string(), |v| format!("v{}", v.version))
                    };
                    writeln!(
                        w,
                        "{:<24} {:>8} {:>10} {:>10} {:>8}  {}",
                        d.name,
                        d.versions.len(),
                        at(Stage::Production),
                        at(Stage::Staging),
                        d.latest(None)
                            .map_or("-".to_string(), |v| format!("v{}", v.version)),
                        d.latest(None).map_or("", |v| v.kind.as_str())
                    )?;
                }
                Ok(())
            })
        }
        Command::Show {
            name,
            version,
            json,
        } => {
            let doc = registry::get(&objects, &name)?;
            match version {
                Some(sel) => {
                    let v = resolve(&doc, &sel)?;
                    if json {
                        let t = serde_json::to_string_pretty(v)
                            .map_err(|e| CliError::Usage(e.to_string()))?;
                        return emit(None, |w| writeln!(w, "{t}"));
                    }
                    emit(None, |w| show_version(w, &objects, &name, v))
                }
                None => {
                    if json {
                        let t = String::from_utf8_lossy(&doc.to_json()).into_owned();
                        return emit(None, |w| write!(w, "{t}"));
                    }
                    emit(None, |w| {
                        writeln!(
                            w,
                            "{} (revision {}, updated {})",
                            doc.name, doc.revision, doc.updated
                        )?;
                        writeln!(
                            w,
                            "{:>7}  {:<10} {:<20} {:>9} {:>8} {:>9}  {:<12} tags",
                            "version", "stage", "published", "rmse", "skill", "coverage", "sha256"
                        )?;
                        for v in &doc.versions {
                            let m = |k: &str| {
                                v.metrics
                                    .summary
                                    .get(k)
                                    .map_or("-".into(), |x| format!("{x:.3}"))
                            };
                            writeln!(
                                w,
                                "{:>7}  {:<10} {:<20} {:>9} {:>8} {:>9}  {:<12} {}",
                                format!("v{}", v.version),
                                v.stage.name(),
                                v.provenance.published,
                                m("rmse"),
                                m("skill"),
                                m("coverage"),
                                &v.sha256[..12],
                                v.tags.join(",")
                            )?;
                        }
                        Ok(())
                    })
                }
            }
        }
        Command::Promote {
            name,
            version,
            to,
            note,
        } => {
            let n = registry::promote(&objects, &name, &version, to, note.as_deref())?;
            let serving = serving_note(&objects, &name)?;
            emit(None, |w| {
                writeln!(w, "{name} v{n} is now in {}", to.name())?;
                serving.map_or(Ok(()), |s| writeln!(w, "{s}"))
            })
        }
        Command::Archive { name, version } => {
            let n = registry::promote(&objects, &name, &version, Stage::Archived, None)?;
            let serving = serving_note(&objects, &name)?;
            emit(None, |w| {
                writeln!(w, "{name} v{n} is now archived")?;
                serving.map_or(Ok(()), |s| writeln!(w, "{s}"))
            })
        }
        Command::Tag {
            name,
            version,
            tag,
            remove,
        } => {
            let (n, changed) = registry::tag(&objects, &name, &version, &tag, remove)?;
            emit(None, |w| {
                writeln!(
                    w,
                    "{name} v{n}: tag {tag:?} {}",
                    match (remove, changed) {
                        (true, true) => "removed",
                        (true, false) => "was not there: nothing changed",
                        (false, true) => "added",
                        (false, false) => "was already there: nothing changed",
                    }
                )
            })
        }
        Command::Compare { name, a: sa, b: sb } => {
            let doc = registry::get(&objects, &name)?;
            let (a, b) = (resolve(&doc, &sa)?, resolve(&doc, &sb)?);
            emit(None, |w| compare(w, a, b))
        }
        Command::Get {
            name,
            version,
            output,
        } => {
            let doc = registry::get(&objects, &name)?;
            let v = resolve(&doc, &version)?;
            let bytes = registry::fetch_model(&objects, v)?;
            files::write_atomic(&output, |w| w.write_all(&bytes))?;
            emit(None, |w| {
                writeln!(
                    w,
                    "{name} v{} ({} bytes, sha256 verified) -> {}",
                    v.version,
                    bytes.len(),
                    output.display()
                )
            })
        }
    }
}

/// What serves `name` once no version is in production (said after a promotion or an
/// archiving left none there): the latest version not archived, or nothing.
fn serving_note(objects: &Objects, name: &str) -> Result<Option<String>, CliError> {
    let doc = registry::get(objects, name)?;
    if doc.latest(Some(Stage::Production)).is_some() {
        return Ok(None);
    }
    let fallback = doc
        .versions
        .iter()
        .rev()
        .find(|v| v.stage != Stage::Archived);
    Ok(Some(match fallback {
        Some(v) => format!(
            "warning: no version of {name} is in production: stations are served by v{} \
             ({}), the latest not archived, until one is promoted",
            v.version,
            v.stage.name()
        ),
        None => format!(
            "warning: every version of {name} is archived: nothing serves it until one is \
             promoted (aqcast models promote {name} N --to production)"
        ),
    }))
}

fn show_version(
    w: &mut dyn Write,
    objects: &Objects,
    name: &str,
    v: &Version,
) -> std::io::Result<()> {
    writeln!(
        w,
        "{name} v{} — {} ({} model)",
        v.version,
        v.stage.name(),
        v.kind
    )?;
    writeln!(w, "sha256      {}", v.sha256)?;
    writeln!(
        w,
        "model       {} ({} bytes)",
        objects.url_of(&v.model),
        v.bytes
    )?;
    for k in v.report.iter().chain(&v.report_html) {
        writeln!(w, "report      {}", objects.url_of(k))?;
    }
    if !v.tags.is_empty() {
        writeln!(w, "tags        {}", v.tags.join(", "))?;
    }
    if !v.stations.is_empty() {
        let shown: Vec<&str> = v.stations.iter().take(8).map(String::as_str).collect();
        let more = v.stations.len().saturating_sub(shown.len());
        writeln!(
            w,
            "stations    {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )?;
    }
    let p = &v.provenance;
    writeln!(
        w,
        "trained     {} by {}",
        p.trained.as_deref().unwrap_or("?"),
        p.source
    )?;
    if let Some(t) = &p.task {
        writeln!(
            w,
            "task        {t} (sha256 {})",
            p.task_sha256.as_deref().unwrap_or("?")
        )?;
    }
    for d in &p.data {
        writeln!(w, "data        {} ({})", d.name, d.hash)?;
    }
    writeln!(w, "published   {} by {}", p.published, p.published_by)?;
    for h in &v.history {
        writeln!(
            w,
            "history     {} {} by {}{}",
            h.at,
            h.stage.name(),
            h.by,
            h.note.as_ref().map_or(String::new(), |n| format!(" ({n})"))
        )?;
    }
    for (k, x) in &v.metrics.summary {
        writeln!(w, "{:<15}{x:.4}", format!("mean {k}"))?;
    }
    Ok(())
}

fn compare(w: &mut dyn Write, a: &Version, b: &Version) -> std::io::Result<()> {
    let (na, nb) = (format!("v{}", a.version), format!("v{}", b.version));
    writeln!(w, "{:<10} {:>22} {:>22}", "", na, nb)?;
    writeln!(
        w,
        "{:<10} {:>22} {:>22}",
        "stage",
        a.stage.name(),
        b.stage.name()
    )?;
    writeln!(
        w,
        "{:<10} {:>22} {:>22}",
        "trained",
        a.provenance.trained.as_deref().unwrap_or("?"),
        b.provenance.trained.as_deref().unwrap_or("?")
    )?;
    writeln!(w, "{:<10} {:>22} {:>22}", "bytes", a.bytes, b.bytes)?;
    let mut keys: Vec<&String> = a
        .metrics
        .summary
        .keys()
        .chain(b.metrics.summary.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let f = |v: &Version| {
            v.metrics
                .summary
                .get(k)
                .map_or("-".into(), |x| format!("{x:.4}"))
        };
        writeln!(w, "{:<10} {:>22} {:>22}", format!("mean {k}"), f(a), f(b))?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "{:>5}  {:>9} {:>9} {:>9}  {:>7} {:>7}  {:>8} {:>8}",
        "step",
        format!("rmse {na}"),
        format!("{nb}"),
        "Δ",
        "skill",
        "skill",
        "coverage",
        "coverage"
    )?;
    let steps: std::collections::BTreeSet<u32> = a
        .metrics
        .per_step
        .iter()
        .chain(&b.metrics.per_step)
        .map(|s| s.step)
        .collect();
    let get = |v: &'_ Version, s: u32| v.metrics.per_step.iter().find(|m| m.step == s).cloned();
    let opt = |x: Option<f64>, p: usize| x.map_or("-".to_string(), |x| format!("{x:.p$}"));
    for s in steps {
        let (ma, mb) = (get(a, s), get(b, s));
        let ra = ma.as_ref().map(|m| m.rmse);
        let rb = mb.as_ref().map(|m| m.rmse);
        let d = ra.zip(rb).map(|(x, y)| y - x);
        writeln!(
            w,
            "{:>5}  {:>9} {:>9} {:>9}  {:>7} {:>7}  {:>8} {:>8}",
            s,
            opt(ra, 3),
            opt(rb, 3),
            d.map_or("-".into(), |d| format!("{d:+.3}")),
            opt(ma.as_ref().and_then(|m| m.skill), 3),
            opt(mb.as_ref().and_then(|m| m.skill), 3),
            opt(ma.as_ref().and_then(|m| m.coverage), 3),
            opt(mb.as_ref().and_then(|m| m.coverage), 3),
        )?;
    }
    Ok(())
}
