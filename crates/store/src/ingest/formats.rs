//! The file formats `aqcast ingest` reads: detection from the header (and file name), and
//! turning each record into values for the [`Sink`](super::sink::Sink).

use std::collections::HashMap;

use aqcast_core::pollutant::Pollutant;
use aqcast_core::time;
use csv::ByteRecord;

use super::reject::Reason;
use super::sink::{Sink, SinkError, SiteText};
use super::vocab::{self, UnitText, Variable};

/// A column mapping given on the command line: `name=column[:unit]`.
#[derive(Clone, Debug)]
pub struct Mapping {
    /// `time`, `site`, `poc` (a monitor number, appended to the site id), or a variable
    /// name (`pm2.5`, `no2`, `ws`, anything else).
    pub name: String,
    /// Header of the column.
    pub column: String,
    /// Unit of the column (`ug/m3`, `ppb`, `ppm`, `mg/m3`, `F`, `knots`, …).
    pub unit: Option<String>,
}

impl std::str::FromStr for Mapping {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, rest) = s.split_once('=').ok_or_else(|| {
            format!("--map {s:?}: expected NAME=COLUMN[:UNIT], e.g. pm2.5=daily_mean_pm2_5:ug/m3")
        })?;
        let (column, unit) = match rest.rsplit_once(':') {
            Some((c, u)) if vocab::parse_unit(u).is_some() => (c, Some(u.to_string())),
            _ => (rest, None),
        };
        if name.trim().is_empty() || column.is_empty() {
            return Err(format!("--map {s:?}: NAME and COLUMN must not be empty"));
        }
        Ok(Mapping {
            name: name.trim().to_ascii_lowercase(),
            column: column.to_string(),
            unit,
        })
    }
}

/// A detected format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// EPA AQS pre-generated hourly file.
    EpaHourly,
    /// EPA AQS pre-generated daily file.
    EpaDaily,
    /// AirNow hourly `.dat` (pipe-separated, no header).
    AirNow,
    /// OpenAQ archive CSV.
    OpenAq,
    /// openair / UK AURN wide CSV (one column per variable).
    Wide,
    /// A CSV read through `--map`.
    Mapped,
    /// EPA AirData "Download Daily Data" CSV (what EPA's website gives citizens).
    AirData,
}

impl Format {
    /// Name in summaries and the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Format::EpaHourly => "epa-aqs-hourly",
            Format::EpaDaily => "epa-aqs-daily",
            Format::AirNow => "airnow-hourly",
            Format::OpenAq => "openaq",
            Format::Wide => "openair-wide",
            Format::Mapped => "mapped",
            Format::AirData => "epa-airdata-daily",
        }
    }
}

/// Header columns of a wide file that hold no measurement.
const WIDE_IGNORED: &[&str] = &[
    "site",
    "code",
    "site_name",
    "sitename",
    "name",
    "site_type",
    "latitude",
    "longitude",
    "lat",
    "lon",
    "source",
    "rownames",
    "",
];

struct ValueColumn {
    index: usize,
    name: String,
    variable: u32,
    unit: Option<UnitText>,
}

/// The columns that describe a site (its name, coordinates, network, licence and whom to
/// credit), where a format has them.
#[derive(Clone, Copy, Debug, Default)]
struct FactColumns {
    name: Option<usize>,
    lat: Option<usize>,
    lon: Option<usize>,
    network: Option<usize>,
    licence: Option<usize>,
    attribution: Option<usize>,
}

impl FactColumns {
    fn any(&self) -> bool {
        [
            self.name,
            self.lat,
            self.lon,
            self.network,
            self.licence,
            self.attribution,
        ]
        .iter()
        .any(Option::is_some)
    }

    /// This row's cells of those columns (empty where a column is absent).
    fn read<'r>(&self, f: &impl Fn(usize) -> &'r [u8]) -> SiteText<'r> {
        let cell = |c: Option<usize>| c.map_or(&b""[..], f);
        SiteText {
            name: cell(self.name),
            lat: cell(self.lat),
            lon: cell(self.lon),
            network: cell(self.network),
            licence: cell(self.licence),
            attribution: cell(self.attribution),
        }
    }
}

