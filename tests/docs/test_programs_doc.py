"""docs/programs.md, the rule-by-rule account of the programs, stays true to the repository:
every program of the catalogue has its section, and every file, test and seed line it cites
exists (a renamed test or a moved module would otherwise leave the table pointing nowhere)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "programs.md").read_text(encoding="utf-8")
SEEDS = ROOT.parent / "shared" / "seeds"
CATALOGUE = yaml.safe_load((ROOT / "workflows" / "programs.yaml").read_text(encoding="utf-8"))
CITED = re.findall(r"`([^`\s]+)`", PAGE)


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names |= set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text("utf-8"), re.M))
    return names


def test_every_program_and_insurance_of_the_catalogue_has_a_section() -> None:
    codes = [p["code"] for p in CATALOGUE["programs"]]
    codes += [plan["code"] for plan in CATALOGUE.get("insurance", [])]
    headings = "\n".join(line for line in PAGE.splitlines() if line.startswith("## "))
    assert [code for code in codes if f"`{code}`" not in headings] == []


def test_every_file_the_page_cites_exists() -> None:
    missing = []
    for token in CITED:
        path = token.split("::")[0]
        if not re.fullmatch(r"[\w./*-]+\.(py|dmn|bpmn|yaml|md)", path) or "*" in path:
            continue
        candidates = [ROOT / path, ROOT / "service" / path, ROOT / "workflows" / path]
        if not any(candidate.exists() for candidate in candidates):
            missing.append(token)
    assert missing == []


def test_every_test_the_page_cites_exists() -> None:
    names = _test_names()
    cited = {token.split("::")[-1] for token in CITED if re.search(r"(^|::)test_\w+$", token)}
    assert sorted(cited - names) == []


def test_every_seed_line_the_page_cites_is_in_its_seed() -> None:
    if not SEEDS.exists():
        pytest.skip("the seeds live beside the repository (../shared/seeds), not in it")
    lengths = {
        "001": len((SEEDS / "001_cc89b64d2c326b3f.txt").read_text("utf-8").splitlines()),
        "003": len((SEEDS / "003_81363559b1edeed8.txt").read_text("utf-8").splitlines()),
    }
    cited = [int(n) for n in re.findall(r"\blines? (\d+)", PAGE)]
    assert cited
    assert [n for n in cited if not 0 < n <= max(lengths.values())] == []
