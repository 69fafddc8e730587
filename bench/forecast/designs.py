"""Prints the design comparison of bench/forecast/designs.sh (stdlib only)."""
import csv
import gzip
import json
import math
import os
import sys

out, stacked_s, direct_s, threads = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
stacked = json.load(open(os.path.join(out, "stacked.json")))
direct = json.load(open(os.path.join(out, "direct.json")))
anchors = [h["horizon"] for h in direct["heads"]]

rows = list(csv.DictReader(open(os.path.join(out, "features.csv"))))
pred = list(csv.reader(open(os.path.join(out, "direct_pred.csv"))))
header, pred = pred[0], pred[1:]
assert len(pred) == len(rows), (len(pred), len(rows))
test = [i for i, r in enumerate(rows) if r["split"] == "test"]


def num(s):
    try:
        v = float(s)
    except ValueError:
        return math.nan
    return v


def interp(i, h):
    """The median at horizon h from the direct heads, linear between the nearest two."""
    if h in anchors:
        return num(pred[i][anchors.index(h)])
    lo = max(a for a in anchors if a < h)
    hi = min(a for a in anchors if a > h)
    w = (h - lo) / (hi - lo)
    return (1 - w) * num(pred[i][anchors.index(lo)]) + w * num(pred[i][anchors.index(hi)])


def rmse(pairs):
    pairs = [(p, y) for p, y in pairs if not (math.isnan(p) or math.isnan(y))]
    return math.sqrt(sum((p - y) ** 2 for p, y in pairs) / len(pairs)), len(pairs)


per_step = {s["step"]: s for s in stacked["forecast"]["per_step"]}
show = [1, 2, 3, 4, 6, 9, 12, 18, 24, 30, 36, 48, 60, 66, 72]
print("| hours ahead | stacked (shipped) | direct (one head per horizon) | interpolated (11 heads) | persistence |")
print("|---|---|---|---|---|")
interp_all = {}
for h in range(1, 73):
    interp_all[h] = rmse([(interp(i, h), num(rows[i]["target_h%d" % h])) for i in test])
for h in show:
    d = rmse([(num(pred[i][anchors.index(h)]), num(rows[i]["target_h%d" % h])) for i in test])[0] if h in anchors else None
    s = per_step[h]
    print("| %d | %.3f | %s | %.3f | %.3f |" % (
        h, s["rmse"], "%.3f" % d if d is not None else "–", interp_all[h][0],
        s["baselines"]["persistence"]["rmse"]))
mean_stacked = sum(per_step[h]["rmse"] for h in range(1, 73)) / 72
mean_interp = sum(interp_all[h][0] for h in range(1, 73)) / 72
anchor_stacked = sum(per_step[h]["rmse"] for h in anchors) / len(anchors)
anchor_direct = sum(interp_all[h][0] for h in anchors) / len(anchors)
print()
size = lambda p: os.path.getsize(os.path.join(out, p))
gz = lambda p: len(gzip.compress(open(os.path.join(out, p), "rb").read(), 9))
n_direct = len(direct["heads"])
per_head, per_head_gz = size("direct.aqm") / n_direct, gz("direct.aqm") / n_direct
print("| design | heads | artifact raw | gzip | training (wall, %s threads) | trees walked per forecast | mean RMSE at the %d measured horizons | mean RMSE, all 72 |" % (threads, n_direct))
print("|---|---|---|---|---|---|---|---|")
print("| stacked (shipped) | 3 | %.2f MB | %.2f MB | %.1f s | %d | %.3f | %.3f |" % (
    size("stacked.aqm") / 1e6, gz("stacked.aqm") / 1e6, stacked_s, 3 * 72 * stacked["params"]["trees"], anchor_stacked, mean_stacked))
print("| direct: 72 × 3 heads (size and time scaled from %d heads) | 216 | %.1f MB | %.1f MB | %.0f s | %d | %.3f | not trained |" % (
    n_direct, 216 * per_head / 1e6, 216 * per_head_gz / 1e6, direct_s / n_direct * 216, 216 * direct["params"]["trees"], anchor_direct))
print("| interpolated: %d horizons × 3 heads | %d | %.1f MB | %.1f MB | %.0f s | %d | %.3f | %.3f |" % (
    n_direct, 3 * n_direct, 3 * n_direct * per_head / 1e6, 3 * n_direct * per_head_gz / 1e6, direct_s * 3, 3 * n_direct * direct["params"]["trees"], anchor_direct, mean_interp))