enum Layout {
    Epa {
        state: usize,
        county: usize,
        site: usize,
        param: usize,
        poc: usize,
        date: usize,
        time: Option<usize>,
        value: usize,
        unit: usize,
        /// Daily files: the `Sample Duration` column. A daily file repeats a day's value
        /// once per pollutant standard; rows equal in site, parameter, POC, date and
        /// duration are one measurement, taken once.
        duration: Option<usize>,
    },
    AirNow,
    OpenAq {
        site: usize,
        time: usize,
        param: usize,
        unit: usize,
        value: usize,
        /// `location`, `lat`, `lon` (OpenAQ's archive) and `network`, `licence`,
        /// `attribution` (what `aqcast fetch` adds), when present.
        facts: FactColumns,
    },
    /// EPA AirData daily download: `Date` (MM/DD/YYYY), `Site ID`, `POC`, one
    /// `Daily … Concentration` column whose name says the pollutant, `Units` per row.
    AirData {
        time: usize,
        site: usize,
        poc: usize,
        value: usize,
        unit: usize,
        variable: u32,
        /// `Local Site Name`, `Site Latitude`, `Site Longitude`, when present.
        facts: FactColumns,
    },
    Wide {
        time: usize,
        site: Option<usize>,
        /// A monitor number (`--map poc=COLUMN`), appended to the site id as `SITE:POC`.
        poc: Option<usize>,
        values: Vec<ValueColumn>,
    },
}

/// How the timestamps of a wide or mapped file read: a strftime format (`--time-format`,
/// chrono's syntax: `%m/%d/%y`, `%d/%m/%Y %H:%M`) or the usual forms, and the clock's
/// offset from UTC in seconds (`--utc-offset`: +28800 for a file in Beijing time).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// The format; a format without a time of day reads dates at midnight.
    pub format: Option<String>,
    /// Seconds the file's clock is ahead of UTC.
    pub utc_offset: i64,
    /// A named time zone (IANA, `Asia/Shanghai`, `America/New_York`) the file's clock
    /// keeps, summer time included; it takes the place of `utc_offset`.
    pub timezone: Option<chrono_tz::Tz>,
}

impl Clock {
    /// Unix seconds (UTC) of a timestamp text, or `None`.
    pub fn parse(&self, text: &str) -> Option<i64> {
        let text = text.trim();
        let local = match &self.format {
            None => time::parse_datetime(text)?,
            Some(f) => chrono::NaiveDateTime::parse_from_str(text, f)
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(text, f)
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
                })
                .ok()?
                .and_utc()
                .timestamp(),
        };
        self.to_utc(local)
    }

    /// A local wall-clock time (as Unix seconds read as if UTC) in UTC. In a named zone,
    /// a time that occurs twice (when summer time ends) is the first; one that never
    /// occurs (when it begins) is `None`.
    pub fn to_utc(&self, local: i64) -> Option<i64> {
        match self.timezone {
            None => local.checked_sub(self.utc_offset),
            Some(tz) => {
                use chrono::TimeZone;
                let naive = chrono::DateTime::from_timestamp(local, 0)?.naive_utc();
                tz.from_local_datetime(&naive)
                    .earliest()
                    .map(|t| t.timestamp())
            }
        }
    }
}

/// Reads the records of one file.
pub struct Parser {
    /// The format.
    pub format: Format,
    layout: Layout,
    clock: Clock,
    header: Vec<String>,
    default_site: String,
    params: HashMap<Vec<u8>, Option<u32>>,
    units: HashMap<Vec<u8>, Option<UnitText>>,
    site_buf: Vec<u8>,
    /// Hashes of the (site, parameter, POC, date, duration) keys taken from a daily file.
    daily_keys: std::collections::HashSet<u64>,
}

fn find(header: &[String], name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
}

/// Is this the first line of an AirNow hourly file (`MM/DD/YY|HH:MM|…`, 9 fields)?
pub fn looks_like_airnow(first: &ByteRecord) -> bool {
    let d = first.get(0).unwrap_or(b"");
    first.len() == 9 && d.len() == 8 && d[2] == b'/' && d[5] == b'/'
}

