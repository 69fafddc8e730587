//! Errors thrown to JavaScript: `AqcastError`, a subclass of `Error` with a `code`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "
export class AqcastError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'AqcastError';
    this.code = code;
  }
}
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

/// The `AqcastError` for a core error (its stable code and its message).
pub(crate) fn core_error(e: &aqcast_core::Error) -> JsValue {
    error(e.code(), &e.to_string())
}
