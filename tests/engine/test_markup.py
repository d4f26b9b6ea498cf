"""What a flow file may carry besides the model (service/engine/markup.py): the namespaces
modelers write pass, anything a browser would act on is refused with the element holding it.
Uploads of the hostile corpus over HTTP, on both databases, are in tests/flows/test_hostile.py."""

from __future__ import annotations

from pathlib import Path

from service.engine.markup import markup_problems
from service.engine.xml import parse_xml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "workflows" / "emergency_consolation.bpmn").read_text(encoding="utf-8")
TASK = '<bpmn:userTask id="village_cosign" name="村委会主任签字">'
SHAPE = '<bpmndi:BPMNShape id="village_cosign_di" bpmnElement="village_cosign"'
ROOT_TAG = "<bpmn:definitions "


def _with(old: str, new: str, text: str = SHIPPED) -> bytes:
    assert old in text
    content = text.replace(old, new, 1).encode()
    parse_xml(content)  # well-formed: an empty answer below means allowed, not unparsed
    return content


def test_every_shipped_and_example_flow_passes() -> None:
    files = [*ROOT.glob("workflows/**/*.bpmn"), *ROOT.glob("workflows/**/*.dmn")]
    files += [*ROOT.glob("tests/flows/corpus/good/*")]
    assert len(files) >= 5
    for path in files:
        assert markup_problems(path.read_bytes()) == [], path


def test_modeler_colours_platform_and_spiff_extensions_pass() -> None:
    content = _with(
        ROOT_TAG,
        ROOT_TAG + 'xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0" '
        'xmlns:color="http://www.omg.org/spec/BPMN/non-normative/color/1.0" '
        'xmlns:modeler="http://camunda.org/schema/modeler/1.0" '
        'modeler:executionPlatform="Camunda Platform" ',
    ).decode()
    content = _with(
        SHAPE, SHAPE + ' bioc:stroke="#831311" color:background-color="#ffcdd2"', content
    )
    content = _with(
        TASK,
        TASK + "<bpmn:extensionElements><spiffworkflow:properties "
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core">'
        '<spiffworkflow:property name="field" value="comment" />'
        "</spiffworkflow:properties></bpmn:extensionElements>",
        content.decode(),
    )
    assert markup_problems(content) == []


def test_a_processing_instruction_inside_a_task_names_the_task() -> None:
    [problem] = markup_problems(_with(TASK, TASK + '<?php system("id"); ?>'))
    assert problem.element == "village_cosign"
    assert "<?php?>" in problem.reason


def test_a_foreign_attribute_is_refused_with_its_namespace() -> None:
    content = _with(
        TASK,
        TASK.replace(
            "<bpmn:userTask ",
            '<bpmn:userTask xmlns:x="http://www.w3.org/1999/xlink" x:href="javascript:alert(1)" ',
        ),
    )
    [problem] = markup_problems(content)
    assert problem.element == "village_cosign"
    assert "'href'" in problem.reason
    assert "http://www.w3.org/1999/xlink" in problem.reason


def test_documentation_holds_text_only() -> None:
    documentation = "<bpmn:documentation>"
    content = _with(documentation, documentation + "<bpmn:incoming>x</bpmn:incoming>")
    [problem] = markup_problems(content)
    assert "documentation holds text only" in problem.reason
    # Markup written as text is text: shown escaped, never parsed as markup.
    escaped = _with(documentation, documentation + "&lt;html:meta http-equiv=refresh&gt;")
    assert markup_problems(escaped) == []


def test_unnamespaced_markup_is_refused_once_with_its_inside() -> None:
    content = _with(
        TASK, TASK + "<bpmn:extensionElements><div><script/></div></bpmn:extensionElements>"
    )
    [problem] = markup_problems(content)
    assert problem.element == "village_cosign"
    assert "<div>" in problem.reason
    assert "no namespace" in problem.reason


def test_a_file_that_does_not_parse_is_left_to_the_parser() -> None:
    assert markup_problems(b"<bpmn:definitions") == []
