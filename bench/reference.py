#!/usr/bin/env python3
"""The reference side of aqcast's canonical task, written for this repository.

The canonical task is `configs/canonical.toml`: hourly NO2 at one UK AURN roadside site
(`tests/fixtures/data/aurn_no2_2001_2003.csv.gz`), 15 features (calendar, wind, lags,
a 24-hour rolling mean, background NO2), targets 1 and 24 hours ahead, 2001–2002 to
train and 2003 to test, 500 trees of at most 31 leaves, learning rate 0.05, 255 bins,
squared error. This script reads that task file and builds the feature matrix with
pandas (each feature kind of the task file, implemented here independently of aqcast's
Rust pipeline, so that the two can be compared), then trains the reference libraries on
it and prints one JSON object: per horizon the test RMSE and MAE, training seconds,
batch prediction rows/s on one thread, single-row latency, model sizes. It also writes
the feature matrix (`features.csv`), the test inputs (`test_X_h{h}.csv`), each
library's model (LightGBM text, XGBoost JSON) and raw test predictions, for the parity
and speed benchmarks.

Needs: pip install numpy pandas lightgbm==4.7.0 xgboost==3.2.0 scikit-learn==1.9.1
Usage: python3 bench/reference.py [--out DIR] [--models lightgbm,xgboost,sklearn]
                                  [--threads N] [--reps N]
"""
import argparse
import gzip
import json
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TASK = ROOT / "configs" / "canonical.toml"
DATA = ROOT / "tests" / "fixtures" / "data" / "aurn_no2_2001_2003.csv.gz"
# The store's variable names → the openair/AURN file's columns.
COLUMNS = {"no2": "no2", "ws": "ws", "wd": "wd", "temp": "air_temp", "bg.no2": "bg.no2"}

task = tomllib.loads(TASK.read_text())
FEATURES = [f["name"] for f in task["pipeline"]["features"]]
HORIZONS = (1, 24)
TRAIN = task["train"]
TREES, LR, LEAVES, BINS = TRAIN["trees"], TRAIN["learning_rate"], TRAIN["num_leaves"], TRAIN["max_bin"]


def hourly_inputs(path=DATA):
    """The task's inputs on a regular hourly grid (GMT), one column per input name."""
    raw = pd.read_csv(path, parse_dates=["date"])
    raw = raw.sort_values("date").drop_duplicates("date", keep="first").set_index("date")
    grid = pd.date_range(raw.index.min(), raw.index.max(), freq="h")
    raw = raw.reindex(grid)
    return pd.DataFrame(
        {i.get("name", i["variable"]): raw[COLUMNS[i["variable"]]].astype(float)
         for i in task["pipeline"]["inputs"]},
        index=grid,
    )


def feature(spec, inputs):
    """One feature column of the task file, in pandas."""
    kind, idx = spec["kind"], inputs.index
    if kind == "calendar":
        field = {"hour": idx.hour, "weekday": idx.day_of_week, "month": idx.month}[spec["field"]]
        return pd.Series(np.asarray(field, dtype=float), index=idx)
    if kind == "value":
        return inputs[spec["of"]]
    if kind in ("wind_u", "wind_v"):
        speed, direction = inputs[spec["speed"]], np.deg2rad(inputs[spec["direction"]])
        trig = np.sin if kind == "wind_u" else np.cos
        return -speed * trig(direction)
    if kind == "lag":
        return inputs[spec["of"]].shift(spec["lag"])
    if kind == "rolling":
        window = spec["window"]
        roll = inputs[spec["of"]].rolling(window, min_periods=spec.get("min_count", window))
        return getattr(roll, spec["stat"])()
    raise SystemExit(f"{TASK}: feature kind {kind!r} is not implemented by the reference")


def build_frame(path=DATA):
    """The feature matrix with targets and the train/test split, one row per hour."""
    inputs = hourly_inputs(path)
    frame = pd.DataFrame({f["name"]: feature(f, inputs) for f in task["pipeline"]["features"]})
    target = inputs[task["pipeline"]["target"]["of"]]
    for h in HORIZONS:
        frame[f"target_h{h}"] = target.shift(-h)
    train_end = pd.Timestamp(task["split"]["train_end"])
    frame["split"] = np.where(frame.index <= train_end, "train", "test")
    return frame


