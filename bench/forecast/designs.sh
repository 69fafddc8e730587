#!/usr/bin/env bash
# How to serve all 72 horizons from one artifact: the three designs measured on the
# canonical station (AURN NO2, train 2001–2002, test 2003), with the same origin features
# (configs/forecast.toml's pipeline) and the same boosting settings (300 trees, learning
# rate 0.05, 31 leaves):
#
#   stacked       one head per quantile over (origin, step) rows with horizon features
#                 (configs/forecast.toml; what aqcast ships)
#   direct        one head per horizon and quantile; trained and measured here for the
#                 horizons 1 2 3 6 12 18 24 36 48 60 72 at the median (P50), its size
#                 and training time for 72 × 3 heads scaled from those 11
#   interpolated  the direct heads at those 11 horizons, the others interpolated linearly
#                 between the nearest two
#
# Accuracy is the median's RMSE per horizon on 2003 (the same 8,7xx origins for the
# direct and interpolated designs; the stacked report's rows also need every baseline).
# Prints a Markdown table for BENCHMARKS.md. Usage: bench/forecast/designs.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/bench/out/forecast"
rm -rf "$out"; mkdir -p "$out"
cargo build --release -p aqcast >/dev/null 2>&1
A="${CARGO_TARGET_DIR:-target}/release/aqcast"
$A ingest tests/fixtures/data/aurn_no2_2001_2003.csv.gz --store "$out/store" >/dev/null
threads=$(nproc)

# Stacked.
s0=$(date +%s.%N)
$A train --config configs/forecast.toml --store "$out/store" -o "$out/stacked.aqm" --json > "$out/stacked.json"
s1=$(date +%s.%N)
# The time of one 72-hour forecast from a 200-hour snapshot (criterion).
AQCAST_BENCH_FORECAST_MODEL="$out/stacked.aqm" AQCAST_BENCH_STORE="$out/store" \
  cargo bench -p aqcast --bench forecast -- --warm-up-time 2 --measurement-time 5 > "$out/forecast_bench.txt" 2>&1
grep -A2 forecast_72h "$out/forecast_bench.txt" | head -3

# Direct heads at 11 horizons (median only): the forecast task without [forecast].
anchors="1, 2, 3, 6, 12, 18, 24, 36, 48, 60, 72"
sed -e '/^\[forecast\]/,$d' -e "s/^of = \"no2\"\$/of = \"no2\"/" configs/forecast.toml > "$out/direct.toml"
python3 - "$out/direct.toml" "$anchors" <<'PY'
import sys
p, anchors = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace('[pipeline.target]\nof = "no2"\n', '[pipeline.target]\nof = "no2"\nhorizons = [%s]\n' % anchors)
s = s.replace('[train]\n', '[train]\nobjective = "quantile"\nalpha = 0.5\n')
open(p, "w").write(s)
PY
d0=$(date +%s.%N)
$A train --config "$out/direct.toml" --store "$out/store" -o "$out/direct.aqm" --json > "$out/direct.json"
d1=$(date +%s.%N)
# Every horizon's target on the test rows, and the direct heads' predictions on them.
sed -e "s/^horizons = \[.*\]/horizons = [$(seq -s ', ' 1 72)]/" "$out/direct.toml" > "$out/all.toml"
$A features --config "$out/all.toml" --store "$out/store" -o "$out/features.csv"
$A predict --model "$out/direct.aqm" --input "$out/features.csv" -o "$out/direct_pred.csv"

python3 bench/forecast/designs.py "$out" "$(echo "$s1 - $s0" | bc)" "$(echo "$d1 - $d0" | bc)" "$threads"
