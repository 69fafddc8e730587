//! The rows of a SQLite-backed Durable Object's queries, read without serde (the columns
//! are known): what the station inboxes (`inbox.rs`) and the alert book (`alerts.rs`)
//! share.

use worker::{Result, SqlCursor, SqlStorageValue};

/// A row of a query's answer.
pub type Row = Vec<SqlStorageValue>;

/// Every row of a query's answer.
pub fn rows(cursor: SqlCursor) -> Result<Vec<Row>> {
    cursor.raw().collect()
}

/// A column as text, taken out of the row (empty when it is not text).
pub fn text(row: &mut [SqlStorageValue], i: usize) -> String {
    match row.get_mut(i) {
        Some(SqlStorageValue::String(s)) => std::mem::take(s),
        _ => String::new(),
    }
}

/// A column as a number (SQLite's INTEGER and REAL both arrive as a JS number); NaN when
/// it is none (NULL, or text).
pub fn float(row: &[SqlStorageValue], i: usize) -> f64 {
    match row.get(i) {
        Some(SqlStorageValue::Integer(n)) => *n as f64,
        Some(SqlStorageValue::Float(x)) => *x,
        _ => f64::NAN,
    }
}

/// A column as an integer; 0 when it is none (NULL, or text).
pub fn int(row: &[SqlStorageValue], i: usize) -> i64 {
    match row.get(i) {
        Some(SqlStorageValue::Integer(n)) => *n,
        Some(SqlStorageValue::Float(x)) => *x as i64,
        _ => 0,
    }
}