def split(frame, h):
    """Training and test rows with a target h hours ahead: X and y of each."""
    rows = frame[frame[f"target_h{h}"].notna()]
    parts = [rows[rows["split"] == s] for s in ("train", "test")]
    return tuple(a for p in parts for a in (p[FEATURES].to_numpy(float), p[f"target_h{h}"].to_numpy(float)))


def median_seconds(fn, reps):
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - start)
    return float(np.median(runs)), out


def lightgbm(X, y, threads):
    import lightgbm as lgb
    return lgb.LGBMRegressor(objective="regression", n_estimators=TREES, learning_rate=LR,
                             num_leaves=LEAVES, max_bin=BINS, n_jobs=threads, verbose=-1,
                             deterministic=True).fit(X, y)


def xgboost(X, y, threads):
    import xgboost as xgb
    return xgb.XGBRegressor(n_estimators=TREES, learning_rate=LR, max_leaves=LEAVES, max_depth=0,
                            grow_policy="lossguide", max_bin=BINS, tree_method="hist",
                            n_jobs=threads).fit(X, y)


def sklearn(X, y, threads):
    from sklearn.ensemble import HistGradientBoostingRegressor
    return HistGradientBoostingRegressor(max_iter=TREES, learning_rate=LR, max_leaf_nodes=LEAVES,
                                         max_bins=BINS, early_stopping=False).fit(X, y)


LIBRARIES = {"lightgbm": lightgbm, "xgboost": xgboost, "sklearn": sklearn}


def save_model(name, model, out, h):
    """The library's own model file, and its size."""
    if name == "lightgbm":
        path = out / f"lightgbm_h{h}.txt"
        model.booster_.save_model(str(path))
    elif name == "xgboost":
        path = out / f"xgboost_h{h}.json"
        model.get_booster().save_model(str(path))
    else:
        return {}
    raw = path.read_bytes()
    return {"model_file": path.name, "bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, 9))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="bench/out/ref")
    ap.add_argument("--models", default="lightgbm,xgboost,sklearn")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = build_frame()
    frame.to_csv(out / "features.csv", na_rep="NaN", date_format="%Y-%m-%d %H:%M:%S", index_label="date")
    result = {"data": DATA.name, "task": TASK.name, "threads": a.threads, "horizons": {}}
    for h in HORIZONS:
        Xtr, ytr, Xte, yte = split(frame, h)
        np.savetxt(out / f"test_X_h{h}.csv", Xte, delimiter=",", fmt="%.17g",
                   header=",".join(FEATURES), comments="")
        last = Xte[:, FEATURES.index("no2_lag0")]
        known = ~np.isnan(last)
        res = {"n_train": len(ytr), "n_test": len(yte),
               "persistence": {"rmse": float(np.sqrt(np.mean((last[known] - yte[known]) ** 2)))}}
        for name in a.models.split(","):
            train_s, model = median_seconds(lambda: LIBRARIES[name](Xtr, ytr, a.threads), a.reps)
            pred = model.predict(Xte)
            np.savetxt(out / f"{name}_pred_h{h}.csv", pred, fmt="%.17g")
            batch_s, _ = median_seconds(lambda: model.predict(Xte), max(a.reps, 5))
            sample = Xte[:1000]
            start = time.perf_counter()
            for row in sample:
                model.predict(row.reshape(1, -1))
            one_row_us = (time.perf_counter() - start) / len(sample) * 1e6
            res[name] = {"rmse": float(np.sqrt(np.mean((pred - yte) ** 2))),
                         "mae": float(np.mean(np.abs(pred - yte))),
                         "train_s": train_s, "predict_rows_per_s": len(Xte) / batch_s,
                         "predict_one_row_us_python": one_row_us, **save_model(name, model, out, h)}
        result["horizons"][h] = res
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
