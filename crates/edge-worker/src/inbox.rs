//! Observations pushed by a station's own sensors (`POST /v1/observations`), kept where
//! they are durable before the answer: one Durable Object per station ([`StationInbox`],
//! SQLite-backed) holds its pushed values, one row per (variable, time) — a value pushed
//! again is recognised, never stored twice —, each with a sequence number that the
//! native `aqcast fetch worker` reads from, so that it takes every value once into the
//! data store. A second object, [`PushIndex`], lists the stations that have pushed.
//!
//! Why a Durable Object: the one writer per station makes "idempotent on (station,
//! variable, time)" a primary key rather than a race; its storage is durable when the
//! request that wrote it is answered (the output gate), so a 202 means stored; and the
//! forecast reads a station's latest values from the same object in one round trip.
//! R2 would need an object per value (or a read-modify-write per batch, contended) and
//! Queues deliver at least once, with no way to read the latest values back.
//!
//! Values are kept 35 days after they arrive (`RETAIN_SECONDS`); `aqcast fetch worker`
//! must run within that time (the pipeline runs it every hour).

use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Method, Request, RequestInit, Response, Result, State,
};

use crate::api::ApiError;
use crate::sql;

/// How long pushed values are kept after they arrive; a value older than this is refused
/// (older data go in with `aqcast ingest`).
pub const RETAIN_SECONDS: i64 = 35 * 86_400;

/// The most values a forecast reads back from one inbox: a station's hours over the
/// retention time for a dozen variables, with room to spare.
const MAX_SINCE: i64 = 20_000;

/// One value as the inbox keeps it: its variable (the store's name), its time (Unix
/// seconds, UTC) and its value in the variable's canonical unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `no2`, `pm2.5`, `temp`…
    pub variable: String,
    /// Unix seconds, UTC.
    pub time: i64,
    /// In the variable's canonical unit.
    pub value: f64,
}

/// What an add did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Added {
    /// New values stored.
    pub accepted: u64,
    /// Values already there with the same value (a push repeated).
    pub repeated: u64,
    /// Values already there with another value: the first is kept.
    pub conflicting: Vec<Conflict>,
    /// The station's latest sequence number.
    pub seq: i64,
}

/// A value pushed for a (variable, time) that already holds another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The variable.
    pub variable: String,
    /// The time.
    pub time: i64,
    /// The value kept (the first pushed).
    pub kept: f64,
    /// The value refused.
    pub sent: f64,
}

/// Values after a sequence number, with their numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// `[seq, variable, time, value]`, oldest first.
    pub rows: Vec<(i64, String, i64, f64)>,
    /// The station's latest sequence number.
    pub seq: i64,
}

/// The pushed values of one station.
#[durable_object]
pub struct StationInbox {
    state: State,
}

/// `[seq, variable, time, value]` rows as a page.
fn page(found: Vec<sql::Row>, seq: i64) -> Page {
    Page {
        rows: found
            .into_iter()
            .map(|mut r| {
                let v = sql::text(&mut r, 1);
                (sql::int(&r, 0), v, sql::int(&r, 2), sql::float(&r, 3))
            })
            .collect(),
        seq,
    }
}

impl StationInbox {
    fn sql(&self) -> worker::SqlStorage {
        self.state.storage().sql()
    }

