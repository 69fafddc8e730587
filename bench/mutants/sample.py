#!/usr/bin/env python3
"""Deliberate bugs, one at a time, in a copy of the committed tree: each must make a test
fail. The first four are the bugs issue 27 found the tests let through; the others guard
its fixes; last, the S3 tests are run without an S3 server and must fail, saying so. Not part of CI (each mutant rebuilds a crate): run it after changing a test.

    bench/mutants/sample.py            # every mutant, ≈ 25 min on two cores
    bench/mutants/sample.py epa gain   # only these

With --cargo-mutants it then runs cargo-mutants 25.3.1 (installed if missing) over the
AQI tables and the tree learner, the same way, and prints its summary.
Prints one line per mutant (caught / MISSED) and exits 1 if any was missed.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name: (file, text, replaced by, test command)
MUTANTS = {
    "epa": (
        "crates/forecast/src/aqi/epa.rs",
        "const PM10_2024: &[Seg] = &[\n    s(0, 54, 0, 50),\n    s(55, 154, 51, 100),\n    s(155, 254, 101, 150),\n    s(255, 354, 151, 200),",
        "const PM10_2024: &[Seg] = &[\n    s(0, 54, 0, 50),\n    s(55, 154, 51, 100),\n    s(155, 255, 101, 150),\n    s(256, 354, 151, 200),",
        ["cargo", "test", "-q", "-p", "aqcast-forecast", "--test", "epa_tables"],
    ),
    "gain": (
        "crates/train/src/gbdt.rs",
        "return g * g / (h + self.p.lambda_l2);",
        "return g * g / h;",
        ["cargo", "test", "-q", "-p", "aqcast-train", "--lib", "gbdt::tests::lambda_l2"],
    ),
    "renew": (
        "crates/train/src/gbdt.rs",
        "if let Some(alpha) = loss.renews_leaves() {",
        "if let Some(_alpha) = loss.renews_leaves() { let alpha = 0.5;",
        ["cargo", "test", "-q", "-p", "aqcast-train", "--lib", "gbdt::tests::a_quantile_head"],
    ),
    "verb": (
        "web/src/summary.rs",
        'let verb = if by >= 0.0 { "raises" } else { "lowers" };',
        'let verb = if by >= 0.0 { "lowers" } else { "raises" };',
        ["cargo", "test", "-q", "-p", "aqcast-web", "--lib", "summary"],
    ),
    "etag": (
        "crates/edge-worker/src/api.rs",
        't.strip_prefix("W/").unwrap_or(t).to_string()',
        "t.to_string()",
        ["cargo", "test", "-q", "-p", "aqcast-edge-worker", "--lib", "if_none_match"],
    ),
    "output": (
        "crates/cli/src/files.rs",
        "} else if through {\n        Ok(Output::Through)",
        "} else if through {\n        Ok(Output::Replace(path.to_path_buf()))",
        ["cargo", "test", "-q", "-p", "aqcast", "--test", "hardening", "outputs_write_through"],
    ),
    "tag": (
        "crates/published/src/lib.rs",
        "|| number.parse::<u32>().is_ok()\n    {\n        return Err(",
        "&& number.parse::<u32>().is_ok()\n    {\n        return Err(",
        ["cargo", "test", "-q", "-p", "aqcast-published", "--lib", "selectors_and_tags"],
    ),
}


def run(cmd, cwd, env):
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    names = args or list(MUTANTS) + ["s3-skip"]
    unknown = [n for n in names if n not in MUTANTS and n != "s3-skip"]
    if unknown:
        sys.exit(f"unknown mutant(s) {unknown}; known: {', '.join(MUTANTS)}, s3-skip")
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = str(ROOT / "target" / "mutants")
    env.pop("CI", None)
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(copy), "HEAD"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for name in [n for n in names if n in MUTANTS]:
                file, text, bug, cmd = MUTANTS[name]
                path = copy / file
                good = path.read_text()
                if text not in good:
                    print(f"{name:8} STALE: {file} no longer holds the text this mutant changes")
                    missed += 1
                    continue
                if run(cmd, copy, env) != 0:
                    print(f"{name:8} BROKEN: the test fails without the bug: {' '.join(cmd)}")
                    missed += 1
                    continue
                path.write_text(good.replace(text, bug, 1))
                caught = run(cmd, copy, env) != 0
                path.write_text(good)
                print(f"{name:8} {'caught' if caught else 'MISSED'}  ({file}; {' '.join(cmd[-3:])})")
                missed += not caught
            # Not a mutant: the guard itself. Without an S3 server the S3 tests must fail,
            # naming what is missing, never pass as if they had run.
            if "s3-skip" in names:
                cmd = ["cargo", "test", "-p", "aqcast-store", "--test", "registry"]
                env_no_s3 = dict(env, AQCAST_MOTO="/nonexistent/moto_server")
                r = subprocess.run(cmd, cwd=copy, env=env_no_s3, capture_output=True, text=True)
                said = "no S3 server" in r.stdout + r.stderr
                ok = r.returncode != 0 and said
                print(f"{'s3-skip':8} {'caught' if ok else 'MISSED'}  (without an S3 server: "
                      f"{'the S3 tests fail, naming it' if ok else 'they passed or said nothing'})")
                missed += not ok
            if "--cargo-mutants" in sys.argv:
                have = subprocess.run(["cargo", "mutants", "--version"], capture_output=True, text=True)
                if "25.3.1" not in have.stdout:
                    subprocess.run(["cargo", "install", "--locked", "cargo-mutants", "--version", "25.3.1"], check=True)
                for pkg, file in [("aqcast-forecast", "crates/forecast/src/aqi/epa.rs"),
                                  ("aqcast-train", "crates/train/src/gbdt.rs")]:
                    subprocess.run(["cargo", "mutants", "-p", pkg, "-f", file, "--timeout", "300",
                                    "-o", str(ROOT / "target" / "mutants" / pkg)], cwd=copy, env=env)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(copy)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"{len(names) - missed} of {len(names)} mutants caught")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
