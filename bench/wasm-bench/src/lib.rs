//! A minimal WebAssembly module over `aqcast-core` with plain C-ABI exports, loaded by
//! `bench/wasm-bench/run.mjs` with nothing but `WebAssembly.instantiate`. It exists to
//! measure and check the core's inference compiled to wasm, apart from any binding layer;
//! the npm package (`crates/wasm`) is the user-facing API.
//!
//! Protocol: the host allocates buffers with `buf_alloc`, copies model bytes / inputs in,
//! calls `model_load` (returns a handle, 0 on error, message via `error_ptr`/`error_len`),
//! then `predict_batch` / `predict_row`.

use aqcast_core::{import, Matrix, Model, Predictor};
use std::cell::RefCell;

struct Loaded {
    model: Model,
    predictor: Predictor,
}

thread_local! {
    static MODELS: RefCell<Vec<Loaded>> = const { RefCell::new(Vec::new()) };
    static ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

fn fail(msg: String) -> u32 {
    ERROR.with(|e| *e.borrow_mut() = msg);
    0
}

/// Allocates `len` bytes (8-byte aligned) for the host to fill.
#[no_mangle]
pub extern "C" fn buf_alloc(len: usize) -> *mut u8 {
    let mut v = vec![0u64; len.div_ceil(8)];
    let p = v.as_mut_ptr() as *mut u8;
    std::mem::forget(v);
    p
}

/// Frees a buffer from `buf_alloc` of the same `len`.
///
/// # Safety
/// `ptr` and `len` must come from one `buf_alloc` call, freed once.
#[no_mangle]
pub unsafe extern "C" fn buf_free(ptr: *mut u8, len: usize) {
    let n = len.div_ceil(8);
    drop(Vec::from_raw_parts(ptr as *mut u64, n, n));
}

/// Loads any model kind from `len` bytes at `ptr`; returns a handle (≥ 1) or 0.
///
/// # Safety
/// `ptr..ptr+len` must be readable.
#[no_mangle]
pub unsafe extern "C" fn model_load(ptr: *const u8, len: usize) -> u32 {
    let bytes = std::slice::from_raw_parts(ptr, len);
    let model = match import::load_any(bytes) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    let predictor = match Predictor::new(&model.heads[0].ensemble) {
        Ok(p) => p,
        Err(e) => return fail(e.to_string()),
    };
    MODELS.with(|m| {
        let mut m = m.borrow_mut();
        m.push(Loaded { model, predictor });
        m.len() as u32
    })
}

/// Number of features of a loaded model.
#[no_mangle]
pub extern "C" fn model_features(handle: u32) -> u32 {
    with(handle, |l| l.model.features.len() as u32).unwrap_or(0)
}

fn with<T>(handle: u32, f: impl FnOnce(&Loaded) -> T) -> Option<T> {
    MODELS.with(|m| m.borrow().get((handle as usize).wrapping_sub(1)).map(f))
}

/// Like `predict_batch` with a chosen engine: 0 automatic, 1 interleaved walk,
/// 2 the sliced engine's plain-code blocks (for the benchmark).
///
/// # Safety
/// As for `predict_batch`.
#[no_mangle]
pub unsafe extern "C" fn predict_batch_with(
    handle: u32,
    x: *const f64,
    rows: usize,
    out: *mut f64,
    strategy: u32,
) -> u32 {
    use aqcast_core::predict::{Isa, Strategy};
    let s = match strategy {
        1 => Strategy::Walk,
        2 => Strategy::Sliced(Isa::Plain),
        _ => Strategy::Auto,
    };
    let r = with(handle, |l| {
        let nf = l.predictor.n_features();
        let input = std::slice::from_raw_parts(x, rows * nf);
        let out = std::slice::from_raw_parts_mut(out, rows);
        l.predictor.predict_with(Matrix::RowMajorF64(input), out, s)
    });
    match r {
        Some(Ok(())) => 1,
        Some(Err(e)) => fail(e.to_string()),
        None => fail(format!("no model {handle}")),
    }
}

/// Predicts `rows` row-major f64 rows at `x` into `out`; returns 1, or 0 on error.
///
/// # Safety
/// `x` must hold `rows × features` f64 values and `out` room for `rows` f64 values.
#[no_mangle]
pub unsafe extern "C" fn predict_batch(
    handle: u32,
    x: *const f64,
    rows: usize,
    out: *mut f64,
) -> u32 {
    predict_batch_with(handle, x, rows, out, 0)
}

/// Predicts one row of f64 values at `x`; NaN on error.
///
/// # Safety
/// `x` must hold `features` f64 values.
#[no_mangle]
pub unsafe extern "C" fn predict_row(handle: u32, x: *const f64) -> f64 {
    with(handle, |l| {
        let row = std::slice::from_raw_parts(x, l.predictor.n_features());
        l.predictor.predict_row(row).unwrap_or(f64::NAN)
    })
    .unwrap_or(f64::NAN)
}

/// The last error message: pointer and length of its UTF-8 bytes.
#[no_mangle]
pub extern "C" fn error_ptr() -> *const u8 {
    ERROR.with(|e| e.borrow().as_ptr())
}

/// Length of the last error message.
#[no_mangle]
pub extern "C" fn error_len() -> usize {
    ERROR.with(|e| e.borrow().len())
}
