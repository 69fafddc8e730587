//! Observations pushed by a station's own sensors: `POST /v1/observations` (the `ingest`
//! scope, for the key's stations), `GET /v1/observations` (the stations that pushed) and
//! `GET /v1/observations/{station}?after=SEQ` (what `aqcast fetch worker` takes into the
//! data store), and the snapshot a forecast reads with the pushed values merged in.
//!
//! A push is checked whole before anything is stored: each value by the core's rules
//! ([`aqcast_core::variable`]: a variable aqcast knows, a unit it converts from, within
//! physical bounds), its time not in the future; one bad value refuses the batch (422,
//! every problem listed), so a client never has to find out which half was stored.
//! Values are stored per station ([`crate::inbox`]), durably before the 202; a value
//! pushed again is recognised, not doubled.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::json;
use worker::{Request, RouteContext};

use aqcast_core::published::{Observation, Snapshot};
use aqcast_core::variable::{self, Variable};

use crate::api::{json, ApiError};
use crate::inbox::{self, Row};
use crate::requests;
use crate::routes::{Answer, Ctx};

/// The most a pushed time may lie ahead of the worker's clock (clock skew).
const SKEW_SECONDS: i64 = 300;

/// The most values one `GET /v1/observations/{station}` answers.
const MAX_PAGE: i64 = 10_000;

/// The most stations one push may hold values for: each is a Durable Object call.
const MAX_STATIONS: usize = 20;

/// The longest station id taken.
const MAX_STATION: usize = 200;

/// `POST /v1/observations`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    /// The values.
    pub observations: Vec<Pushed>,
}

/// One pushed value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pushed {
    /// The station's id.
    pub station: String,
    /// What was measured: `no2`, `pm2.5`, `o3`, `temp`, `ws`…
    pub variable: String,
    /// When: the start of the averaging period, RFC 3339 with an offset, or Unix seconds.
    pub time: When,
    /// The value.
    pub value: f64,
    /// Its unit (`µg/m³`, `ppb`, `ppm`, `°C`, `m/s`…).
    pub unit: String,
}

/// A time as RFC 3339 text or Unix seconds.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum When {
    /// Unix seconds.
    Seconds(i64),
    /// RFC 3339.
    Text(String),
}

/// At most the first 64 characters of what a caller sent, to quote it in an error.
fn quote(s: &str) -> String {
    let mut q: String = s.chars().take(64).collect();
    if q.len() < s.len() {
        q.push('…');
    }
    format!("{q:?}")
}

/// One pushed value as the inbox keeps it, or what is wrong with it.
pub fn check(p: &Pushed, now: i64, max_age: i64) -> Result<Row, String> {
    if p.station.is_empty()
        || p.station.len() > MAX_STATION
        || p.station.trim() != p.station
        || p.station.chars().any(char::is_control)
    {
        return Err(format!(
            "station {}: give the station's id (1 to {MAX_STATION} bytes, no surrounding spaces or control characters)",
            quote(&p.station)
        ));
    }
    let var = match variable::named(&p.variable) {
        Some(v @ (Variable::Pollutant(_) | Variable::Met(_))) => v,
        _ => {
            return Err(format!(
                "variable {}: not one aqcast keeps (pm2.5, pm10, o3, no2, so2, co, nox, temp, rh, ws, wd, pressure)",
                quote(&p.variable)
            ))
        }
    };
    let unit = variable::parse_unit(&p.unit).ok_or_else(|| {
        format!(
            "unit {}: not a unit aqcast reads (µg/m³, mg/m³, ppb, ppm, °C, °F, m/s, knots, mph, %, hPa, degrees)",
            quote(&p.unit)
        )
    })?;
    let value = variable::to_canonical(&var, p.value, Some(unit)).map_err(|r| {
        format!(
            "value {} {}: {} for {}",
            p.value,
            p.unit,
            r.name(),
            var.name()
        )
    })?;
    let time = match &p.time {
        When::Seconds(t) => *t,
        When::Text(t) => aqcast_core::time::parse_datetime(t).ok_or_else(|| {
            format!(
                "time {}: not a time (RFC 3339, e.g. 2026-12-07T09:00:00Z, or Unix seconds)",
                quote(t)
            )
        })?,
    };
    if time > now + SKEW_SECONDS {
        return Err(format!(
            "time {}: in the future (the worker's clock says {})",
            iso(time),
            iso(now)
        ));
    }
    if time.rem_euclid(3_600) != 0 {
        return Err(format!(
            "time {}: not the start of an hour (push each hour's mean, stamped at the hour's start)",
            iso(time)
        ));
    }
    if time < now - max_age {
        return Err(format!(
            "time {}: more than {} days ago (older data go in with aqcast ingest)",
            iso(time),
            max_age / 86_400
        ));
    }
    Ok(Row {
        variable: var.name().to_string(),
        time,
        value,
    })
}

fn iso(t: i64) -> String {
    format!(
        "{}Z",
        aqcast_core::time::format_datetime(t).replacen(' ', "T", 1)
    )
}

