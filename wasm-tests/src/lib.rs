//! Test-only crate: see `tests/`. Run with `scripts/test`.
