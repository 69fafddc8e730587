#!/usr/bin/env bash
# Training benchmark on the canonical task (configs/canonical.toml), in one run:
# bench/reference.py (LightGBM, XGBoost, scikit-learn) and `aqcast train` on the
# same feature matrix (reference.py's features.csv), same settings (500 trees, learning
# rate 0.05, 31 leaves, 255 bins, squared error, no early stopping), with 1 and 2 threads.
#
#   bench/train/run.sh [REPS=3]
#
# Needs: pip install numpy pandas lightgbm==4.7.0 xgboost==3.2.0 scikit-learn==1.9.1
# Writes bench/out/train/{ref-t1,ref-t2}/…, aqcast-t{1,2}-r*.json, result.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
out=bench/out/train
mkdir -p "$out"
ref=bench/reference.py
cargo build --release -p aqcast >&2
bin="${CARGO_TARGET_DIR:-target}/release/aqcast"
for t in 1 2; do
  echo "reference.py, $t thread(s)" >&2
  python3 "$ref" --out "$out/ref-t$t" --threads "$t" --reps "$reps" > "$out/ref-t$t.json"
  for r in $(seq "$reps"); do
    "$bin" train --config configs/canonical.toml --table "$out/ref-t$t/features.csv" \
      -o "$out/aqcast-t$t.aqm" --threads "$t" --json > "$out/aqcast-t$t-r$r.json"
  done
done
# Peak memory of one training run each (both horizons; GNU time, kB).
/usr/bin/time -f "%M" -o "$out/aqcast.rss" "$bin" train --config configs/canonical.toml \
  --table "$out/ref-t1/features.csv" -o "$out/aqcast-rss.aqm" --threads 1 > /dev/null
/usr/bin/time -f "%M" -o "$out/lightgbm.rss" python3 "$ref" --out "$out/ref-rss" --models lightgbm \
  --threads 1 --reps 1 > /dev/null
python3 - "$out" "$reps" <<'PY' | tee "$out/result.json"
import json, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
res = {"reps": reps, "threads": {}}
for t in (1, 2):
    ref = json.load(open(f"{out}/ref-t{t}.json"))
    runs = [json.load(open(f"{out}/aqcast-t{t}-r{r}.json")) for r in range(1, reps + 1)]
    hs = {}
    for i, h in enumerate(("1", "24")):
        r = ref["horizons"][h]
        aq_s = statistics.median(run["heads"][i]["train_seconds"] for run in runs)
        aq_rmse = runs[0]["heads"][i]["test"]["rmse"]
        aq_mae = runs[0]["heads"][i]["test"]["mae"]
        hs[h] = {
            "aqcast": {"rmse": aq_rmse, "mae": aq_mae, "train_s": aq_s},
            **{m: {k: r[m][k] for k in ("rmse", "mae", "train_s")} for m in ("lightgbm", "xgboost", "sklearn")},
            "persistence_rmse": r["persistence"]["rmse"],
            "rmse_ratio_aqcast_over_lightgbm": aq_rmse / r["lightgbm"]["rmse"],
            "train_time_ratio_aqcast_over_lightgbm": aq_s / r["lightgbm"]["train_s"],
        }
    res["threads"][t] = hs
res["peak_rss_kb"] = {"aqcast_train_both_horizons": int(open(f"{out}/aqcast.rss").read().split()[-1]),
                      "python_lightgbm_reference": int(open(f"{out}/lightgbm.rss").read().split()[-1])}
print(json.dumps(res, indent=1))
PY
