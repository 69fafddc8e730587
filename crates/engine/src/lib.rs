//! # aqcast-engine
//!
//! The tree-ensemble engine every aqcast front end predicts with:
//!
//! - [`ensemble`]: the canonical tree-ensemble representation, its invariants and the
//!   slow obviously-correct walk every fast path is tested against;
//! - [`predict`]: the compiled engine (quantized rows, flat nodes for single rows, the
//!   byte-sliced SIMD batch engine);
//! - [`shap`]: exact TreeSHAP explanations.
//!
//! It knows nothing of pollutants, pipelines or files: it takes an [`Ensemble`] and rows
//! of numbers and gives numbers back. `#![no_std]` + `alloc`, no I/O, no clock.
//!
//! All the `unsafe` code of aqcast's core lives here: the SIMD intrinsics of `sliced`, its
//! blocks' column loads and leaf lookups, and the single-row walk's unchecked step, each
//! with its safety argument (`#[allow(unsafe_code)]` marks each place, and the whole of
//! `sliced/block.rs`, the module of intrinsics; the crate denies it everywhere else, and
//! every other crate of the core forbids it).
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod ensemble;
mod error;
pub mod predict;
mod quantize;
pub mod shap;
mod sliced;

pub use ensemble::{Ensemble, Link, Precision};
pub use error::Error;
pub use predict::{Matrix, Predictor};
