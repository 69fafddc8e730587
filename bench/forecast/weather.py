"""Tables of bench/forecast/weather.sh: per step, skill against persistence without the
weather, with it as a forecast (served) and as measured, for each run; then where any
step loses to a baseline."""
import json
import sys

out = sys.argv[1]
runs = ["forecast-like", "measured", "smaller-error"]
reports = {r: json.load(open(f"{out}/{r}.json"))["forecast"] for r in runs}
steps = [1, 2, 3, 6, 12, 18, 24, 36, 48, 60, 72]

print("| hours ahead | without the weather | " + " | ".join(
    f"{r}: forecast / measured" for r in runs) + " |")
print("|---" * (2 + len(runs)) + "|")
for k in steps:
    cells = []
    without = None
    for r in runs:
        s = next(s for s in reports[r]["per_step"] if s["step"] == k)
        without = s["weather"]["skill_without"]
        cells.append(f"{s['skill']['persistence']:.3f} / {s['weather']['skill_observed']:.3f}")
    print(f"| {k} | {without:.3f} | " + " | ".join(cells) + " |")

print()
for r in runs:
    per = reports[r]["per_step"]
    lose = {}
    for s in per:
        for b, v in s["baselines"].items():
            if s["rmse"] > v["rmse"]:
                lose.setdefault(b, []).append(s["step"])
    cat = [s["step"] for s in per
           if s["category_accuracy"] < s["baselines"]["persistence"]["category_accuracy"]]
    cov = [s["coverage"] for s in per]
    better = sum(1 for s in per
                 if s["skill"]["persistence"] > s["weather"]["skill_without"])
    print(f"- {r}: errors {reports[r]['ahead']['errors']}; steps losing to a baseline in RMSE: "
          f"{lose or 'none'}; AQI-category accuracy below persistence's: {cat or 'none'}; "
          f"coverage {100 * min(cov):.1f}–{100 * max(cov):.1f} % "
          f"({sum(1 for c in cov if abs(c - 0.8) <= 0.03)} of 72 steps in 80 ± 3 %); "
          f"better than without the weather at {better} of 72 steps")