impl Parser {
    /// Chooses the format of a file from its first record (the header, except for AirNow
    /// files, which have none), its name and the `--map` mappings.
    pub fn detect(
        first: &ByteRecord,
        file_name: &str,
        clock: &Clock,
        maps: &[Mapping],
        default_site: &str,
        sink: &mut Sink,
    ) -> Result<Parser, String> {
        let header: Vec<String> = first
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        let mut p = Parser {
            format: Format::Mapped,
            layout: Layout::AirNow,
            clock: clock.clone(),
            header: header.clone(),
            default_site: default_site.to_string(),
            params: HashMap::new(),
            units: HashMap::new(),
            site_buf: Vec::with_capacity(32),
            daily_keys: std::collections::HashSet::new(),
        };
        let h = |n: &str| find(&header, n);
        if !maps.is_empty() {
            p.format = Format::Mapped;
            p.layout = mapped_layout(&header, maps, file_name, sink)?;
        } else if looks_like_airnow(first) {
            p.format = Format::AirNow;
            p.layout = Layout::AirNow;
        } else if let (Some(time), Some(site), Some(poc), Some(unit), Some((value, pollutant))) = (
            h("Date"),
            h("Site ID"),
            h("POC"),
            h("Units").or_else(|| h("UNITS")),
            airdata_value(&header),
        ) {
            p.format = Format::AirData;
            p.layout = Layout::AirData {
                time,
                site,
                poc,
                value,
                unit,
                variable: sink.variable(&Variable::Pollutant(pollutant)),
                facts: FactColumns {
                    name: h("Local Site Name"),
                    lat: h("Site Latitude"),
                    lon: h("Site Longitude"),
                    ..FactColumns::default()
                },
            };
        } else if let (Some(state), Some(county), Some(site), Some(param), Some(poc), Some(unit)) = (
            h("State Code"),
            h("County Code"),
            h("Site Num"),
            h("Parameter Code"),
            h("POC"),
            h("Units of Measure"),
        ) {
            // Hourly files give GMT date and time; daily files the local date, once per
            // pollutant standard (see `duration`).
            let (format, date, time, value, duration) = if let (Some(d), Some(t), Some(v)) =
                (h("Date GMT"), h("Time GMT"), h("Sample Measurement"))
            {
                (Format::EpaHourly, d, Some(t), v, None)
            } else if let (Some(d), Some(v)) = (h("Date Local"), h("Arithmetic Mean")) {
                (Format::EpaDaily, d, None, v, h("Sample Duration"))
            } else {
                return Err("an EPA AQS header without `Date GMT`/`Time GMT`/`Sample Measurement` (hourly) or `Date Local`/`Arithmetic Mean` (daily)".into());
            };
            p.format = format;
            p.layout = Layout::Epa {
                state,
                county,
                site,
                param,
                poc,
                date,
                time,
                value,
                unit,
                duration,
            };
        } else if let (Some(site), Some(t), Some(param), Some(unit), Some(value)) = (
            h("location_id"),
            h("datetime"),
            h("parameter"),
            h("units"),
            h("value"),
        ) {
            p.format = Format::OpenAq;
            p.layout = Layout::OpenAq {
                site,
                time: t,
                param,
                unit,
                value,
                facts: FactColumns {
                    name: h("location"),
                    lat: h("lat"),
                    lon: h("lon"),
                    network: h("network"),
                    licence: h("licence"),
                    attribution: h("attribution"),
                },
            };
        } else if let Some(t) = h("date") {
            let site = h("code").or_else(|| h("site"));
            let mut values = Vec::new();
            for (i, name) in header.iter().enumerate() {
                if i == t || WIDE_IGNORED.contains(&name.to_ascii_lowercase().as_str()) {
                    continue;
                }
                let v = vocab::named(name).unwrap_or_else(|| Variable::Other(name.clone()));
                let unit = vocab::aurn_unit(&v).map(UnitText::Concentration);
                values.push(ValueColumn {
                    index: i,
                    name: name.clone(),
                    variable: sink.variable(&v),
                    unit,
                });
            }
            if values.is_empty() {
                return Err("a `date` column but no measurement columns".into());
            }
            p.format = Format::Wide;
            p.layout = Layout::Wide {
                time: t,
                site,
                poc: None,
                values,
            };
        } else {
            let shown: Vec<&str> = header.iter().take(6).map(String::as_str).collect();
            return Err(format!(
                "the header ({}{}) matches no format aqcast reads (EPA AQS hourly/daily, AirNow .dat, OpenAQ, openair/AURN wide); map its columns with --map time=COLUMN --map pm2.5=COLUMN:ug/m3 …",
                shown.join(", "),
                if header.len() > 6 { ", …" } else { "" }
            ));
        }
        Ok(p)
    }

