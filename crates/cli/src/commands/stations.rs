//! `aqcast stations publish`: the station list (`stations.json`) and, per station, a
//! snapshot of its latest observations (`stations/<site>/recent.json`), from the data
//! store and the registry. Run it after each ingest: the snapshots are what the edge
//! worker and the dashboard forecast from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aqcast_core::aqi::Scale;
use aqcast_core::pollutant::{Pollutant, Unit};
use aqcast_core::published::{
    self, layout, Latest, Observation, Snapshot, Stage, Station, Stations, TrackedBands,
};
use aqcast_core::Model;
use aqcast_store::{registry, Objects};

use crate::commands::emit;
use crate::error::CliError;
use aqcast_store::ingest::vocab;

/// Arguments of `aqcast stations`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write stations.json and every station's snapshot.
    Publish(PublishArgs),
}

/// Arguments of `aqcast stations publish`.
#[derive(clap::Args)]
pub struct PublishArgs {
    /// The object store to publish to: a folder, or s3://bucket/prefix.
    #[arg(long, default_value = "aqcast-store")]
    pub store: String,
    /// The data store holding the observations (default: the --store location).
    #[arg(long)]
    pub data: Option<String>,
    /// A station list (CSV with code/id, lat, lon and optionally name) for coordinates
    /// and names the data does not carry.
    #[arg(long)]
    pub stations: Option<PathBuf>,
    /// Days of observations every snapshot keeps, beyond what its models read before a
    /// forecast's origin: each of these days can be forecast again from what was known
    /// the day before (the dashboard's "measured against what was forecast").
    #[arg(long, default_value_t = DEFAULT_DAYS)]
    pub days: u32,
    /// Write every station's snapshot, not only those whose data or models changed since
    /// the last publication.
    #[arg(long)]
    pub full: bool,
}

/// Days every snapshot keeps at least, unless told otherwise.
pub const DEFAULT_DAYS: u32 = 8;

/// What a model needs of a station's data.
struct Need {
    name: String,
    /// The version's number and artifact hash, model and forecaster (its bands are
    /// tracked per station).
    version: u32,
    sha256: String,
    model: std::rc::Rc<(Model, aqcast_core::forecast::Forecaster)>,
    variables: Vec<String>,
    seconds: i64,
    /// What the model forecasts, in which unit, on which AQI scale.
    rates: (Pollutant, Unit, Scale),
}

pub fn run(a: Args) -> Result<(), CliError> {
    match a.command {
        Command::Publish(p) => {
            let summary = publish(&p)?;
            emit(None, |w| {
                writeln!(
                    w,
                    "published {} stations ({} served by a model; {} snapshots refreshed, the others unchanged; {} forecasts published in {:.2} s) to {}",
                    summary.stations.stations.len(),
                    summary.served,
                    summary.refreshed,
                    summary.forecasts,
                    summary.forecasting.as_secs_f64(),
                    summary.url
                )?;
                for s in summary.stations.stations.iter().take(5) {
                    writeln!(
                        w,
                        "  {:<24} {:<28} latest {}  models: {}",
                        s.id,
                        s.pollutants.join(","),
                        s.data_time
                            .map_or("-".into(), aqcast_core::time::format_datetime),
                        if s.models.is_empty() {
                            "-".into()
                        } else {
                            s.models.join(", ")
                        }
                    )?;
                }
                if summary.stations.stations.len() > 5 {
                    writeln!(w, "  … and {} more", summary.stations.stations.len() - 5)?;
                }
                Ok(())
            })
        }
    }
}

/// What is known of a station's place: its name, where it is, whom to credit.
#[derive(Default)]
struct Place {
    name: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    credit: Option<published::Credit>,
}

impl Place {
    /// What `newer` knows replaces what is known; what it does not know stays.
    fn learn(&mut self, newer: Place) {
        if let (Some(lat), Some(lon)) = (newer.lat, newer.lon) {
            (self.lat, self.lon) = (Some(lat), Some(lon));
        }
        self.name = newer.name.or(self.name.take());
        self.credit = newer.credit.or(self.credit.take());
    }
}

