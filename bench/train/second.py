#!/usr/bin/env python3
"""A second training task, unlike the canonical one: daily PM10 at the 70 German AirBase
stations (tests/fixtures/data/airbase_pm10_de_1998_2009.csv.gz), pooled, next-day target,
1998–2007 to train and 2008–2009 to test, ~100,000 training rows. The features (lags,
rolling means up to a year, calendar, station coordinates) are built with pandas and
written as a table; LightGBM and `aqcast train --table` train on it with the canonical
settings (500 trees, learning rate 0.05, 31 leaves, 255 bins, squared error) on one
thread, and the script prints both test RMSEs and training times (median of --reps).

Needs: pip install numpy pandas lightgbm==4.7.0; target/release/aqcast built.
Usage: python3 bench/train/second.py [--reps 3] [--out bench/out/second]
"""
import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests/fixtures/data/airbase_pm10_de_1998_2009.csv.gz"
STATIONS = ROOT / "tests/fixtures/data/airbase_pm10_de_stations.csv"
FEATURES = ["pm10_lag0", "pm10_lag1", "pm10_lag2", "pm10_lag6", "pm10_mean7", "pm10_mean30",
            "pm10_mean365", "weekday", "month", "lat", "lon"]


def table():
    raw = pd.read_csv(DATA, parse_dates=["date"])
    coords = pd.read_csv(STATIONS).set_index("code")
    parts = []
    for code, g in raw.groupby("code", sort=True):
        g = g.set_index("date").sort_index()
        g = g[~g.index.duplicated()].reindex(pd.date_range(g.index.min(), g.index.max(), freq="D"))
        x = g["pm10"].astype(float)
        f = pd.DataFrame(index=g.index)
        for k in (0, 1, 2, 6):
            f[f"pm10_lag{k}"] = x.shift(k)
        for w, m in ((7, 4), (30, 15), (365, 150)):
            f[f"pm10_mean{w}"] = x.rolling(w, min_periods=m).mean()
        f["weekday"] = f.index.day_of_week.astype(float)
        f["month"] = f.index.month.astype(float)
        f["lat"], f["lon"] = float(coords.loc[code, "lat"]), float(coords.loc[code, "lon"])
        f["target_h1"] = x.shift(-1)
        f["split"] = np.where(f.index <= pd.Timestamp("2007-12-31"), "train", "test")
        parts.append(f[f["target_h1"].notna()])
    return pd.concat(parts)


def task_toml():
    inputs = "".join(f'[[pipeline.inputs]]\nvariable = "{n}"\n\n' for n in FEATURES + ["pm10"])
    features = "".join(f'[[pipeline.features]]\nkind = "value"\nname = "{n}"\nof = "{n}"\n\n' for n in FEATURES)
    return (f'[data]\nsite = "pooled"\n\n[pipeline.grid]\nstep = 86400\n\n{inputs}{features}'
            '[pipeline.target]\nof = "pm10"\nhorizons = [1]\n\n'
            "[train]\ntrees = 500\nlearning_rate = 0.05\nnum_leaves = 31\nmax_bin = 255\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench/out/second"))
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t = table()
    t.to_csv(out / "features.csv", na_rep="NaN", date_format="%Y-%m-%d %H:%M:%S", index_label="date")
    (out / "task.toml").write_text(task_toml())
    tr, te = t[t["split"] == "train"], t[t["split"] == "test"]
    import lightgbm as lgb
    times = []
    for _ in range(a.reps):
        start = time.perf_counter()
        m = lgb.LGBMRegressor(objective="regression", n_estimators=500, learning_rate=0.05, num_leaves=31,
                              max_bin=255, n_jobs=1, verbose=-1, deterministic=True)
        m.fit(tr[FEATURES].to_numpy(float), tr["target_h1"].to_numpy(float))
        times.append(time.perf_counter() - start)
    pred = m.predict(te[FEATURES].to_numpy(float))
    lgb_rmse = float(np.sqrt(np.mean((pred - te["target_h1"].to_numpy(float)) ** 2)))
    ours = []
    for _ in range(a.reps):
        r = subprocess.run([str(ROOT / os.environ.get("CARGO_TARGET_DIR", "target") / "release/aqcast"), "train", "--config", str(out / "task.toml"),
                            "--table", str(out / "features.csv"), "-o", str(out / "m.aqm"),
                            "--threads", "1", "--json"], capture_output=True, text=True, check=True)
        ours.append(json.loads(r.stdout))
    aq_s = float(np.median([o["heads"][0]["train_seconds"] for o in ours]))
    aq_rmse = ours[0]["heads"][0]["test"]["rmse"]
    lgb_s = float(np.median(times))
    print(json.dumps({"train_rows": len(tr), "test_rows": len(te), "lightgbm": {"rmse": lgb_rmse, "train_s": lgb_s},
                      "aqcast": {"rmse": aq_rmse, "train_s": aq_s},
                      "rmse_ratio": aq_rmse / lgb_rmse, "train_time_ratio": aq_s / lgb_s}, indent=1))


if __name__ == "__main__":
    main()
