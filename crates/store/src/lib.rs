//! # aqcast-store
//!
//! Object storage for aqcast — a local folder by default, or any S3-compatible bucket
//! (AWS S3, Cloudflare R2, MinIO) — and what lives in it: the model registry, published
//! versions, station data and run records. The layout and the documents are defined once
//! in `aqcast_core::published`; this crate writes and reads them.
//!
//! - [`objects`]: [`Objects`], the blocking facade over `object_store` (get, put, the two
//!   conditional writes, list);
//! - [`registry`]: compare-and-swap updates of `registry/<name>.json`, promotion, tags;
//! - [`publish`]: upload, verify, register;
//! - [`runs`]: run records;
//! - [`retry`]: backoff for what may pass.

pub mod error;
pub mod objects;
pub mod publish;
pub mod registry;
pub mod retry;
pub mod runs;

pub use error::Error;
pub use objects::Objects;
