"""Prints the pooled-versus-per-station comparison of bench/forecast/stations.sh."""
import gzip
import json
import math
import os
import sys

out = sys.argv[1]
pooled = json.load(open(os.path.join(out, "pooled.json")))["forecast"]
size = lambda p: os.path.getsize(p)
gz = lambda p: len(gzip.compress(open(p, "rb").read(), 9))
rows = []
for s in pooled["per_station"]:
    f = os.path.join(out, "single", s["station"] + ".json")
    single = None
    if os.path.exists(f) and os.path.getsize(f) > 0:
        single = json.load(open(f))["forecast"]["per_step"]
    rows.append((s, single))
steps = pooled["steps"]
both = [(s, single) for s, single in rows if single]
print("| days ahead | stations | pooled: mean RMSE over stations | per-station models: mean RMSE | stations where pooled is better | pooled skill vs persistence (median over stations) | per-station skill (median) |")
print("|---|---|---|---|---|---|---|")
for k in range(steps):
    pr = [s["rmse"][k] for s, single in both]
    sr = [single[k]["rmse"] for s, single in both]
    better = sum(1 for a, b in zip(pr, sr) if a < b)
    med = lambda v: sorted(v)[len(v) // 2]
    print("| %d | %d | %.3f | %.3f | %d of %d | %.3f | %.3f |" % (
        k + 1, len(both), sum(pr) / len(pr), sum(sr) / len(sr), better, len(both),
        med([s["skill"][k] for s, _ in both]), med([single[k]["skill"]["persistence"] for _, single in both])))
single_files = [os.path.join(out, "single", s["station"] + ".aqm") for s, single in both]
print()
print("| | models | raw | gzip | coverage P10–P90 at 1 / 2 / 3 days |")
print("|---|---|---|---|---|")
pc = " / ".join("%.1f %%" % (100 * s["coverage"]) for s in pooled["per_step"])
print("| pooled (one model, 70 stations) | 1 | %.2f MB | %.2f MB | %s |" % (
    size(os.path.join(out, "pooled.aqm")) / 1e6, gz(os.path.join(out, "pooled.aqm")) / 1e6, pc))
cov = []
for k in range(steps):
    n = sum(single[k]["n"] for _, single in both)
    c = sum(single[k]["coverage"] * single[k]["n"] for _, single in both)
    cov.append("%.1f %%" % (100 * c / n))
print("| one per station (%d with test rows) | %d | %.1f MB | %.1f MB | %s |" % (
    len(both), len(both), sum(size(f) for f in single_files) / 1e6, sum(gz(f) for f in single_files) / 1e6, " / ".join(cov)))
missing = [s["station"] for s, single in rows if not single]
if missing:
    print()
    print("no per-station model (too little training data): " + ", ".join(missing))
