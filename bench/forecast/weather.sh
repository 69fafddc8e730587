#!/usr/bin/env bash
# The weather known ahead on the canonical task: configs/forecast_weather.toml (trained on
# the measured weather blurred by a forecast's error, the default) next to the same task
# trained on the weather as measured ("perfect prognosis"), and with a smaller forecast
# error (±1.2 m/s and ±1.2 K a day ahead); each report also holds the task without the
# weather and with the weather as measured. Prints Markdown tables for BENCHMARKS.md.
# Usage: bench/forecast/weather.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/bench/out/weather"
rm -rf "$out"; mkdir -p "$out"
cargo build --release -p aqcast >/dev/null 2>&1
A="${CARGO_TARGET_DIR:-target}/release/aqcast"
$A ingest tests/fixtures/data/aurn_no2_2001_2003.csv.gz --store "$out/store" >/dev/null
run() { # name, task file
  local s0 s1
  s0=$(date +%s.%N)
  $A train --config "$2" --store "$out/store" -o "$out/$1.aqm" --json > "$out/$1.json"
  s1=$(date +%s.%N)
  echo "$1: $(echo "$s1 - $s0" | bc) s" >&2
}
run forecast-like configs/forecast_weather.toml
sed 's/^track_rate = /ahead_training = "measured"\ntrack_rate = /' configs/forecast_weather.toml > "$out/measured.toml"
run measured "$out/measured.toml"
{ cat configs/forecast_weather.toml; printf '\n[forecast.ahead_error.ws]\nsigma = 1.0\nper_day = 0.2\n\n[forecast.ahead_error.temp]\nsigma = 1.0\nper_day = 0.2\n'; } > "$out/smaller.toml"
run smaller-error "$out/smaller.toml"
python3 bench/forecast/weather.py "$out"
