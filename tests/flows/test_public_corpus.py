"""The public BPMN corpus (issue 21 §2): real flows from modelers and engines, refused clearly.

tests/flows/public holds BPMN files from SpiffWorkflow's and SpiffArena's tests, Camunda's
examples and the BPMN MIWG test suite (README.md there, SOURCES.csv for each file's source and
licence). Most are refused, by design; what is tested is how: every problem in one report,
none of them unclear by the rules of tests/flows/clarity.py, and nothing escaping as a 500.

The whole corpus goes through the upload's own validation (``flows_service.validate``, what
``POST /flows`` runs, no database needed); a sample of refused files goes through the HTTP
endpoint on both databases, which must answer with the same problems.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import Api, assert_problem
from tests.flows import clarity
from tests.flows.helpers import upload
from tools import flow_corpus

PUBLIC = Path(__file__).resolve().parent / "public"
SOURCES = PUBLIC / "SOURCES.csv"
LICENCES = ("LGPL-3.0", "LGPL-2.1", "Apache-2.0", "CC-BY-3.0", "MIT")
# Refused files sent over HTTP: one or more of each source, of the kinds of refusal the
# corpus holds (unsupported elements, other engines' markup, lanes, schema, the engine).
HTTP_SAMPLE = (  # one or more per source; the last three stopped at one raw schema message before
    "spiff/lanes.bpmn",
    "spiff/invalid_process_top.bpmn",
    "spiff/data_object_invalid.bpmn",
    "arena/hello_world.bpmn",
    "camunda/clients_loan-granting.bpmn",
    "camunda/task-form-generated_loanApproval.bpmn",
    "miwg/Reference_A.2.0.bpmn",
    "arena/callee_ds_scope.bpmn",
    "spiff/io_spec.bpmn",
    "miwg/MID-Innovator-11.5_A.1.0-export.bpmn",
)


@pytest.fixture(scope="module")
def outcomes() -> list[flow_corpus.Outcome]:
    return flow_corpus.run(PUBLIC)


def test_every_corpus_file_has_its_source_and_licence() -> None:
    with SOURCES.open(newline="") as file:
        rows = {row["file"]: row for row in csv.DictReader(file)}
    files = {path.relative_to(PUBLIC).as_posix() for path in PUBLIC.rglob("*.bpmn")}
    assert files == set(rows), "SOURCES.csv and the corpus files differ"
    for name, row in rows.items():
        assert row["repository"].count("/") == 1, name
        assert row["path"], name
        assert len(row["commit"]) == 40, name
        assert row["licence"].startswith(LICENCES), name
    assert {name.split("/")[0] for name in files} == {"spiff", "arena", "camunda", "miwg"}


def test_no_refusal_over_the_corpus_is_unclear(outcomes: list[flow_corpus.Outcome]) -> None:
    crashed = [(o.file, o.crash) for o in outcomes if o.crash]
    assert not crashed, f"the validation raised instead of refusing: {crashed}"
    assert all(o.accepted or o.problems for o in outcomes)
    unclear = flow_corpus.listing(outcomes)
    assert not unclear, f"unclear reasons (tools/flow_corpus.py --list):\n{unclear}"


def test_every_problem_of_a_refusal_is_a_clear_one(outcomes: list[flow_corpus.Outcome]) -> None:
    """The same rules, from the problems themselves rather than the tool's reading of them."""
    for outcome in outcomes:
        for problem in outcome.problems:
            assert clarity.unclear(problem) is None, (outcome.file, problem)


def test_the_console_says_every_problem_over_the_corpus_in_chinese(
    outcomes: list[flow_corpus.Outcome],
) -> None:
    """The console shows a refusal's problems through web/reasons.py and the .po: each in
    Chinese by the rules of clarity.unclear_zh (its own message, translated, no blank or
    pasted param, no English sentence, no raw engine text)."""
    said = 0
    for outcome in outcomes:
        for problem in outcome.problems:
            assert clarity.unclear_zh(problem) is None, (outcome.file, problem)
            said += 1
    assert said > 1000  # the corpus refuses with well over a thousand problems


@pytest.mark.parametrize("name", HTTP_SAMPLE)
def test_a_refused_upload_answers_with_every_problem_at_once(api: Api, name: str) -> None:
    path = PUBLIC / name
    [expected] = [o for o in flow_corpus.run_files([path]) if o.file == name]
    assert not expected.accepted, f"{name} is accepted: choose a refused file for the sample"
    response = upload(api, (path.name, path.read_bytes()))
    body = assert_problem(response, 422, "invalid-flow")
    errors = body["errors"]
    assert [(e["element"], e["reason"]) for e in errors] == [
        (p["element"], p["reason"]) for p in expected.problems
    ]
    assert all(e["file"] == path.name for e in errors)
    assert body["params"]["more"] == len(errors) - 1
    for error in errors:
        assert clarity.unclear(error) is None, error
