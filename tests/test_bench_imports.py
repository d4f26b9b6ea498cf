"""Benchmarks start databases and servers with the harness (harness/), never through the test
fixtures: importing every bench/ script loads no tests.conftest (and no pytest)."""

from __future__ import annotations

import json
import subprocess
import sys

from harness import ROOT

PROBE = """
import importlib, json, pathlib, sys
names = sorted("bench." + path.stem for path in pathlib.Path("bench").glob("*.py"))
for name in names:
    importlib.import_module(name)
print(json.dumps({"bench": names, "loaded": sorted(sys.modules)}))
"""


def test_bench_scripts_import_the_harness_and_not_the_test_fixtures() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.splitlines()[-1])
    assert "bench.common" in found["bench"]
    assert "harness.servers" in found["loaded"]
    assert "tests.conftest" not in found["loaded"]
    assert "pytest" not in found["loaded"]
