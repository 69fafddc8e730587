//! `aqcast-web`: the Leptos citizen dashboard over `aqcast-core` (SPEC §10).
//!
//! Not built yet: this crate is an empty placeholder in the workspace layout, so that the
//! dashboard has a home. It renders nothing and claims nothing.