    /// Whether the first record is data (AirNow files have no header).
    pub fn first_record_is_data(&self) -> bool {
        self.format == Format::AirNow
    }

    fn column_name(&self, i: usize) -> &str {
        match self.format {
            Format::AirNow => AIRNOW_FIELDS.get(i).copied().unwrap_or("?"),
            _ => self.header.get(i).map(String::as_str).unwrap_or("?"),
        }
    }

    fn unit(&mut self, text: &[u8]) -> Option<UnitText> {
        if let Some(u) = self.units.get(text) {
            return *u;
        }
        let u = vocab::parse_unit(&String::from_utf8_lossy(text));
        self.units.insert(text.to_vec(), u);
        u
    }

    fn param(&mut self, text: &[u8], sink: &mut Sink, by_code: bool) -> Option<u32> {
        if let Some(v) = self.params.get(text) {
            return *v;
        }
        let v = if by_code {
            vocab::aqs_parameter(text)
        } else {
            vocab::named(&String::from_utf8_lossy(text))
        };
        let id = v.map(|v| sink.variable(&v));
        self.params.insert(text.to_vec(), id);
        id
    }

    /// Turns one record into values (or rejections) in `sink`.
    pub fn record(&mut self, r: &ByteRecord, line: u64, sink: &mut Sink) -> Result<(), SinkError> {
        let want = match &self.layout {
            Layout::AirNow => 9,
            _ => self.header.len(),
        };
        // A rejection of the whole line keeps the whole line (fields joined by commas), so
        // the quarantine file alone is enough to repair it.
        let whole = || r.iter().collect::<Vec<_>>().join(&b","[..]);
        if r.len() < want {
            return sink.reject(line, "(line)", Reason::MissingFields, &whole());
        }
        let f = |i: usize| r.get(i).unwrap_or(b"");
        match self.layout {
            Layout::Epa {
                state,
                county,
                site,
                param,
                poc,
                date,
                time,
                value,
                unit,
                duration,
            } => {
                if let Some(d) = duration {
                    use std::hash::Hasher;
                    let mut k = std::hash::DefaultHasher::new();
                    for i in [state, county, site, param, poc, date, d] {
                        k.write(f(i));
                        k.write_u8(0);
                    }
                    if !self.daily_keys.insert(k.finish()) {
                        sink.stats.repeated += 1;
                        return Ok(());
                    }
                }
                let Some(var) = self.param(f(param), sink, true) else {
                    return sink.reject(
                        line,
                        self.column_name(param),
                        Reason::UnknownParameter,
                        &whole(),
                    );
                };
                let t = match time {
                    Some(ti) => ymd_hm(f(date), f(ti)),
                    None => ymd_hm(f(date), b"00:00"),
                };
                let Some(t) = t else {
                    return sink.reject(line, self.column_name(date), Reason::BadTime, &whole());
                };
                self.site_buf.clear();
                for (i, part) in [state, county, site].into_iter().enumerate() {
                    if i > 0 {
                        self.site_buf.push(b'-');
                    }
                    self.site_buf.extend_from_slice(f(part).trim_ascii());
                }
                let poc = f(poc).trim_ascii();
                if poc != b"1" && !poc.is_empty() {
                    self.site_buf.push(b':');
                    self.site_buf.extend_from_slice(poc);
                }
                let u = self.unit(f(unit));
                let site = std::mem::take(&mut self.site_buf);
                let res = sink.value(
                    line,
                    &site,
                    var,
                    t,
                    self.column_name(value),
                    f(value),
                    u,
                    unit_known(u, f(unit)),
                );
                self.site_buf = site;
                res
            }
            Layout::AirNow => {
                let Some(var) = self.param(f(5), sink, false) else {
                    return sink.reject(line, "ParameterName", Reason::UnknownParameter, &whole());
                };
                let Some(t) = mdy_hm(f(0), f(1)) else {
                    return sink.reject(line, "ValidDate", Reason::BadTime, &whole());
                };
                let u = self.unit(f(6));
                let v = f(7);
                // AirNow writes -999 for a missing value.
                let v: &[u8] = if v.trim_ascii() == b"-999" { b"" } else { v };
                sink.value(
                    line,
                    f(2).trim_ascii(),
                    var,
                    t,
                    "Value",
                    v,
                    u,
                    unit_known(u, f(6)),
                )
            }
            Layout::OpenAq {
                site,
                time: ti,
                param,
                unit,
                value,
                facts,
            } => {
                if facts.any() {
                    sink.site_facts(f(site), &facts.read(&f));
                }
                let Some(var) = self.param(f(param), sink, false) else {
                    return sink.reject(
                        line,
                        self.column_name(param),
                        Reason::UnknownParameter,
                        &whole(),
                    );
                };
                let Some(t) = std::str::from_utf8(f(ti))
                    .ok()
                    .and_then(time::parse_datetime)
                else {
                    return sink.reject(line, self.column_name(ti), Reason::BadTime, &whole());
                };
                let u = self.unit(f(unit));
                sink.value(
                    line,
                    f(site).trim_ascii(),
                    var,
                    t,
                    self.column_name(value),
                    f(value),
                    u,
                    unit_known(u, f(unit)),
                )
            }
            Layout::AirData {
                time: ti,
                site,
                poc,
                value,
                unit,
                variable,
                facts,
            } => {
                // US local dates, MM/DD/YYYY.
                let Some(t) = std::str::from_utf8(f(ti)).ok().and_then(|s| {
                    chrono::NaiveDate::parse_from_str(s.trim(), "%m/%d/%Y")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .and_then(|d| self.clock.to_utc(d.and_utc().timestamp()))
                }) else {
                    return sink.reject(line, self.column_name(ti), Reason::BadTime, &whole());
                };
                self.site_buf.clear();
                self.site_buf.extend_from_slice(f(site).trim_ascii());
                self.site_buf.push(b':');
                self.site_buf.extend_from_slice(f(poc).trim_ascii());
                let u = self.unit(f(unit));
                let known = unit_known(u, f(unit));
                let name = self.header[value].clone();
                let site = std::mem::take(&mut self.site_buf);
                if facts.any() {
                    sink.site_facts(&site, &facts.read(&f));
                }
                let r = sink.value(line, &site, variable, t, &name, f(value), u, known);
                self.site_buf = site;
                r
            }
            Layout::Wide {
                time: ti,
                site,
                poc,
                ref values,
            } => {
                let Some(t) = std::str::from_utf8(f(ti))
                    .ok()
                    .and_then(|s| self.clock.parse(s))
                else {
                    return sink.reject(line, self.column_name(ti), Reason::BadTime, &whole());
                };
                let s = match site {
                    Some(i) => f(i).trim_ascii(),
                    None => self.default_site.as_bytes(),
                };
                let s = match poc {
                    Some(i) => {
                        self.site_buf.clear();
                        self.site_buf.extend_from_slice(s);
                        self.site_buf.push(b':');
                        self.site_buf.extend_from_slice(f(i).trim_ascii());
                        self.site_buf.as_slice()
                    }
                    None => s,
                };
                for c in values {
                    sink.value(line, s, c.variable, t, &c.name, f(c.index), c.unit, true)?;
                }
                Ok(())
            }
        }
    }
}