/// A station's last 12 months of each pollutant with a WHO guideline, from its whole
/// record (`series`: variable, then (time, value) in the store's unit of the variable).
fn who_summary(site: &str, series: &[(String, Vec<(i64, f64)>)], now: &str) -> published::Summary {
    use aqcast_core::pollutant::{Pollutant, Unit};
    let pollutants = series
        .iter()
        .filter_map(|(var, s)| {
            let p: Pollutant = var.parse().ok()?;
            let g = aqcast_core::who::guideline(p)?;
            let unit: Unit = vocab::named(var)
                .as_ref()
                .and_then(vocab::Variable::unit)?
                .parse()
                .ok()?;
            let values: Vec<(i64, f64)> = s
                .iter()
                .filter_map(|&(t, v)| Some((t, p.convert(v, unit, g.unit).ok()?)))
                .collect();
            let months = aqcast_core::who::months(&values, &g, 12);
            (!months.is_empty()).then(|| published::PollutantMonths {
                variable: var.clone(),
                guideline: g,
                months,
            })
        })
        .collect();
    published::Summary {
        format: published::FORMAT,
        site: site.to_string(),
        generated: now.to_string(),
        pollutants,
    }
}

/// The nearest sizeable place to a station whose coordinates are known.
fn near(fact: Option<&Place>) -> Option<published::Near> {
    let f = fact?;
    crate::places::near(f.lat?, f.lon?)
}

/// Where the station data's publication state is kept (in the object store, not
/// published to readers).
const STATE: &str = "state/stations-publish.json";

/// The format of [`PublishState`]: a state of another format is not read, so every
/// station is refreshed once (2: each station's `summary.json` is written with its
/// snapshot; 3: and its forecasts, and the state names each model version by name and
/// hash; a store published before has none).
const STATE_FORMAT: u32 = 3;

/// What the last publication built the snapshots from: how far it had read the data
/// store's manifest (which only grows: the files taken since name the stations whose
/// data changed), and per station the model versions its snapshot tracked.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct PublishState {
    format: u32,
    /// Manifest files read.
    files: usize,
    /// The BLAKE3 of the last of them (a manifest rewritten since means: refresh all).
    last: String,
    /// `--days`.
    days: u32,
    /// Per station, each model version its snapshot tracked (`<name>@<sha256>`).
    stations: BTreeMap<String, Vec<String>>,
}

/// What `publish` wrote.
pub struct Summary {
    /// The station list written.
    pub stations: Stations,
    /// Stations with at least one model.
    pub served: usize,
    /// Stations whose snapshot was written (the others' data and models had not changed).
    pub refreshed: usize,
    /// Forecasts published with those snapshots (one per station and serving model that
    /// can forecast from its latest data).
    pub forecasts: usize,
    /// The time spent making them.
    pub forecasting: std::time::Duration,
    /// Where stations.json is.
    pub url: String,
}

