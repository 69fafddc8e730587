#!/usr/bin/env python3
"""How much skill at +24 h does the canonical station's data hold? A reference, outside
aqcast: LightGBM 4.7 heads trained for +24 h alone (one head per horizon, the design that
needs no compromise between steps), on the shipped model's training window (2001 to the
calibration window, the last 120 days of 2002), tested on every 2003 origin where the
latest hour and the target are observed. Skill = 1 − RMSE / RMSE(persistence).

Rows: the shipped pipeline's features (configs/forecast.toml) and the target's calendar
and hour-of-week climatology; then each extra feature alone; then the best four together,
with regularised or bagged boosting; then an online correction of the median's mean error
(each outcome, once known, moves the offset by `rate` times the error), which removes the
drift of 2003's higher level.

Needs: numpy, lightgbm==4.7.0 (pip). Usage: python3 bench/forecast/skill_ceiling.py
"""
import csv
import datetime as dt
import gzip
import math
from pathlib import Path

import lightgbm as lgb
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
H = 24
rows = list(csv.reader(gzip.open(ROOT / "tests/fixtures/data/aurn_no2_2001_2003.csv.gz", "rt")))[1:]
n = len(rows)
times = [dt.datetime.strptime(r[0], "%Y-%m-%d %H:%M:%S") for r in rows]
assert all((t - times[0]) == dt.timedelta(hours=i) for i, t in enumerate(times)), "not an hourly grid"


def col(i):
    return np.array([float(r[i]) if r[i] else np.nan for r in rows])


no2, bg, ws, wd, temp = (col(i) for i in range(1, 6))
hour = np.array([t.hour for t in times])
dow = np.array([t.weekday() for t in times])
month = np.array([t.month for t in times])
doy = np.array([t.timetuple().tm_yday for t in times])
how = dow * 24 + hour


def lag(x, k):
    o = np.full(n, np.nan)
    o[k:] = x[: n - k]
    return o


def rolling(x, w, min_count, f=np.nanmean):
    o = np.full(n, np.nan)
    for i in range(n):
        s = x[max(0, i - w + 1): i + 1]
        if np.sum(~np.isnan(s)) >= min_count:
            o[i] = f(s)
    return o


cal_start = times.index(dt.datetime(2002, 12, 31, 23)) - 120 * 24
test0 = times.index(dt.datetime(2003, 1, 1))
clim = np.array([np.nanmean(no2[:cal_start][how[:cal_start] == s]) for s in range(168)])
y = np.full(n, np.nan)
y[: n - H] = no2[H:]
u = -ws * np.sin(np.radians(wd))
v = -ws * np.cos(np.radians(wd))
SHIPPED = {
    "hour": hour, "dow": dow, "month": month, "ws": ws, "wind_u": u, "wind_v": v, "air_temp": temp,
    "no2_lag0": no2, "no2_lag1": lag(no2, 1), "no2_lag2": lag(no2, 2), "no2_lag3": lag(no2, 3),
    "no2_lag23": lag(no2, 23), "no2_lag167": lag(no2, 167), "no2_roll24": rolling(no2, 24, 18),
    "bg_no2": bg, "target_hour": (hour + H) % 24, "target_dow": ((how + H) % 168) // 24,
    "target_climatology": clim[(how + H) % 168],
}
EXTRA = {
    "anomaly (latest hour − its climatology)": no2 - clim[how],
    "no2 mean 6 h": rolling(no2, 6, 4),
    "no2 mean 7 days": rolling(no2, 168, 120),
    "no2 max 24 h": rolling(no2, 24, 18, np.nanmax),
    "no2 min 24 h": rolling(no2, 24, 18, np.nanmin),
    "background mean 24 h": rolling(bg, 24, 18),
    "wind speed mean 24 h": rolling(ws, 24, 18),
    "wind u mean 24 h": rolling(u, 24, 18),
    "wind v mean 24 h": rolling(v, 24, 18),
    "temperature mean 24 h": rolling(temp, 24, 18),
    "temperature change over 24 h": temp - lag(temp, 24),
    "wind speed change over 24 h": ws - lag(ws, 24),
    "no2 168 − 24 h before the target": lag(no2, 168 - H),
    "day of year": doy,
}
BEST = ["day of year", "no2 mean 7 days", "wind v mean 24 h", "temperature change over 24 h"]
FEATURES = {**SHIPPED, **EXTRA}
idx = np.arange(n)
test = (idx >= test0) & ~np.isnan(y) & ~np.isnan(no2)
rmse_persistence = math.sqrt(np.mean((no2[test] - y[test]) ** 2))


def head(names, params=None, rounds=300, objective="quantile"):
    """Trains the +24 h head (the change from the latest hour, as the shipped heads learn
    it) and returns its predictions at every origin."""
    x = np.column_stack([FEATURES[k] for k in names])
    train = (idx + H < cal_start) & ~np.isnan(y) & ~np.isnan(no2)
    p = dict(objective=objective, alpha=0.5, learning_rate=0.05, num_leaves=31, max_bin=255,
             verbose=-1, num_threads=2, deterministic=True)
    p.update(params or {})
    m = lgb.train(p, lgb.Dataset(x[train], y[train] - no2[train]), rounds)
    return m.predict(x) + no2


def corrected(pred, rate):
    """The prediction plus an offset that each outcome moves, once its target time has
    passed, by rate × (outcome − corrected prediction); from the calibration window on."""
    out = pred.copy()
    offset, served = 0.0, np.zeros(n)
    for i in range(cal_start, n):
        j = i - H  # the origin whose target is this hour: known from now on
        if j >= cal_start and not math.isnan(y[j]) and not math.isnan(pred[j]):
            offset += rate * (y[j] - served[j])
        served[i] = pred[i] + offset
        out[i] = served[i]
    return out


def show(label, pred):
    r = math.sqrt(np.mean((pred[test] - y[test]) ** 2))
    bias = np.mean(pred[test] - y[test])
    print(f"| {label} | {r:.3f} | **{1 - r / rmse_persistence:.3f}** | {bias:+.2f} |", flush=True)


print(f"persistence RMSE at +{H} h on 2003: {rmse_persistence:.3f} µg/m³ ({test.sum()} origins)\n")
print("| +24 h head | RMSE | skill vs persistence | mean error |\n|---|---|---|---|")
base = list(SHIPPED)
show("shipped features", head(base))
show("shipped features, squared error (a mean head)", head(base, objective="regression"))
for name in EXTRA:
    show(f"+ {name}", head(base + [name]))
best = head(base + BEST)
show("+ the best four: " + ", ".join(BEST), best)
show("  the same, 600 trees of 15 leaves, ≥ 200 rows a leaf, rate 0.02",
     head(base + BEST, dict(learning_rate=0.02, num_leaves=15, min_data_in_leaf=200), 600))
show("  the same, bagging 0.7 of rows and features",
     head(base + BEST, dict(bagging_fraction=0.7, bagging_freq=1, feature_fraction=0.7)))
show("+ every extra feature", head(base + list(EXTRA)))
for rate in (0.001, 0.002, 0.005):
    show(f"  the best four, online mean-error correction, rate {rate}", corrected(best, rate))