/// `POST /v1/observations` with `{"observations": [{station, variable, time, value,
/// unit}, …]}`: 202 once every value is stored.
pub async fn push(mut req: Request, cx: RouteContext<Ctx>) -> Answer {
    let body: Push = requests::body(
        &mut req,
        cx.data.cfg.max_push,
        "a push (\"observations\": an array of {\"station\", \"variable\", \"time\", \"value\", \"unit\"})",
    )
    .await?;
    let max = cx.data.cfg.max_batch_rows;
    if body.observations.is_empty() || body.observations.len() > max {
        return Err(ApiError::new(
            422,
            "bad_batch_size",
            format!(
                "a push holds 1 to {max} observations; this one has {}",
                body.observations.len()
            ),
        ));
    }
    let denied: std::collections::BTreeSet<&str> = body
        .observations
        .iter()
        .map(|o| o.station.as_str())
        .filter(|s| !cx.data.caller.may_write(s))
        .collect();
    if !denied.is_empty() {
        let list: Vec<&str> = denied.into_iter().take(10).collect();
        return Err(ApiError::new(
            403,
            "forbidden_station",
            format!(
                "this key may not push values for {}; nothing was stored",
                list.join(", ")
            ),
        ));
    }
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let mut by_station: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, o) in body.observations.iter().enumerate() {
        match check(o, now, cx.data.cfg.max_push_age) {
            Ok(row) => by_station.entry(o.station.as_str()).or_default().push(row),
            Err(why) => problems.push(format!("observations[{i}]: {why}")),
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(20);
        return Err(ApiError::new(
            422,
            "bad_observation",
            format!(
                "{n} of {} observations cannot be taken, so none was stored: {}",
                body.observations.len(),
                problems.join("; ")
            ),
        ));
    }
    if by_station.len() > MAX_STATIONS {
        return Err(ApiError::new(
            422,
            "too_many_stations",
            format!(
                "a push holds values of at most {MAX_STATIONS} stations; this one has {} (send one push per station or per few)",
                by_station.len()
            ),
        ));
    }
    // Each station's values go to its own inbox, all at once; one that fails fails the
    // push (503), and what the others stored comes back as repeated when it is sent again.
    let results = futures_util::future::join_all(
        by_station
            .iter()
            .map(|(station, rows)| inbox::add(&cx.env, station, rows)),
    )
    .await;
    let mut added_all = Vec::with_capacity(results.len());
    for r in results {
        added_all.push(r?);
    }
    let touched: Vec<inbox::Pushed> = by_station
        .keys()
        .zip(&added_all)
        .filter(|(_, a)| a.accepted + a.repeated > 0)
        .map(|(s, a)| inbox::Pushed {
            station: s.to_string(),
            seq: a.seq,
        })
        .collect();
    inbox::touch(&cx.env, &touched).await?;
    let (mut accepted, mut repeated) = (0, 0);
    let mut conflicting = Vec::new();
    let mut stations = serde_json::Map::new();
    for ((station, _), added) in by_station.iter().zip(added_all) {
        accepted += added.accepted;
        repeated += added.repeated;
        for c in added.conflicting {
            conflicting.push(json!({
                "station": station, "variable": c.variable, "time": iso(c.time),
                "kept": c.kept, "sent": c.sent, "unit": canonical_unit(&c.variable),
            }));
        }
        stations.insert(station.to_string(), json!({ "seq": added.seq }));
    }
    json(
        202,
        &json!({
            "accepted": accepted,
            "repeated": repeated,
            "conflicting": conflicting,
            "stations": stations,
        }),
    )
}

/// The unit aqcast keeps `variable` in (what the inbox holds).
fn canonical_unit(variable: &str) -> Option<&'static str> {
    variable::named(variable).as_ref().and_then(Variable::unit)
}

/// `GET /v1/observations`: the stations that have pushed values, with each one's latest
/// sequence number.
pub async fn list(_req: Request, cx: RouteContext<Ctx>) -> Answer {
    let stations = inbox::stations(&cx.env).await?;
    json(200, &json!({ "stations": stations }))
}

/// `GET /v1/observations/{station}?after=SEQ&limit=N`: the values pushed for a station
/// after a sequence number, oldest first, in canonical units.
pub async fn pushed(req: Request, cx: RouteContext<Ctx>) -> Answer {
    let station = crate::handlers::param(&cx, "station")?;
    let query = crate::handlers::Query::of(&req, &["after", "limit"])?;
    let number = |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| {
        let n = match query.given(name) {
            None => default,
            Some(v) => v.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!("{name}={v:?} is not a whole number"))
            })?,
        };
        if !range.contains(&n) {
            return Err(ApiError::bad_request(format!(
                "{name}={n} is out of range ({} to {})",
                range.start(),
                range.end()
            )));
        }
        Ok(n)
    };
    let after = number("after", 0, 0..=i64::MAX)?;
    let limit = number("limit", 1000, 1..=MAX_PAGE)?;
    let page = inbox::after(&cx.env, &station, after, limit).await?;
    let units: BTreeMap<&str, &str> = page
        .rows
        .iter()
        .filter_map(|(_, v, _, _)| Some((v.as_str(), canonical_unit(v)?)))
        .collect();
    let rows: Vec<_> = page
        .rows
        .iter()
        .map(|(seq, v, t, x)| json!({ "seq": seq, "variable": v, "time": t, "value": x }))
        .collect();
    json(
        200,
        &json!({ "station": station, "seq": page.seq, "units": units, "observations": rows }),
    )
}

