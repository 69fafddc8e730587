//! Errors thrown to JavaScript: `AqcastError`, a subclass of `Error` with a `code`.

use wasm_bindgen::prelude::*;

// One class for every module of the package (the runtime and the optional modules each
// carry this snippet): the first one loaded defines it under a global symbol, the others
// reuse it, so `e instanceof AqcastError` holds for an error from any of them. The runtime
// exports it (scripts/build-pkg adds the export to aqcast.js).
#[wasm_bindgen(inline_js = "
const key = Symbol.for('aqcast.AqcastError');
export const AqcastError = globalThis[key] ??= class AqcastError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'AqcastError';
    this.code = code;
  }
};
export function makeError(code, message) { return new AqcastError(code, message); }
")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str) -> JsValue;
}

/// An `AqcastError` with this code and message.
pub(crate) fn error(code: &str, message: &str) -> JsValue {
    make_error(code, message)
}

/// The `AqcastError` for an error of the core (its stable code and its message).
pub(crate) fn core_error(e: impl aqcast_core::Coded) -> JsValue {
    error(e.code(), &e.to_string())
}
