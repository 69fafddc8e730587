"""Station data for the hourly-refresh benchmark (bench/live/refresh.sh), made from the
shipped AURN series (tests/fixtures/data/aurn_no2_2001_2003.csv.gz): N stations, each the
real hourly NO2 series from its own starting hour, placed on a grid over Europe, in the
CSV form `aqcast fetch openaq` writes (location_id, location, lat, lon, datetime,
parameter, units, value).

    python3 gen_stations.py base  N HOURS END OUT.csv   # HOURS hours ending at END (Unix s)
    python3 gen_stations.py next  N K     T   OUT.csv   # hour T for the first K stations
"""
import csv
import gzip
import os
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "../../tests/fixtures/data/aurn_no2_2001_2003.csv.gz")


def series():
    with gzip.open(SOURCE, "rt") as f:
        out = []
        for row in csv.DictReader(f):
            try:
                out.append(float(row["no2"]))
            except ValueError:
                out.append(None)
        return out


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def station(i):
    return f"bench-{i:04d}", 36.0 + (i // 60) * 0.4, -9.0 + (i % 60) * 0.6


def write(out, rows):
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["location_id", "location", "lat", "lon", "datetime", "parameter", "units", "value"])
        w.writerows(rows)


def main():
    mode, n, k, t, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    s = series()
    rows = []
    if mode == "base":
        hours, end = k, t
        for i in range(n):
            sid, lat, lon = station(i)
            start = (i * 7) % (len(s) - hours - 1000)
            for h in range(hours):
                v = s[start + h]
                if v is not None:
                    rows.append([sid, f"Station {i}", lat, lon, iso(end - (hours - 1 - h) * 3600), "no2", "µg/m³", v])
    else:
        for i in range(k):
            sid, lat, lon = station(i)
            v = s[(i * 7 + t // 3600) % len(s)] or 20.0
            rows.append([sid, f"Station {i}", lat, lon, iso(t), "no2", "µg/m³", v])
    write(out, rows)


main()