/// What a station's inbox held of the values pushed from a snapshot's first time on, as
/// read once for a request (so that what reads it next need not ask again).
pub struct InboxRead {
    /// The snapshot's first time it was read from.
    pub start: i64,
    /// The values, or why they could not be read.
    pub page: Result<inbox::Page, ApiError>,
}

impl InboxRead {
    /// Reads what `station` pushed from `start` on.
    pub async fn of(env: &worker::Env, station: &str, start: i64) -> InboxRead {
        InboxRead {
            start,
            page: inbox::since(env, station, start.saturating_sub(1)).await,
        }
    }
}

/// A station's snapshot with the values pushed since it was published merged in, and the
/// inbox's sequence number (0: nothing pushed, the snapshot as published; none: the inbox
/// could not be read, so the snapshot is served as published and must not be cached).
/// `read` is what the request already read of the inbox, used when it was read from the
/// same snapshot's first time.
pub async fn merged(
    env: &worker::Env,
    station: &str,
    snapshot: Rc<Snapshot>,
    read: Option<InboxRead>,
) -> (Rc<Snapshot>, Option<i64>) {
    let read = match read {
        Some(r) if r.start == snapshot.start => r,
        _ => InboxRead::of(env, station, snapshot.start).await,
    };
    let page = match read.page {
        Ok(p) => p,
        Err(e) => {
            worker::console_error!("pushed values of {station} not merged: {}", e.message);
            return (snapshot, None);
        }
    };
    if page.rows.is_empty() {
        return (snapshot, Some(page.seq));
    }
    let rows: Vec<Observation> = page
        .rows
        .into_iter()
        .map(|(_, variable, time, value)| Observation {
            variable,
            time,
            value,
        })
        .collect();
    let mut merged = Snapshot::clone(&snapshot);
    merged.merge(&rows);
    (Rc::new(merged), Some(page.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(variable: &str, time: When, value: f64, unit: &str) -> Pushed {
        Pushed {
            station: "A".into(),
            variable: variable.into(),
            time,
            value,
            unit: unit.into(),
        }
    }

    #[test]
    fn pushed_values_are_checked_by_the_cores_rules() {
        let hour = 1_764_997_200;
        let now = hour + 1_800;
        let r = check(
            &p("NO2", When::Seconds(hour - 3600), 18.8, "µg/m³"),
            now,
            35 * 86_400,
        )
        .unwrap();
        assert_eq!(r.variable, "no2");
        assert!(
            (r.value - 18.8 * 24.45 / 46.0055).abs() < 1e-9,
            "{}",
            r.value
        );
        let r = check(
            &p(
                "pm2.5",
                When::Text("2025-12-06T05:00:00+00:00".into()),
                12.0,
                "ug/m3",
            ),
            now,
            35 * 86_400,
        )
        .unwrap();
        assert_eq!(r.time, 1_764_997_200);
        let r = check(
            &p("temperature", When::Seconds(hour), 50.0, "°F"),
            now,
            35 * 86_400,
        )
        .unwrap();
        assert!((r.value - 10.0).abs() < 1e-12);
        for (bad, why) in [
            (
                p("no2", When::Seconds(hour + 3600), 1.0, "ppb"),
                "in the future",
            ),
            (
                p("no2", When::Seconds(hour + 60), 1.0, "ppb"),
                "not the start of an hour",
            ),
            (
                p("no2", When::Seconds(hour - 36 * 86_400), 1.0, "ppb"),
                "more than 35 days ago",
            ),
            (p("no2", When::Seconds(hour), -1.0, "ppb"), "negative"),
            (
                p("pm2.5", When::Seconds(hour), 60_000.0, "µg/m³"),
                "beyond physical bounds",
            ),
            (p("pm2.5", When::Seconds(hour), 1.0, "ppb"), "unknown unit"),
            (p("no2", When::Seconds(hour), 1.0, "furlongs"), "not a unit"),
            (
                p("benzene", When::Seconds(hour), 1.0, "ppb"),
                "not one aqcast keeps",
            ),
            (
                p("no2", When::Text("yesterday".into()), 1.0, "ppb"),
                "not a time",
            ),
        ] {
            let e = check(&bad, now, 35 * 86_400).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let mut long = p("no2", When::Seconds(hour), 1.0, "ppb");
        long.station = "x".repeat(201);
        let e = check(&long, now, 35 * 86_400).unwrap_err();
        assert!(
            e.starts_with("station") && e.contains('…') && e.len() < 200,
            "{e}"
        );
        long.station = " A".into();
        assert!(check(&long, now, 35 * 86_400)
            .unwrap_err()
            .starts_with("station"));
    }
}
