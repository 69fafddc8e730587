//! The bindings of `crates/wasm`, exercised inside wasm under Node (wasm-bindgen-test).
//! Compiled only for wasm32.
#![cfg(target_arch = "wasm32")]

mod common;