/// Writes the station list and the snapshots (used by the pipeline too).
pub fn publish(a: &PublishArgs) -> Result<Summary, CliError> {
    // The data first: a mistyped store is an error that leaves no folder behind.
    let data_location =
        match &a.data {
            Some(d) => d.clone(),
            None if !a.store.contains("://") => a.store.clone(),
            None if a.store.starts_with("file://") => a.store["file://".len()..].to_string(),
            None => return Err(CliError::Usage(
                "the object store is remote: give --data, the local store holding the observations"
                    .into(),
            )),
        };
    let data = crate::datastore::open_read(&data_location)?;
    let objects = Objects::open(&a.store)?;
    let mut variables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (site, var, _) in data.partitions()? {
        // Quality flags (`no2.verification`) stay in the store.
        if !vocab::is_flag(&var) {
            variables.entry(site).or_default().push(var);
        }
    }
    // Names, coordinates and credits: what the last station list knew (a refresh after an
    // ingest keeps it), then what the data say (EPA AirData, OpenAQ and every fetched
    // source name their sites), then a station file, then what the models know.
    let mut facts: BTreeMap<String, Place> = BTreeMap::new();
    let mut old_list: BTreeMap<String, Station> = BTreeMap::new();
    if let Some(f) = objects.get(layout::STATIONS)? {
        if let Ok(old) = Stations::from_json(&f.bytes) {
            for s in old.stations {
                old_list.insert(s.id.clone(), s.clone());
                facts.insert(
                    s.id,
                    Place {
                        name: s.name,
                        lat: s.lat,
                        lon: s.lon,
                        credit: s.source,
                    },
                );
            }
        }
    }
    let manifest = data.manifest()?;
    for f in &manifest.files {
        for (site, sf) in &f.site_facts {
            let credit = published::Credit::of(
                sf.network.clone(),
                sf.licence.clone(),
                sf.attribution.clone(),
            );
            facts.entry(site.clone()).or_default().learn(Place {
                name: sf.name.clone(),
                lat: sf.lat,
                lon: sf.lon,
                credit,
            });
        }
    }
    if let Some(path) = &a.stations {
        for s in crate::commands::features::read_stations(path)? {
            facts.entry(s.id.clone()).or_default().learn(Place {
                lat: Some(s.lat),
                lon: Some(s.lon),
                ..Place::default()
            });
        }
    }
    // Which models serve which station, and what they read: the production version of
    // each name, else its latest version not archived.
    let mut needs: BTreeMap<String, Vec<Need>> = BTreeMap::new();
    for name in registry::names(&objects)? {
        let doc = registry::get(&objects, &name)?;
        let Some(v) = doc.latest(Some(Stage::Production)).or_else(|| {
            doc.versions
                .iter()
                .rev()
                .find(|v| v.stage != Stage::Archived)
        }) else {
            continue;
        };
        if v.kind != "forecast" {
            tracing::warn!(
                "{name} v{} is a {} model, not a forecasting one: no station is forecast by it",
                v.version,
                v.kind
            );
            continue;
        }
        let bytes = registry::fetch_model(&objects, v)?;
        let model = Model::decode(&bytes).map_err(CliError::model(objects.url_of(&v.model)))?;
        let Some(spec) = &model.forecast else {
            continue;
        };
        for s in &spec.stations {
            let place = facts.entry(s.id.clone()).or_default();
            if place.lat.is_none() {
                (place.lat, place.lon) = (Some(s.lat), Some(s.lon));
            }
        }
        let fc = model
            .forecaster()
            .map_err(CliError::model(objects.url_of(&v.model)))?;
        let p = fc.pipeline();
        let step = p.spec.grid.step;
        let seconds = (i64::from(p.history_steps()) + 2) * step;
        let vars: Vec<String> = p.spec.inputs.iter().map(|i| i.variable.clone()).collect();
        let rates = (spec.pollutant, spec.unit, spec.scale);
        let shared = std::rc::Rc::new((model.clone(), fc));
        for site in &v.stations {
            needs.entry(site.clone()).or_default().push(Need {
                name: name.clone(),
                version: v.version,
                sha256: v.sha256.clone(),
                model: shared.clone(),
                variables: vars.clone(),
                seconds,
                rates,
            });
        }
    }
    let now = registry::now();
    let min_seconds = i64::from(a.days) * 86_400;
    let mut list = Vec::new();
    let mut served = 0;
    // Which stations' data changed since the last publication: the sites of the data
    // files taken since (the manifest only grows). None: all of them.
    let last = read_state(&objects).filter(|s| !a.full && s.days == a.days);
    let changed: Option<BTreeSet<&str>> = last.as_ref().and_then(|s| {
        let files = &manifest.files;
        let same_start = s.files <= files.len()
            && (s.files == 0 || files.get(s.files - 1).is_some_and(|f| f.blake3 == s.last));
        same_start.then(|| {
            files[s.files..]
                .iter()
                .flat_map(|f| f.sites.iter().map(String::as_str))
                .collect()
        })
    });
    let mut state = PublishState {
        format: STATE_FORMAT,
        files: manifest.files.len(),
        last: manifest
            .files
            .last()
            .map(|f| f.blake3.clone())
            .unwrap_or_default(),
        days: a.days,
        stations: BTreeMap::new(),
    };
    let mut refreshed = 0;
    let mut forecasts = 0;
    let mut forecasting = std::time::Duration::ZERO;
    for (site, vars) in &variables {
        let need = needs.get(site.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let versions: Vec<String> = need
            .iter()
            .map(|n| format!("{}@{}", n.name, n.sha256))
            .collect();
        let fact = facts.get(site.as_str());
        let mut models: Vec<String> = need.iter().map(|n| n.name.clone()).collect();
        models.dedup();
        if !need.is_empty() {
            served += 1;
        }
        state.stations.insert(site.clone(), versions.clone());
        // A station whose data and models are as they were keeps its snapshot.
        let unchanged = changed.as_ref().is_some_and(|c| !c.contains(site.as_str()))
            && last
                .as_ref()
                .and_then(|l| l.stations.get(site))
                .is_some_and(|v| *v == versions);
        if let (true, Some(old)) = (unchanged, old_list.get(site)) {
            list.push(Station {
                name: fact.and_then(|f| f.name.clone()),
                lat: fact.and_then(|f| f.lat),
                lon: fact.and_then(|f| f.lon),
                pollutants: vars.clone(),
                models,
                source: fact.and_then(|f| f.credit.clone()),
                near: near(fact),
                ..old.clone()
            });
            continue;
        }
        refreshed += 1;
        let mut wanted: BTreeSet<&str> = vars.iter().map(String::as_str).collect();
        for n in need {
            wanted.extend(n.variables.iter().map(String::as_str));
        }
        let window = need.iter().map(|n| n.seconds).max().unwrap_or(0) + min_seconds;
        let mut series = Vec::new();
        for var in &wanted {
            if !vars.iter().any(|v| v == var) {
                continue;
            }
            series.push((var.to_string(), data.read_series(site, var, &manifest)?));
        }
        let data_time = series
            .iter()
            .filter_map(|(_, s)| s.iter().map(|(t, _)| *t).max())
            .max();
        let mut snapshot = Snapshot {
            format: published::SNAPSHOT_FORMAT,
            site: site.clone(),
            generated: now.clone(),
            data_time: data_time.unwrap_or(0),
            start: data_time.map_or(0, |t| t - window),
            units: BTreeMap::new(),
            observations: Vec::new(),
            tracked: Vec::new(),
        };
        // Each serving model's bands, tracked over the station's whole record (the
        // series read above hold every variable a serving model reads).
        for n in need {
            let (model, fc) = &*n.model;
            let inputs: Vec<aqcast_core::pipeline::Series> = fc
                .pipeline()
                .spec
                .inputs
                .iter()
                .map(|i| {
                    let s = series.iter().find(|(v, _)| *v == i.variable);
                    let (times, values) = s
                        .map(|(_, s)| s.iter().copied().unzip())
                        .unwrap_or_default();
                    aqcast_core::pipeline::Series {
                        variable: i.variable.clone(),
                        times,
                        values,
                    }
                })
                .collect();
            match crate::tracking::track(model, fc, &inputs, None, site) {
                Ok(Some(bands)) => snapshot.tracked.push(TrackedBands {
                    model: n.name.clone(),
                    sha256: n.sha256.clone(),
                    bands,
                }),
                Ok(None) => {}
                // A station the model cannot forecast now still gets its snapshot.
                Err(e) => eprintln!(
                    "warning: {site}: {} cannot track its bands ({e}); the snapshot serves its calibration as trained",
                    n.name
                ),
            }
        }
        for (var, s) in &series {
            if let Some(u) = vocab::named(var).as_ref().and_then(vocab::Variable::unit) {
                snapshot.units.insert(var.clone(), u.to_string());
            }
            snapshot.observations.extend(
                s.iter()
                    .filter(|(t, v)| *t > snapshot.start && v.is_finite())
                    .map(|&(time, value)| Observation {
                        variable: var.clone(),
                        time,
                        value,
                    }),
            );
        }
        let key = layout::snapshot(site);
        let bytes = snapshot.to_json();
        // The forecasts made from the old snapshot go first: a run that stops between the
        // new snapshot and its forecasts leaves none, so readers compute them from the
        // new data rather than serve the old ones.
        for n in need {
            objects.delete(&layout::forecast(site, &n.name))?;
        }
        objects.put(&key, bytes.clone())?;
        // Each serving model's forecast from the snapshot as readers parse it, so that
        // what the worker serves is what it would compute.
        let read = Snapshot::from_json(&bytes).map_err(|e| aqcast_store::Error::Corrupt {
            location: objects.url_of(""),
            key: key.clone(),
            message: format!("the snapshot just written does not read back: {e}"),
        })?;
        for n in need {
            let t0 = std::time::Instant::now();
            forecasts += usize::from(publish_forecast(&objects, &read, n, &now)?);
            forecasting += t0.elapsed();
        }
        // Forecasts of models that no longer serve the station go.
        for gone in old_list.get(site).map_or(&[][..], |o| &o.models) {
            if !need.iter().any(|n| n.name == *gone) {
                objects.delete(&layout::forecast(site, gone))?;
            }
        }
        // The last 12 months against the WHO guidelines, from the whole record.
        let summary = who_summary(site, &series, &now);
        match summary.pollutants.is_empty() {
            false => objects.put(&layout::summary(site), summary.to_json())?,
            true => objects.delete(&layout::summary(site))?,
        }
        let latest = need.first().and_then(|n| latest_aqi(&snapshot, n.rates));
        list.push(Station {
            id: site.clone(),
            name: fact.and_then(|f| f.name.clone()),
            lat: fact.and_then(|f| f.lat),
            lon: fact.and_then(|f| f.lon),
            pollutants: vars.clone(),
            models,
            snapshot: key,
            data_time,
            step: snapshot.step(),
            latest,
            source: fact.and_then(|f| f.credit.clone()),
            near: near(fact),
        });
    }
    let located: Vec<(f64, f64)> = list.iter().filter_map(|s| Some((s.lat?, s.lon?))).collect();
    let stations = Stations {
        format: published::FORMAT,
        generated: now,
        places: crate::places::around(&located),
        stations: list,
    };
    objects.put(layout::STATIONS, stations.to_json())?;
    // The map under the stations, when any has coordinates.
    match crate::basemap::area(&located) {
        Some(area) => objects.put(layout::BASEMAP, crate::basemap::cut(area).to_json())?,
        None => objects.delete(layout::BASEMAP)?,
    }
    // Snapshots of stations no longer listed (their data deleted) go.
    for gone in old_list
        .keys()
        .filter(|id| !variables.contains_key(id.as_str()))
    {
        objects.delete(&layout::snapshot(gone))?;
        objects.delete(&layout::summary(gone))?;
        for model in &old_list[gone.as_str()].models {
            objects.delete(&layout::forecast(gone, model))?;
        }
    }
    let bytes = serde_json::to_vec(&state).map_err(|e| CliError::Usage(e.to_string()))?;
    objects.put(STATE, bytes)?;
    Ok(Summary {
        url: objects.url_of(layout::STATIONS),
        stations,
        served,
        refreshed,
        forecasts,
        forecasting,
    })
}

/// Publishes the forecast of `need`'s model from a station's snapshot (the answer the
/// worker would compute from it, with nothing pushed), or deletes the one published
/// before when the model cannot forecast from it now (the worker then computes, and
/// says why). Whether one was published.
fn publish_forecast(
    objects: &Objects,
    snapshot: &Snapshot,
    need: &Need,
    now: &str,
) -> Result<bool, CliError> {
    let key = layout::forecast(&snapshot.site, &need.name);
    let (_, fc) = &*need.model;
    let tracked = snapshot.tracked_for(&need.name, &need.sha256);
    match fc.forecast_with(&snapshot.series(), None, Some(&snapshot.site), tracked) {
        Ok(f) => {
            let made = published::forecast::Made {
                station: &snapshot.site,
                model: &need.name,
                version: need.version,
                sha256: &need.sha256,
                snapshot_start: snapshot.start,
                snapshot_data_time: snapshot.data_time,
                generated: now,
            };
            let answer = published::forecast::answer(&f, &made).map_err(|e| {
                aqcast_store::Error::Corrupt {
                    location: objects.url_of(""),
                    key: key.clone(),
                    message: e.to_string(),
                }
            })?;
            objects.put(&key, answer)?;
            Ok(true)
        }
        Err(e) => {
            tracing::info!(
                "{}: {} does not forecast from its latest data ({e}); none published",
                snapshot.site,
                need.name
            );
            objects.delete(&key)?;
            Ok(false)
        }
    }
}

/// The last publication's state, if it left one this build reads.
fn read_state(objects: &Objects) -> Option<PublishState> {
    let f = objects.get(STATE).ok()??;
    serde_json::from_slice::<PublishState>(&f.bytes)
        .ok()
        .filter(|s| s.format == STATE_FORMAT)
}

/// The days of observations the last publication kept in each snapshot, if there was one.
pub fn published_days(objects: &Objects) -> Option<u32> {
    // From a state of any format: an upgrade refreshes every snapshot once, but keeps
    // the `--days` a user chose.
    let f = objects.get(STATE).ok()??;
    serde_json::from_slice::<PublishState>(&f.bytes)
        .ok()
        .map(|s| s.days)
}

/// The AQI now of `pollutant` in a snapshot, on the averaging the scale reports in real
/// time (none where the station does not measure it or the value has no AQI).
fn latest_aqi(
    snapshot: &Snapshot,
    (pollutant, unit, scale): (Pollutant, Unit, Scale),
) -> Option<Latest> {
    let c = aqcast_core::aqi::current::current(
        pollutant,
        unit,
        scale,
        &snapshot.measured(pollutant, unit),
    )?;
    Some(Latest {
        pollutant,
        time: c.time,
        value: c.value,
        basis: c.basis,
        unit,
        scale,
        aqi: c.aqi,
        category: c.category,
    })
}