/// The `Daily Mean PM2.5 Concentration` (or `Daily Max 8-hour Ozone Concentration`, …)
/// column of an AirData download, and its pollutant.
fn airdata_value(header: &[String]) -> Option<(usize, Pollutant)> {
    header.iter().enumerate().find_map(|(i, h)| {
        let l = h.to_ascii_lowercase();
        if !(l.starts_with("daily ") && l.ends_with(" concentration")) {
            return None;
        }
        let p = if l.contains("pm2.5") {
            Pollutant::Pm25
        } else if l.contains("pm10") {
            Pollutant::Pm10
        } else if l.contains("ozone") {
            Pollutant::O3
        } else if l.contains("no2") {
            Pollutant::No2
        } else if l.contains("so2") {
            Pollutant::So2
        } else if l.contains(" co ") {
            Pollutant::Co
        } else {
            return None;
        };
        Some((i, p))
    })
}

fn unit_known(u: Option<UnitText>, text: &[u8]) -> bool {
    u.is_some() || text.trim_ascii().is_empty()
}

const AIRNOW_FIELDS: [&str; 9] = [
    "ValidDate",
    "ValidTime",
    "AQSID",
    "SiteName",
    "GMTOffset",
    "ParameterName",
    "ReportingUnits",
    "Value",
    "DataSource",
];

