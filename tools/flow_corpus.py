"""Run the upload validation over the public BPMN corpus and count unclear refusals.

    .venv/bin/python tools/flow_corpus.py [--list] [--corpus DIR]

Every ``*.bpmn`` under tests/flows/public/ goes through ``service.flows.service.validate``,
the function the upload endpoint calls (no database: a corpus file is no program's yearly
review flow). It prints how many files were accepted and refused, how many problems the
refusals hold, and how many reasons are unclear by the rules of tests/flows/clarity.py
(issue 21 §2): the API's English reason (``unclear``) and the console's Chinese rendering of
the problem (``unclear_zh``); ``--list`` prints each unclear reason with its file.

The ``service`` package comes from ``sys.path``: run from another checkout with
``PYTHONPATH=<that checkout>`` to measure that version of the validator against this corpus
and these rules. There, problems without a ``code`` are counted apart (``no code``) and
the other rules are applied to them as if they had one.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "flows" / "public"
CLARITY = ROOT / "tests" / "flows" / "clarity.py"


def _clarity() -> ModuleType:
    """tests/flows/clarity.py of this checkout, whichever ``service`` is imported."""
    spec = importlib.util.spec_from_file_location("flow_clarity", CLARITY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass
class Outcome:
    """One corpus file through the upload validation."""

    file: str
    accepted: bool = False
    problems: list[dict[str, Any]] = field(default_factory=list)
    crash: str | None = None  # an exception other than a refusal escaped
    unclear: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    uncoded: int = 0  # problems with no code (before codes existed)
    unclear_zh: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def as_dict(problem: Any) -> dict[str, Any]:
    """A refusal's problem as the HTTP answer's ``errors[]`` entry."""
    if isinstance(problem, dict):
        return problem
    return {
        "element": getattr(problem, "element", None),
        "file": getattr(problem, "file", None),
        "reason": getattr(problem, "reason", ""),
        "code": getattr(problem, "code", None),
        "params": getattr(problem, "params", None),
    }


def judge(problem: dict[str, Any], clarity: ModuleType) -> tuple[str | None, bool]:
    """(why the reason is unclear or None, whether it lacks a code). A problem without a code
    is judged by the other rules as if it had one whose params it gives."""
    if problem.get("code"):
        return clarity.unclear(problem), False
    codes = clarity.codes.CODES
    stand_in = "flow-refused" if "flow-refused" in codes else next(iter(codes))
    params = dict.fromkeys(getattr(codes[stand_in], "params", ()), "")
    return clarity.unclear({**problem, "code": stand_in, "params": params}), True


def check(path: Path, clarity: ModuleType) -> Outcome:
    """Validate one corpus file as an upload of that BPMN alone."""
    from service.engine import InvalidFlow
    from service.flows import service as flows_service

    name = path.relative_to(CORPUS) if path.is_relative_to(CORPUS) else path
    outcome = Outcome(file=str(name))
    bpmn = flows_service.FlowFile(path.name, path.read_bytes())
    try:
        flows_service.validate(bpmn, [], review_keys=set())
        outcome.accepted = True
    except InvalidFlow as error:
        outcome.problems = [as_dict(p) for p in error.problems]
    except Exception as error:  # noqa: BLE001 - what escapes the validator is the finding
        outcome.crash = f"{type(error).__name__}: {error}"
        return outcome
    for problem in outcome.problems:
        why, uncoded = judge(problem, clarity)
        outcome.uncoded += uncoded
        if why is not None:
            outcome.unclear.append((problem, why))
        said = judge_zh(problem, clarity)
        if said is not None:
            outcome.unclear_zh.append((problem, said))
    return outcome


def judge_zh(problem: dict[str, Any], clarity: ModuleType) -> str | None:
    """Why the console's Chinese for the problem is unclear (None: it is clear). A problem
    without a code has no Chinese at all; a checkout whose console cannot say it is measured
    as such, not stopped."""
    if not problem.get("code"):
        return "no code: the console says a general sentence"
    try:
        return clarity.unclear_zh(problem)
    except Exception as error:  # noqa: BLE001 - another checkout's console is measured as it is
        return f"the console cannot say it: {type(error).__name__}"


def corpus_files(corpus: Path = CORPUS) -> list[Path]:
    return sorted(corpus.rglob("*.bpmn"))


def run(corpus: Path = CORPUS) -> list[Outcome]:
    """Every file of the corpus through the upload validation."""
    return run_files(corpus_files(corpus))


def run_files(paths: list[Path]) -> list[Outcome]:
    clarity = _clarity()
    return [check(path, clarity) for path in paths]


def summary(outcomes: list[Outcome], seconds: float) -> str:
    refused = [o for o in outcomes if not o.accepted and o.crash is None]
    unclear = [u for o in outcomes for u in o.unclear]
    by_source = Counter(o.file.split("/", 1)[0] for o in outcomes)
    lines = [
        f"files: {len(outcomes)} ({', '.join(f'{k} {v}' for k, v in sorted(by_source.items()))})",
        f"accepted: {sum(o.accepted for o in outcomes)}",
        f"refused: {len(refused)}",
        f"crashed (an exception escaped): {sum(o.crash is not None for o in outcomes)}",
        f"problems total: {sum(len(o.problems) for o in outcomes)}",
        f"problems without a code: {sum(o.uncoded for o in outcomes)}",
        f"unclear reasons (other rules): {len(unclear)}",
        f"refusals with an unclear reason: {sum(bool(o.unclear) for o in refused)}",
        f"problems whose Chinese is unclear: {sum(len(o.unclear_zh) for o in outcomes)}",
        f"refusals with an unclear Chinese reason: {sum(bool(o.unclear_zh) for o in refused)}",
        f"single-problem refusals: {sum(len(o.problems) == 1 for o in refused)}",
        f"seconds: {seconds:.1f}",
    ]
    whys = Counter(why for _p, why in unclear)
    lines += [f"  {count:4d}  {why}" for why, count in whys.most_common()]
    zh = Counter(f"{p.get('code')}: {why}" for o in outcomes for p, why in o.unclear_zh)
    lines += [f"  {count:4d}  (zh) {why}" for why, count in zh.most_common()]
    return "\n".join(lines)


def listing(outcomes: list[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        if outcome.crash:
            lines.append(f"{outcome.file}\tCRASH\t{outcome.crash}")
        for problem, why in outcome.unclear:
            lines.append(
                f"{outcome.file}\t{why}\telement={problem.get('element')!r} "
                f"code={problem.get('code')!r}\t{problem.get('reason')}"
            )
        for problem, why in outcome.unclear_zh:
            lines.append(
                f"{outcome.file}\t(zh) {why}\telement={problem.get('element')!r} "
                f"code={problem.get('code')!r}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print each unclear reason")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)
    import service

    print(f"service: {Path(service.__file__).parent}")  # noqa: T201 - which checkout is measured
    started = time.perf_counter()
    outcomes = run(args.corpus)
    print(summary(outcomes, time.perf_counter() - started))  # noqa: T201 - a report tool
    if args.list:
        print(listing(outcomes))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
