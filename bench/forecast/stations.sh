#!/usr/bin/env bash
# One model across the 70 German PM10 stations (configs/forecast_de.toml) next to one
# model per station (the same features and settings, without the station features),
# each evaluated per station on 2008–2009: accuracy (RMSE and skill per step, per
# station) and total size. Prints a Markdown table for BENCHMARKS.md.
# Usage: bench/forecast/stations.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/bench/out/stations"
rm -rf "$out"; mkdir -p "$out/single"
cargo build --release -p aqcast >/dev/null 2>&1
A="${CARGO_TARGET_DIR:-target}/release/aqcast"
$A ingest tests/fixtures/data/airbase_pm10_de_1998_2009.csv.gz --store "$out/store" \
  --map site=code --map time=date --map pm10=pm10:ug/m3 >/dev/null
s0=$(date +%s.%N)
$A train --config configs/forecast_de.toml --store "$out/store" -o "$out/pooled.aqm" --json > "$out/pooled.json"
s1=$(date +%s.%N)
echo "pooled: $(echo "$s1 - $s0" | bc) s"
# One task per station that has test rows in the pooled report.
stations=$(python3 -c "
import json
r = json.load(open('$out/pooled.json'))['forecast']['per_station']
print(' '.join(s['station'] for s in r))")
p0=$(date +%s.%N)
for s in $stations; do
  sed -e "s/^sites = .*/site = \"$s\"/" -e '/^stations = /d' -e '0,/^name = .*/s//name = "pm10-'"$s"'"/' \
    -e 's/, "latitude", "longitude"//' configs/forecast_de.toml > "$out/single/$s.toml"
  # A station whose training years are too short is reported, not fatal.
  $A train --config "$out/single/$s.toml" --store "$out/store" -o "$out/single/$s.aqm" --json \
    > "$out/single/$s.json" 2> "$out/single/$s.err" || echo "$s: $(cat "$out/single/$s.err")"
done
p1=$(date +%s.%N)
echo "per station: $(echo "$p1 - $p0" | bc) s"
python3 bench/forecast/stations.py "$out"
