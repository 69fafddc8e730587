#!/usr/bin/env bash
# Ingestion benchmark: `aqcast ingest` on EPA AQS hourly files next to pandas.read_csv on
# the same file, in one run; peak memory on a 20-million-row file.
#
#   bench/ingest/run.sh [ROWS_SMALL=2000000] [ROWS_BIG=20000000]
#
# Needs: python3 with pandas, GNU time (/usr/bin/time). Writes bench/out/ingest/*.
set -euo pipefail
cd "$(dirname "$0")/../.."
small=${1:-2000000}
big=${2:-20000000}
out=bench/out/ingest
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -p aqcast >&2
bin="${CARGO_TARGET_DIR:-target}/release/aqcast"
echo "generating $small and $big rows" >&2
awk -v rows="$small" -f bench/ingest/gen_epa_hourly.awk > "$work/hourly_44201_2023.csv"
mkdir -p "$work/big"
awk -v rows="$big" -f bench/ingest/gen_epa_hourly.awk > "$work/big/hourly_44201_2023.csv"

# seconds and peak RSS (kB) of a command, from GNU time
measure() { /usr/bin/time -f "%e %M" -o "$work/t" "$@" > /dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; cat "$work/t"; }

aq_s=(); pd_s=()
for rep in 1 2 3; do
  rm -rf "$work/store"
  read -r s rss < <(measure "$bin" ingest "$work/hourly_44201_2023.csv" --store "$work/store")
  aq_s+=("$s"); aq_rss=$rss
  read -r s rss < <(measure python3 -c "import pandas as pd, sys; pd.read_csv(sys.argv[1])" "$work/hourly_44201_2023.csv")
  pd_s+=("$s"); pd_rss=$rss
done
rm -rf "$work/store"
read -r big_s big_rss < <(measure "$bin" ingest "$work/big" --store "$work/store")
big_bytes=$(stat -c %s "$work/big/hourly_44201_2023.csv")
small_bytes=$(stat -c %s "$work/hourly_44201_2023.csv")
store_bytes=$(du -sb "$work/store" | cut -f1)

python3 - "$small" "$big" "$small_bytes" "$big_bytes" "$store_bytes" "$aq_rss" "$pd_rss" "$big_s" "$big_rss" \
  "${aq_s[*]}" "${pd_s[*]}" > "$out/result.json" <<'PY'
import json, statistics, sys
small, big, small_b, big_b, store_b, aq_rss, pd_rss, big_s, big_rss = sys.argv[1:10]
aq = statistics.median(map(float, sys.argv[10].split()))
pd = statistics.median(map(float, sys.argv[11].split()))
r = {
  "rows": int(small), "file_bytes": int(small_b),
  "aqcast_ingest_s": aq, "aqcast_rows_per_s": int(small) / aq, "aqcast_peak_rss_kb": int(aq_rss),
  "pandas_read_csv_s": pd, "pandas_rows_per_s": int(small) / pd, "pandas_peak_rss_kb": int(pd_rss),
  "speed_ratio_aqcast_over_pandas": pd / aq,
  "big_rows": int(big), "big_file_bytes": int(big_b), "big_ingest_s": float(big_s),
  "big_rows_per_s": int(big) / float(big_s), "big_peak_rss_kb": int(big_rss), "big_store_bytes": int(store_b),
}
print(json.dumps(r, indent=1))
PY
cat "$out/result.json"