    fn ensure(&self) -> Result<()> {
        self.sql().exec(
            "CREATE TABLE IF NOT EXISTS obs (
               seq INTEGER PRIMARY KEY AUTOINCREMENT,
               variable TEXT NOT NULL,
               time INTEGER NOT NULL,
               value REAL NOT NULL,
               received INTEGER NOT NULL,
               UNIQUE (variable, time))",
            None,
        )?;
        let sql = self.sql();
        sql.exec("CREATE INDEX IF NOT EXISTS obs_time ON obs (time)", None)?;
        sql.exec(
            "CREATE INDEX IF NOT EXISTS obs_received ON obs (received)",
            None,
        )?;
        Ok(())
    }

    /// Whether anything was ever pushed here (reads do not create the table).
    fn exists(&self) -> Result<bool> {
        let found = sql::rows(self.sql().exec(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'obs'",
            None,
        )?)?;
        Ok(!found.is_empty())
    }

    fn last_seq(&self) -> Result<i64> {
        let found = sql::rows(self.sql().exec("SELECT MAX(seq) FROM obs", None)?)?;
        // MAX of no row is NULL: 0.
        Ok(found.first().map(|r| sql::int(r, 0)).unwrap_or(0))
    }

    fn add(&self, new: Vec<Row>, now: i64) -> Result<Added> {
        let sql = self.sql();
        let mut out = Added::default();
        for r in new {
            let there = sql::rows(sql.exec(
                "SELECT value FROM obs WHERE variable = ? AND time = ?",
                vec![r.variable.as_str().into(), (r.time as f64).into()],
            )?)?;
            match there.first().map(|row| sql::float(row, 0)) {
                Some(v) if v == r.value => out.repeated += 1,
                Some(v) => out.conflicting.push(Conflict {
                    variable: r.variable,
                    time: r.time,
                    kept: v,
                    sent: r.value,
                }),
                None => {
                    sql.exec(
                        "INSERT INTO obs (variable, time, value, received) VALUES (?, ?, ?, ?)",
                        vec![
                            r.variable.as_str().into(),
                            (r.time as f64).into(),
                            r.value.into(),
                            (now as f64).into(),
                        ],
                    )?;
                    out.accepted += 1;
                }
            }
        }
        sql.exec(
            "DELETE FROM obs WHERE received < ?",
            vec![((now - RETAIN_SECONDS) as f64).into()],
        )?;
        out.seq = self.last_seq()?;
        Ok(out)
    }

    fn since(&self, time: i64) -> Result<Page> {
        let found = sql::rows(self.sql().exec(
            "SELECT seq, variable, time, value FROM obs WHERE time > ? ORDER BY time DESC LIMIT ?",
            vec![(time as f64).into(), (MAX_SINCE as f64).into()],
        )?)?;
        let mut p = page(found, self.last_seq()?);
        p.rows.reverse();
        Ok(p)
    }

    fn after(&self, seq: i64, limit: i64) -> Result<Page> {
        let found = sql::rows(self.sql().exec(
            "SELECT seq, variable, time, value FROM obs WHERE seq > ? ORDER BY seq LIMIT ?",
            vec![(seq as f64).into(), (limit as f64).into()],
        )?)?;
        Ok(page(found, self.last_seq()?))
    }
}

fn number(req: &Request, name: &str) -> Option<i64> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.parse::<i64>().ok())
}

impl DurableObject for StationInbox {
    fn new(state: State, _env: Env) -> Self {
        StationInbox { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let reading = req.method() == Method::Get;
        if reading && !self.exists()? {
            return Response::from_json(&Page::default());
        }
        match (req.method(), path.as_str()) {
            (Method::Post, "/add") => {
                self.ensure()?;
                let rows: Vec<Row> = req.json().await?;
                let now = (js_sys::Date::now() / 1000.0) as i64;
                Response::from_json(&self.add(rows, now)?)
            }
            (Method::Get, "/since") => {
                Response::from_json(&self.since(number(&req, "time").unwrap_or(i64::MIN))?)
            }
            (Method::Get, "/after") => {
                let limit = number(&req, "limit").unwrap_or(1000).clamp(1, 10_000);
                Response::from_json(&self.after(number(&req, "seq").unwrap_or(0), limit)?)
            }
            _ => Response::error("no such inbox call", 404),
        }
    }
}

/// The stations that have pushed values, with each one's latest sequence number.
#[durable_object]
pub struct PushIndex {
    state: State,
}

/// One station of the index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pushed {
    /// The station.
    pub station: String,
    /// Its latest sequence number.
    pub seq: i64,
}

