//! The same binding tests inside headless Chromium (wasm-bindgen-test-runner drives it
//! through chromedriver; `webdriver.json` beside Cargo.toml holds the browser flags).
//! Compiled only for wasm32.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;
