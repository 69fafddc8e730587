"""The edge worker's contract, checked against the running worker by real tools:
the OpenAPI document validated by openapi-spec-validator, the API fuzzed from it by
schemathesis (no 5xx, documented status codes and content types, responses that match
their schemas, invalid requests rejected), and every metric that ops/ (the Grafana
dashboard and the Prometheus alert rules) queries exported by /v1/metrics.

Usage: python contract.py URL KEY   (KEY: scopes read and predict)
"""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import yaml
from openapi_spec_validator import validate

url, key = sys.argv[1], sys.argv[2]
root = Path(__file__).resolve().parents[2]


def get(path: str) -> bytes:
    req = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


doc = json.loads(get("/v1/openapi.json"))
validate(doc)
print(f"openapi-spec-validator: {doc['openapi']} document valid, {len(doc['paths'])} paths")

# Every metric the dashboard and the alert rules query is one the worker exports.
text = get("/v1/metrics").decode()
exported = set()
for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M):
    exported.add(name)
    if kind == "histogram":
        exported.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
exprs = [r["expr"] for g in yaml.safe_load((root / "ops/prometheus-alerts.yml").read_text())["groups"] for r in g["rules"]]
dash = json.loads((root / "ops/grafana-dashboard.json").read_text())
exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
used = set(re.findall(r"\baqcast_[a-z_]+", "\n".join(exprs)))
missing = sorted(used - exported)
assert not missing, f"ops/ queries metrics the worker does not export: {missing}"
print(f"ops/: {len(exprs)} queries over {len(used)} metrics, all exported")

cmd = [
    str(Path(sys.executable).parent / "schemathesis"), "run", f"{url}/v1/openapi.json",
    "--url", url, "-H", f"Authorization: Bearer {key}",
    "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,negative_data_rejection",
    "--generation-with-security-parameters", "false",
    # The stateful phase follows the link from a subscription to its deletion; most
    # generated subscriptions are (rightly) refused, which Hypothesis calls filtering.
    "--suppress-health-check", "filter_too_much",
    "-n", "40", "--seed", "20261130", "--no-color",
]
r = subprocess.run(cmd, capture_output=True, text=True)
tail = "\n".join(r.stdout.splitlines()[-25:])
print(tail)
if r.returncode != 0:
    print(r.stdout[-20000:], file=sys.stderr)
    sys.exit(f"schemathesis found failures (exit {r.returncode})")
