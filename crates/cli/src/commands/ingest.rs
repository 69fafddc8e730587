//! `aqcast ingest`: measurement files → the store.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::CliError;
use aqcast_store::data::Store;
use aqcast_store::ingest::{self, Mapping, Options, Outcome};

/// Arguments of `aqcast ingest`.
#[derive(clap::Args)]
pub struct Args {
    /// Files and folders (read recursively: .csv, .csv.gz, .dat, .dat.gz).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The store: a folder (or file:// URL), or s3://bucket/prefix to share one store
    /// between machines (mirrored locally; AWS_* variables configure it).
    #[arg(long, default_value = "aqcast-store")]
    store: String,
    /// Column mapping for CSVs of no known format: time=COLUMN, site=COLUMN,
    /// poc=COLUMN (a monitor number: the site id becomes SITE:POC), and
    /// VARIABLE=COLUMN[:UNIT] (e.g. pm2.5=daily_mean_pm2_5:ug/m3). Repeat for each column.
    #[arg(long = "map", value_name = "NAME=COLUMN[:UNIT]")]
    maps: Vec<Mapping>,
    /// Site id for files with no site column (default: the file's name without extensions).
    #[arg(long)]
    site: Option<String>,
    /// Fail on the first rejected value instead of quarantining it.
    #[arg(long)]
    strict: bool,
    /// Move each file, once taken, into this folder.
    #[arg(long)]
    archive: Option<PathBuf>,
    /// The timestamp format of mapped and wide files, in chrono's strftime syntax
    /// (`%m/%d/%y`, `%d/%m/%Y %H:%M`); a format without a time reads dates at midnight.
    #[arg(long, value_name = "FORMAT")]
    time_format: Option<String>,
    /// The offset from UTC of mapped and wide files' timestamps, for files in local time
    /// (`+08:00` for Beijing, `-05:00` for US Eastern Standard Time).
    #[arg(
        long,
        value_name = "±HH:MM",
        allow_hyphen_values = true,
        conflicts_with = "timezone"
    )]
    utc_offset: Option<String>,
    /// The time zone of the files' local timestamps by name (IANA: `Asia/Shanghai`,
    /// `America/New_York`, `Europe/London`), summer time included: a local time that
    /// occurs twice is taken as the first, one that never occurs is rejected.
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
}

/// `±HH:MM` (or `±HH`) as seconds.
pub(crate) fn parse_offset(s: &str) -> Result<i64, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--utc-offset {s:?}: expected ±HH:MM, e.g. +08:00 or -05:00"
        ))
    };
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

pub fn run(a: Args) -> Result<(), CliError> {
    let shared = aqcast_store::shared::is_remote(&a.store)
        .then(|| aqcast_store::shared::SharedData::open(&a.store))
        .transpose()?;
    let store = match &shared {
        Some(s) => {
            s.pull()?;
            Store::open(&s.mirror().display().to_string())?
        }
        None => Store::open(&a.store)?,
    };
    let opts = Options {
        paths: a.paths,
        maps: a.maps,
        site: a.site,
        strict: a.strict,
        archive: a.archive,
        clock: ingest::formats::Clock {
            format: a.time_format,
            utc_offset: a
                .utc_offset
                .as_deref()
                .map(parse_offset)
                .transpose()?
                .unwrap_or(0),
            timezone: a
                .timezone
                .as_deref()
                .map(|z| {
                    z.parse::<chrono_tz::Tz>().map_err(|_| {
                        CliError::Usage(format!(
                            "--timezone {z:?} is not a time zone name (IANA names: Asia/Shanghai, America/New_York, Europe/London, UTC)"
                        ))
                    })
                })
                .transpose()?,
        },
    };
    let outcomes = ingest::run(&store, &opts)?;
    let mut table = vec![[
        "file".to_string(),
        "outcome".into(),
        "format".into(),
        "lines".into(),
        "taken".into(),
        "missing".into(),
        "repeated".into(),
        "rejected".into(),
        "sites".into(),
        "from".into(),
        "to".into(),
    ]];
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut refused = Vec::new();
    let mut quarantines = Vec::new();
    for (path, o) in &outcomes {
        let name = path.display().to_string();
        match o {
            Outcome::Taken(t) | Outcome::AlreadyTaken(t) => {
                let fresh = matches!(o, Outcome::Taken(_));
                if fresh {
                    for (r, n) in &t.rejected_by_reason {
                        *reasons.entry(r.clone()).or_default() += n;
                    }
                    if let Some(q) = &t.quarantine {
                        quarantines.push(store.root().join(q).display().to_string());
                    }
                }
                table.push([
                    name,
                    if fresh { "taken" } else { "already taken" }.into(),
                    t.format.clone(),
                    t.lines.to_string(),
                    t.observations.to_string(),
                    t.missing.to_string(),
                    t.repeated.to_string(),
                    t.rejected.to_string(),
                    t.sites.len().to_string(),
                    t.start.clone().unwrap_or_default(),
                    t.end.clone().unwrap_or_default(),
                ]);
            }
            Outcome::Refused(e) => {
                let mut row: [String; 11] = Default::default();
                row[0] = name;
                row[1] = "refused".into();
                table.push(row);
                refused.push(e.to_string());
            }
        }
    }
    let widths: Vec<usize> = (0..11)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if (3..9).contains(&c) {
                    format!("{s:>w$}", w = widths[c])
                } else {
                    format!("{s:<w$}", w = widths[c])
                }
            })
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    if !reasons.is_empty() {
        println!("\nrejected values by reason:");
        for (r, n) in &reasons {
            println!("  {r:<24}{n:>10}");
        }
        for q in &quarantines {
            println!("  quarantined in {q}");
        }
    }
    if let Some(s) = &shared {
        let moved = s.push()?;
        println!(
            "\n{}: {} objects ({} bytes) exchanged with the shared store",
            a.store, moved.objects, moved.bytes
        );
    }
    // Station data published from this store is refreshed: the snapshots are what the
    // edge worker and the dashboard forecast from.
    if outcomes.len() > refused.len() {
        if let Some(n) = refresh_published(&a.store)? {
            println!(
                "refreshed the station list and {n} snapshots in {}",
                a.store
            );
        }
    }
    // One line per refused file, each saying what and where; nothing of it was stored.
    match refused.split_last() {
        None => Ok(()),
        Some((last, others)) => {
            for r in others {
                eprintln!("error: {r} (nothing of this file was stored)");
            }
            Err(CliError::Usage(format!(
                "{last} (nothing of this file was stored{})",
                if outcomes.len() > refused.len() {
                    "; the other files were taken"
                } else {
                    ""
                }
            )))
        }
    }
}

/// Refreshes the station list and snapshots published in `store`, if any are: what the
/// edge worker and the dashboard forecast from. Returns how many snapshots were written
/// (those of the stations whose data changed).
pub fn refresh_published(store: &str) -> Result<Option<usize>, CliError> {
    let objects = aqcast_store::Objects::open_existing(store)?;
    if objects
        .get(aqcast_core::published::layout::STATIONS)?
        .is_none()
    {
        return Ok(None);
    }
    let summary = super::stations::publish(&super::stations::PublishArgs {
        store: store.to_string(),
        data: None,
        stations: None,
        days: super::stations::published_days(&objects).unwrap_or(super::stations::DEFAULT_DAYS),
        full: false,
    })?;
    Ok(Some(summary.refreshed))
}