impl DurableObject for PushIndex {
    fn new(state: State, _env: Env) -> Self {
        PushIndex { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS stations (station TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
            None,
        )?;
        match req.method() {
            Method::Post => {
                let list: Vec<Pushed> = req.json().await?;
                for p in list {
                    sql.exec(
                        "INSERT INTO stations (station, seq) VALUES (?, ?)
                         ON CONFLICT (station) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                        vec![p.station.as_str().into(), (p.seq as f64).into()],
                    )?;
                }
                Response::ok("")
            }
            _ => {
                let list: Vec<Pushed> = sql::rows(
                    sql.exec("SELECT station, seq FROM stations ORDER BY station", None)?,
                )?
                .into_iter()
                .map(|mut r| Pushed {
                    station: sql::text(&mut r, 0),
                    seq: sql::int(&r, 1),
                })
                .collect();
                Response::from_json(&list)
            }
        }
    }
}

fn binding(env: &Env, name: &str) -> std::result::Result<worker::ObjectNamespace, ApiError> {
    env.durable_object(name).map_err(|_| {
        ApiError::unavailable(format!(
            "the worker has no {name} Durable Object binding (wrangler.toml)"
        ))
    })
}

async fn call<T: for<'de> Deserialize<'de>>(
    env: &Env,
    station: &str,
    path: &str,
    body: Option<String>,
) -> std::result::Result<T, ApiError> {
    let stub = binding(env, "INBOX")?.id_from_name(station)?.get_stub()?;
    let mut init = RequestInit::new();
    let writing = body.is_some();
    if let Some(b) = body {
        init.with_method(Method::Post).with_body(Some(b.into()));
    }
    let req = Request::new_with_init(&format!("https://inbox{path}"), &init)?;
    let failed = || {
        ApiError::unavailable(if writing {
            "the pushed values could not be stored; retry (a value already stored is recognised, not doubled)"
        } else {
            "the values pushed for this station could not be read; retry"
        })
    };
    let mut r = stub.fetch_with_request(req).await.map_err(|e| {
        worker::console_error!("inbox {station}: {e}");
        failed()
    })?;
    if r.status_code() != 200 {
        let text = r.text().await.unwrap_or_default();
        worker::console_error!("inbox {station}: {} {text}", r.status_code());
        return Err(failed());
    }
    r.json()
        .await
        .map_err(|_| ApiError::unavailable("the inbox answered nonsense"))
}

/// Stores `rows` for `station`, durably when it returns.
pub async fn add(env: &Env, station: &str, rows: &[Row]) -> std::result::Result<Added, ApiError> {
    let body = serde_json::to_string(rows)
        .map_err(|_| ApiError::new(500, "internal", "the values could not be written"))?;
    call(env, station, "/add", Some(body)).await
}

/// Lists stations in the index of those that pushed, with their latest sequence numbers.
/// Called for repeated values too: a push whose values were stored but whose index update
/// failed (a 503) is sent again, and that retry must list them.
pub async fn touch(env: &Env, list: &[Pushed]) -> std::result::Result<(), ApiError> {
    if list.is_empty() {
        return Ok(());
    }
    let stub = binding(env, "PUSH_INDEX")?
        .id_from_name("index")?
        .get_stub()?;
    let mut init = RequestInit::new();
    let body = serde_json::to_string(list)
        .map_err(|_| ApiError::new(500, "internal", "the index could not be written"))?;
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://index/touch", &init)?;
    let r = stub.fetch_with_request(req).await.map_err(|e| {
        worker::console_error!("push index: {e}");
        ApiError::unavailable(
            "the values are stored but the index of stations was not updated; send the push again (what is stored comes back as repeated)",
        )
    })?;
    if r.status_code() != 200 {
        worker::console_error!("push index: {}", r.status_code());
        return Err(ApiError::unavailable(
            "the values are stored but the index of stations was not updated; send the push again (what is stored comes back as repeated)",
        ));
    }
    Ok(())
}

/// The values pushed for `station` with a time after `time`.
pub async fn since(env: &Env, station: &str, time: i64) -> std::result::Result<Page, ApiError> {
    call(env, station, &format!("/since?time={time}"), None).await
}

/// Up to `limit` values pushed for `station` after sequence number `seq`.
pub async fn after(
    env: &Env,
    station: &str,
    seq: i64,
    limit: i64,
) -> std::result::Result<Page, ApiError> {
    call(
        env,
        station,
        &format!("/after?seq={seq}&limit={limit}"),
        None,
    )
    .await
}

/// The stations that have pushed.
pub async fn stations(env: &Env) -> std::result::Result<Vec<Pushed>, ApiError> {
    let stub = binding(env, "PUSH_INDEX")?
        .id_from_name("index")?
        .get_stub()?;
    let mut r = stub
        .fetch_with_str("https://index/list")
        .await
        .map_err(|_| ApiError::unavailable("the index of pushing stations could not be read"))?;
    r.json()
        .await
        .map_err(|_| ApiError::unavailable("the index of pushing stations answered nonsense"))
}