fn mapped_layout(
    header: &[String],
    maps: &[Mapping],
    file_name: &str,
    sink: &mut Sink,
) -> Result<Layout, String> {
    let col = |m: &Mapping| {
        find(header, &m.column).ok_or_else(|| {
            format!(
                "--map {}={}: the file has no column {:?}",
                m.name, m.column, m.column
            )
        })
    };
    let mut time = None;
    let mut site = None;
    let mut poc = None;
    let mut values = Vec::new();
    for m in maps {
        match m.name.as_str() {
            "time" | "date" | "datetime" => time = Some(col(m)?),
            "site" => site = Some(col(m)?),
            "poc" => poc = Some(col(m)?),
            name => {
                // `value=COLUMN`: the pollutant comes from the file name (EPA style).
                let v = if name == "value" {
                    vocab::pollutant_from_file_name(file_name).ok_or_else(|| {
                        format!("--map value={}: the file name {file_name:?} names no AQS parameter code; map the column by pollutant (pm2.5=…)", m.column)
                    })?
                } else {
                    vocab::named(name).unwrap_or_else(|| Variable::Other(name.to_string()))
                };
                let unit = match &m.unit {
                    Some(u) => Some(
                        vocab::parse_unit(u)
                            .ok_or_else(|| format!("--map {name}: unknown unit {u:?}"))?,
                    ),
                    None => None,
                };
                values.push(ValueColumn {
                    index: col(m)?,
                    name: m.column.clone(),
                    variable: sink.variable(&v),
                    unit,
                });
            }
        }
    }
    let time = time.ok_or("--map needs time=COLUMN (the timestamp column)")?;
    if values.is_empty() {
        return Err("--map names no value column (e.g. --map pm2.5=COLUMN)".into());
    }
    Ok(Layout::Wide {
        time,
        site,
        poc,
        values,
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 4 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn hm(t: &[u8]) -> Option<(u32, u32)> {
    let t = t.trim_ascii();
    let (h, m) = (t.get(..t.len().checked_sub(3)?)?, t.get(t.len() - 2..)?);
    if t[t.len() - 3] != b':' {
        return None;
    }
    Some((digits(h)?, digits(m)?))
}

/// `YYYY-MM-DD` and `HH:MM` to Unix seconds.
pub fn ymd_hm(d: &[u8], t: &[u8]) -> Option<i64> {
    let d = d.trim_ascii();
    if d.len() != 10 || d[4] != b'-' || d[7] != b'-' {
        return None;
    }
    let (h, mi) = hm(t)?;
    time::from_civil(
        i64::from(digits(&d[..4])?),
        digits(&d[5..7])?,
        digits(&d[8..])?,
        h,
        mi,
        0,
    )
}

/// AirNow's `MM/DD/YY` and `HH:MM` to Unix seconds (years 2000–2099).
pub fn mdy_hm(d: &[u8], t: &[u8]) -> Option<i64> {
    let d = d.trim_ascii();
    if d.len() != 8 || d[2] != b'/' || d[5] != b'/' {
        return None;
    }
    let (h, mi) = hm(t)?;
    time::from_civil(
        2000 + i64::from(digits(&d[6..])?),
        digits(&d[..2])?,
        digits(&d[3..5])?,
        h,
        mi,
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(ymd_hm(b"2001-01-01", b"00:00"), Some(978_307_200));
        assert_eq!(mdy_hm(b"01/01/01", b"01:00"), Some(978_307_200 + 3600));
        assert_eq!(ymd_hm(b"2001-02-30", b"00:00"), None);
        assert_eq!(ymd_hm(b"2001-01-01", b"0000"), None);
        let m: Mapping = "pm2.5=PM25:ug/m3".parse().unwrap();
        assert_eq!(
            (m.name.as_str(), m.column.as_str(), m.unit.as_deref()),
            ("pm2.5", "PM25", Some("ug/m3"))
        );
        let m: Mapping = "time=Date:Time".parse().unwrap();
        assert_eq!((m.column.as_str(), m.unit), ("Date:Time", None));
    }
}
