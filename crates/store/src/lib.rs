//! # aqcast-store
//!
//! Where aqcast's data and models live. Measurements come in through [`ingest`] (every
//! file format, checked, de-duplicated, quarantined) into the [`data`] store (Parquet
//! partitioned by site and variable, and the manifest of every file taken). Models go out
//! through object storage — a local folder by default, or any S3-compatible bucket (AWS
//! S3, Cloudflare R2, MinIO) — with the model registry, published versions, station data
//! and run records. The published layout and documents are defined once in
//! `aqcast_core::published`; this crate writes and reads them.
//!
//! - [`ingest`]: formats, vocabulary and units, the sink, quarantine;
//! - [`data`]: the Parquet data store and its manifest;
//! - [`files`]: gzip detection, the line cap, the one atomic replace;
//! - [`shared`]: a data store in a bucket, mirrored locally, pulled and pushed;
//! - [`objects`]: [`Objects`], the blocking facade over `object_store` (get, put, the two
//!   conditional writes, list);
//! - [`registry`]: compare-and-swap updates of `registry/<name>.json`, promotion, tags;
//! - [`publish`]: upload, verify, register;
//! - [`runs`]: run records;
//! - [`retry`]: backoff for what may pass.

pub mod data;
pub mod error;
pub mod files;
pub mod ingest;
pub mod objects;
pub mod publish;
pub mod registry;
pub mod retry;
pub mod runs;
pub mod shared;

pub use error::Error;
pub use objects::Objects;
