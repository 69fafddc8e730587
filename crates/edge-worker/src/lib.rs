//! `aqcast-edge-worker`: the workers-rs HTTP service over `aqcast-core` (SPEC §9).
//!
//! Not built yet: this crate is an empty placeholder in the workspace layout, so that the
//! worker has a home. It serves nothing and claims nothing.
