#!/usr/bin/env bash
# Fuzzes every decoder of untrusted bytes for SECONDS each (default 300): the .aqm decoder
# `load_any` (format detection, LightGBM text, XGBoost JSON, aqcast JSON and binary) and
# `aqcast ingest` on a measurement file of any format, the readers of the published
# documents (station list, snapshot, registry) the edge worker and the dashboard fetch,
# and the readers of what the live feeds download (EEA Parquet, metadata ZIP and URL
# lists; AirNow's site list and hourly files), and the edge worker's reading and checking
# of what sensors push (`POST /v1/observations`) and of what browsers subscribe with
# (`POST /v1/alerts/subscriptions`).
# Not part of CI. Needs cargo-fuzz (installed here if missing) and a C compiler; uses
# RUSTC_BOOTSTRAP=1 because only a stable toolchain is available.
# Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-300}"
cargo fuzz --version 2>/dev/null | grep -qF 0.13.1 || cargo install cargo-fuzz --version 0.13.1 --locked
# Hostile files, generated here (not committed): a gzip bomb (1 GiB of zeros, 1 MB
# gzipped) and a file with a 2 MiB line. Whole, through the CLI, under a 1 GiB
# address-space limit: each must end with a one-line error, not an abort. Small versions
# (4 MiB of zeros, a 64 KiB line) seed the ingest target (first byte: the file name).
gen="$PWD/corpus/generated"
mkdir -p "$gen" corpus/ingest_file
head -c 1G /dev/zero | gzip -9 > "$gen/bomb.csv.gz"
{ printf 'date,no2\n2024-01-01 00:00:00,5\n2024-01-01 01:00:00,'; head -c 2M /dev/zero | tr '\0' 1; printf '\n'; } > "$gen/long-line.csv"
(cd .. && cargo build --release -p aqcast -q)
aqcast="$(cd .. && realpath "${CARGO_TARGET_DIR:-target}")/release/aqcast"
for f in bomb.csv.gz long-line.csv; do
  for cmd in "ingest $gen/$f --store $gen/store" "predict --model ../tests/fixtures/models/lightgbm_l2.txt --input $gen/$f"; do
    set +e
    out=$( (ulimit -v 1048576; $aqcast $cmd) 2>&1 )
    code=$?
    set -e
    lines=$(printf '%s\n' "$out" | grep -c '^error:' || true)
    if [ "$code" -ne 2 ] || [ "$lines" -ne 1 ]; then
      echo "FAILED: aqcast $cmd exited $code: $out" >&2
      exit 1
    fi
    echo "ok: aqcast ${cmd%% *} $f: $(printf '%s\n' "$out" | grep '^error:' | cut -c1-120)"
  done
done
{ printf '\0'; head -c 4M /dev/zero | gzip -9; } > corpus/ingest_file/generated-bomb
{ printf '\0'; printf 'date,no2\n2024-01-01 00:00:00,'; head -c 64K /dev/zero | tr '\0' 1; printf '\n'; } > corpus/ingest_file/generated-long-line

for t in decode_artifact load_any_model ingest_file published_docs feed_files pushes alert_subscriptions; do
  mkdir -p "corpus/$t"
  cp -n seeds/$t/* "corpus/$t/" 2>/dev/null || true
  echo "== $t, $secs s"
  len=4096
  [ "$t" = feed_files ] && len=16384   # the EEA's Parquet seeds are up to 7 KB
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -max_len="$len" 2>&1 |
    grep -E "^#[0-9]+.*DONE|^Done|ERROR|panicked|SUMMARY" || true
done
