//! `aqcast-wasm`: the wasm-bindgen bindings over `aqcast-core` that wasm-pack builds into
//! the npm package in `pkg/` (SPEC §8).
//!
//! Not built yet: this crate is an empty placeholder in the workspace layout, so that the
//! bindings (issue #5) have a home. It exports nothing and claims nothing.
