#!/usr/bin/env python3
"""Turns the outputs of bench/run.sh into the BENCHMARKS.md table. Usage: report.py OUT_DIR"""
import json, re, sys
from pathlib import Path

import numpy as np

out = Path(sys.argv[1])
ref = json.loads((out / "reference.json").read_text())
h1 = ref["horizons"]["1"]
lgb, xgb = h1["lightgbm"], h1["xgboost"]
rows = h1["n_test"]


def criterion(name):
    """Mean time in seconds of one criterion benchmark, from its estimates.json."""
    base = Path("target/criterion")
    hits = list(base.glob(f"batch_{rows}_rows_500_trees/{name}/new/estimates.json")) or \
        list(base.glob(f"one_row/{name}/new/estimates.json"))
    if not hits:
        raise SystemExit(f"no criterion result for {name}")
    return json.loads(hits[0].read_text())["mean"]["point_estimate"] / 1e9


native_batch = rows / criterion("auto_f64")
native_walk = rows / criterion("walk")
native_avx2 = rows / criterion("sliced_avx2")
native_row_us = criterion("predict_row") * 1e6
explain_row_us = criterion("explain_row") * 1e6
wasm = json.loads((out / "wasm.json").read_text())
simd = json.loads((out / "wasm_simd.json").read_text())

print(f"Canonical task, h=1: {rows} test rows, 15 features, 500 trees of ≤ 31 leaves "
      f"(LightGBM model from reference.py). One thread everywhere.\n")
print("| engine | batch rows/s | vs LightGBM | one row (µs) | vs LightGBM |")
print("|---|---|---|---|---|")
lr, lu = lgb["predict_rows_per_s"], lgb["predict_one_row_us_python"]
print(f"| LightGBM {lgb.get('model_file','')} predict (Python API) | {lr:,.0f} | 1.0× | {lu:.1f} | 1.0× |")
print(f"| XGBoost predict (Python API) | {xgb['predict_rows_per_s']:,.0f} | {xgb['predict_rows_per_s']/lr:.2f}× | {xgb['predict_one_row_us_python']:.1f} | {lu/xgb['predict_one_row_us_python']:.1f}× |")
print(f"| aqcast native (sliced engine, widest SIMD the CPU has) | {native_batch:,.0f} | **{native_batch/lr:.1f}×** | {native_row_us:.1f} | {lu/native_row_us:.0f}× |")
print(f"| aqcast native, sliced engine held to AVX2 | {native_avx2:,.0f} | {native_avx2/lr:.1f}× | | |")
print(f"| aqcast native (interleaved tree walk) | {native_walk:,.0f} | {native_walk/lr:.1f}× | | |")
print(f"| aqcast wasm, Node (scalar build: walks) | {wasm['batch_rows_per_s']:,.0f} | **{wasm['batch_rows_per_s']/lr:.1f}×** | {wasm['one_row_us']:.1f} | {lu/wasm['one_row_us']:.0f}× |")
print(f"| aqcast wasm, Node (simd128 build) | {simd['batch_rows_per_s']:,.0f} | **{simd['batch_rows_per_s']/lr:.1f}×** | {simd['one_row_us']:.1f} | {lu/simd['one_row_us']:.0f}× |")
print()
print(f"TreeSHAP, one row, native: {explain_row_us:.0f} µs. wasm module: {wasm['wasm_bytes']:,} bytes; "
      f"cold start in Node (read + instantiate + load model + first batch): {wasm['cold_start_ms']:.0f} ms.")
print()
print("Parity on every test row (aqcast vs the library's own predictions):\n")
print("| model | rows | max abs diff | rows not bit-identical |")
print("|---|---|---|---|")
for lib, ext in (("lightgbm", "txt"), ("xgboost", "json")):
    for h in (1, 24):
        a = np.loadtxt(out / f"aqcast_{lib}_h{h}.txt")
        b = np.loadtxt(out / "ref" / f"{lib}_pred_h{h}.csv")
        print(f"| {lib} h={h} | {len(a)} | {np.max(np.abs(a-b)):.3g} | {int(np.sum(a != b))} |")
print(f"| lightgbm h=1, aqcast in wasm | {wasm['rows']} | — | {wasm['mismatches']} |")
