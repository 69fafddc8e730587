#!/usr/bin/env bash
# The hourly refresh at scale: N stations (3,000) with 30 days of hourly NO2 each (the
# shipped AURN series from a different hour per station, bench/live/gen_stations.py), then
# one new hour for every station, then for 70 of them, then for one: each is `aqcast
# ingest` of the new values, which refreshes the published stations whose data changed
# (as `aqcast fetch` and the pipeline do), timed, with the bytes it wrote to the store.
# The reference, in the same run, is republishing every station (`stations publish
# --full`, what each refresh did before the publication state).
# Usage: bench/live/refresh.sh [N]      (after cargo build --release -p aqcast)
set -euo pipefail
shopt -s inherit_errexit   # a failing aqcast inside $(timed …) stops the run
cd "$(dirname "$0")/../.."
n="${1:-3000}"
bin="$(realpath "${CARGO_TARGET_DIR:-target}")/release/aqcast"
out="$PWD/bench/out/refresh"
rm -rf "$out"; mkdir -p "$out"
store="$out/store"
end=1796598000   # 2026-12-06 23:00 UTC: the last hour of the history
gen() { python3 bench/live/gen_stations.py "$@"; }

# The bytes of files under the store changed since the marker, and their count.
written() { find "$store" -type f -newer "$out/marker" -printf '%s\n' | awk '{ s += $1; n++ } END { printf "%d files, %.1f MB", n, s / 1048576 }'; }
# Seconds a command takes (wall clock).
timed() { local t0; t0=$(date +%s.%N); "$@" > "$out/last.log"; echo "$(date +%s.%N) - $t0" | bc; }

gen base "$n" 720 "$end" "$out/base.csv"
echo "history: $(($(wc -l < "$out/base.csv") - 1)) values of $n stations"
touch "$out/marker"
t=$(timed "$bin" ingest "$out/base.csv" --store "$store")
echo "ingest of the history: ${t} s"
touch "$out/marker"; sleep 1
t=$(timed "$bin" stations publish --store "$store")
echo "first publish ($n stations): ${t} s, $(written)"

step() {   # step LABEL K HOUR: a new HOUR for K stations, ingested (which refreshes the
           # published stations whose data changed), then the same done by --full
  local label="$1" k="$2" hour="$3" t
  gen next "$n" "$k" "$hour" "$out/next.csv"
  sleep 1; touch "$out/marker"; sleep 1
  t=$(timed "$bin" ingest "$out/next.csv" --store "$store")
  printf '%-40s ingest and refresh %6.2f s, %s snapshots refreshed; wrote %s\n' "$label" "$t" \
    "$(grep -o 'and [0-9]* snapshots' "$out/last.log" | grep -o '[0-9]*')" "$(written)"
  sleep 1; touch "$out/marker"; sleep 1
  t=$(timed "$bin" stations publish --store "$store" --full)
  printf '%-40s reference: stations publish --full %6.2f s; wrote %s\n' "" "$t" "$(written)"
}
step "one new hour for all $n stations" "$n" $((end + 3600))
step "one new hour for 70 of $n stations" 70 $((end + 7200))
step "one new hour for 1 of $n stations" 1 $((end + 10800))
echo "store: $(du -sh "$store" | cut -f1), $(find "$store" -type f | wc -l) files"
