//! `aqcast forecast`: the forecast of a station from a forecasting model and the latest
//! observations in the store, computed by the core's one forecast function.

use std::io::Write;
use std::path::PathBuf;

use aqcast_core::forecast::Forecast;

use crate::commands::emit;
use crate::error::CliError;
use crate::load_model;

/// Arguments of `aqcast forecast`.
#[derive(clap::Args)]
pub struct Args {
    /// The forecasting model (.aqm trained from a task with a [forecast] section).
    #[arg(long)]
    model: PathBuf,
    /// The store holding the station's observations.
    #[arg(long, default_value = "aqcast-store")]
    store: String,
    /// The station (default: the site the model was trained on).
    #[arg(long)]
    site: Option<String>,
    /// Forecast as of this time (YYYY-MM-DD HH:MM:SS, UTC): only observations up to its
    /// grid step are used. Default: the latest observation of the target.
    #[arg(long)]
    at: Option<String>,
    /// The bands: `tracked` (the model's calibration as the station's own misses since
    /// training have moved it, replayed from the store) or `artifact` (the calibration
    /// the model was trained with). Models without tracking always use the artifact's.
    #[arg(long, value_enum, default_value_t = Bands::Tracked)]
    bands: Bands,
    /// The weather forecast issued at the origin, for a model that reads the weather
    /// ahead: CSV with `time` (UTC) and a column per variable it reads (`ws`, `wd`,
    /// `temp`, …) in the store's units. Only its values after the origin are read.
    #[arg(long)]
    weather: Option<PathBuf>,
    /// Print the forecast as JSON.
    #[arg(long)]
    json: bool,
}

/// Which calibration the bands use.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Bands {
    /// Followed the station's misses since training.
    Tracked,
    /// As trained.
    Artifact,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let model = load_model(&a.model)?;
    let forecaster = model.forecaster().map_err(CliError::model(&a.model))?;
    let at =
        a.at.as_ref()
            .map(|t| {
                aqcast_core::time::parse_datetime(t).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--at {t:?} is not a timestamp (YYYY-MM-DD HH:MM:SS)"
                    ))
                })
            })
            .transpose()?;
    let site = a
        .site
        .clone()
        .or_else(|| model.metadata.params.get("site").cloned())
        .ok_or_else(|| CliError::Task {
            path: a.model.clone(),
            message: "the model does not name its station; give --site".into(),
        })?;
    let store = crate::datastore::open_read(&a.store)?;
    // A site the model knows must be in the store (one it does not know, the forecaster
    // refuses by name).
    let stations = &forecaster.spec().stations;
    if stations.is_empty() || stations.iter().any(|s| s.id == site) {
        crate::datastore::require_site(&store, &site)?;
    }
    let series = store.read_inputs(&site, &forecaster.pipeline().spec.inputs)?;
    let failed = |e: aqcast_core::forecast::Error| CliError::Forecast {
        model: a.model.clone(),
        site: site.clone(),
        source: e.into(),
    };
    let tracked = match a.bands {
        Bands::Tracked => {
            crate::tracking::track(&model, &forecaster, &series, at, &site).map_err(failed)?
        }
        Bands::Artifact => None,
    };
    let ahead = a
        .weather
        .as_deref()
        .map(crate::weather::read)
        .transpose()?
        .unwrap_or_default();
    if a.weather.is_some() && forecaster.spec().ahead_variables().is_empty() {
        return Err(CliError::Usage(format!(
            "--weather: the model {} reads no weather ahead; leave the option out",
            a.model.display()
        )));
    }
    let f = forecaster
        .forecast_ahead(&series, &ahead, at, Some(&site), tracked.as_ref())
        .map_err(failed)?;
    if a.json {
        let text = serde_json::to_string_pretty(&f).map_err(|e| CliError::Usage(e.to_string()))?;
        return emit(None, |w| writeln!(w, "{text}"));
    }
    let since = forecaster.spec().track_since;
    emit(None, |w| print(w, &site, &f, since))
}

/// A span of seconds as a person says it: hours, or days past two.
fn span(seconds: i64) -> String {
    let hours = seconds.max(0) / 3600;
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else if hours == 1 {
        "1 hour".into()
    } else {
        format!("{hours} hours")
    }
}

fn print(
    w: &mut dyn Write,
    site: &str,
    f: &Forecast,
    track_since: Option<i64>,
) -> std::io::Result<()> {
    let fmt = aqcast_core::time::format_datetime;
    writeln!(
        w,
        "{} forecast for {site} from {} (latest measurement {}), {} on the {} scale",
        f.pollutant.label(),
        fmt(f.origin),
        fmt(f.data_time),
        f.unit,
        match f.scale {
            aqcast_core::aqi::Scale::Epa => "US EPA AQI",
            aqcast_core::aqi::Scale::Eea => "European AQI",
        }
    )?;
    match (f.tracked, track_since) {
        (Some(_), Some(since)) => writeln!(
            w,
            "bands: the model's calibration, moved by {} of measurements at this station since training",
            span(f.origin - since)
        )?,
        (Some(n), None) => writeln!(
            w,
            "bands: the model's calibration, moved by {n} forecasts checked at this station since training"
        )?,
        (None, _) => writeln!(w, "bands: the model's calibration, as trained")?,
    }
    if !f.ahead.is_empty() {
        writeln!(
            w,
            "weather ahead: {} from the forecast given",
            f.ahead.join(", ")
        )?;
    }
    writeln!(
        w,
        "{:<19} {:>5} {:>8} {:>8} {:>8} {:>4}  {:<30} most likely",
        "time (UTC)", "ahead", "P10", "P50", "P90", "AQI", "category"
    )?;
    for s in &f.steps {
        let name = |i: usize| f.categories.get(i).map_or("?", |c| c.name.as_str());
        let (best, p) = s
            .probabilities
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or((0, 0.0), |(i, p)| (i, *p));
        writeln!(
            w,
            "{:<19} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>4}  {:<30} {} {:.0} %",
            fmt(s.time),
            s.step,
            s.p10,
            s.p50,
            s.p90,
            s.aqi,
            name(usize::from(s.category)),
            name(best),
            100.0 * p
        )?;
    }
    Ok(())
}
