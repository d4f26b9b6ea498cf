"""Whether a flow refusal's reason is clear to an administrator (issue 21 §2).

One function, ``unclear(problem)``, holds the rules; the validator's tests and the public
corpus test (tests/flows/public) both use it. A problem is one entry of a refusal's
``errors[]`` (``{"element", "file", "reason", "code", "params"}``) or a ``FlowProblem``.

A reason is clear when:

- it has a registered ``code`` and the ``params`` its message needs (the console says it in
  Chinese from those);
- it names the element (``element`` is not null) whenever it speaks of an element of the
  diagram (a task, gateway, event, lane, flow, condition, script, timer, attribute…);
- it never shows ``None``, Python object text (``<Element … at 0x7f…>``), an empty type name
  (``…for tasks of type .``), a qualified XML name (``{http://…}callActivity``) or a raw
  schema/engine/sandbox message (``Element 'callActivity', attribute …``, ``Time
  Specification Error``, ``Line 1: SyntaxError: invalid syntax at statement``) — the
  validator turns those into words with the element and what to change;
- ``isExecutable`` says to set ``isExecutable="true"``; a ``${…}``/``#{…}`` expression or a
  JavaScript/Groovy script says that expressions and scripts are Python;
- it quotes at most one line of the file: a script pasted whole is not a reason (the line
  refused, and what on it, is).

The console says each problem in Chinese from its code and params (``service/web/reasons.py``
and the .po), and ``unclear_zh(problem)`` holds what makes that rendering Chinese:

- the code has its own message in the console's catalogue, translated in the .po, and the
  problem's params fit it (else the console falls back to a general sentence that names
  nothing);
- no param the message shows is blank (an unnamed lane is said to have no name), none spans
  several lines or pastes more than 200 characters of the file;
- the message, outside what it quotes from the file (ids, names, tags, expressions), is
  Chinese: it holds Chinese characters and no run of three English words;
- it carries none of the raw schema or engine messages above.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from service.http import codes
from service.web import i18n, reasons

# Words that mean the reason is about one element of the diagram.
_ELEMENT_WORDS = re.compile(
    r"\b(task|gateway|event|lane|sequence flow|subprocess|sub-process|condition|script|"
    r"timer|attribute|boundary|pool|participant|data object|the element)s?\b",
    re.IGNORECASE,
)
# Raw messages of the schema validator (libxml2), lxml and SpiffWorkflow.
_RAW = (
    re.compile(r"Element '[^']*'(, attribute '[^']*')?:"),  # libxml2's XSD messages
    re.compile(r"\{https?://[^}]*\}"),  # a qualified name in Clark notation
    re.compile(r"Time Specification Error", re.IGNORECASE),
    re.compile(r"\bValidation ?Error\b"),
    re.compile(r"\bValidationException\b"),
    re.compile(r"\bWorkflowException\b|\bSpiffWorkflowException\b"),
    re.compile(r"\bTraceback\b"),
    re.compile(r"\bXMLSyntaxError\b"),
    re.compile(r"\bNoneType\b"),
    re.compile(r"\bKeyError\b|\bAttributeError\b|\bTypeError\b|\bValueError\b"),
    re.compile(r"is not a valid value of the (atomic|union|list) type"),
    re.compile(r"This element is not expected"),
    re.compile(r"No matching global (element )?declaration available"),
    re.compile(r"\bbpmn_id\b|\btask_spec\b|\bwf_spec\b"),
    # RestrictedPython's compile messages ("Line 1: SyntaxError: invalid syntax at statement").
    re.compile(r"\bSyntaxError\b|\bat statement\b|\bcalls are not allowed\b"),
)
_NONE = re.compile(r"\bNone\b")
_OBJECT = re.compile(r"<[A-Za-z_][\w.]* [^>]*\bat 0x[0-9a-fA-F]+>|\bat 0x[0-9a-fA-F]{6,}")
_BLANK_TYPE = re.compile(r"of type\s*(?:''|\"\")?\s*(?:[.,;:)]|$)|type ''|type \"\"")
_CAMUNDA = re.compile(r"[$#]\{")
_QUOTED_LINES = re.compile(r"'[^'\n]*\n[^']*'|\"[^\"\n]*\n[^\"]*\"")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_SHOWN_MAX = 200
_OPTIONAL = frozenset({"name"})  # an element's own label, shown only when it has one


def _fields(problem: Any) -> tuple[str | None, str, str | None, Mapping[str, Any] | None]:
    if isinstance(problem, Mapping):
        return (
            problem.get("element"),
            str(problem.get("reason") or ""),
            problem.get("code"),
            problem.get("params"),
        )
    return (
        getattr(problem, "element", None),
        str(getattr(problem, "reason", "") or ""),
        getattr(problem, "code", None),
        getattr(problem, "params", None),
    )


def _code_problem(code: str | None, params: Mapping[str, Any] | None) -> str | None:
    if not code:
        return "no code"
    if code not in codes.CODES:
        return f"code {code!r} is not registered in service/http/codes.py"
    missing = [name for name in codes.CODES[code].params if name not in (params or {})]
    if missing:
        return f"params {missing} of code {code!r} are missing"
    return None


def _text_problem(reason: str) -> str | None:
    if not reason.strip():
        return "the reason is empty"
    if _NONE.search(reason):
        return "shows None"
    if _OBJECT.search(reason):
        return "shows Python object text"
    if _BLANK_TYPE.search(reason):
        return "names an empty type"
    if "\n" in reason or "\\n" in reason or _QUOTED_LINES.search(reason):
        return "quotes several lines of the file"
    for raw in _RAW:
        if raw.search(reason):
            return f"shows a raw schema or engine message ({raw.pattern})"
    return None


def _advice_problem(reason: str) -> str | None:
    if "isExecutable" in reason and 'isExecutable="true"' not in reason:
        return 'speaks of isExecutable without saying to set isExecutable="true"'
    if _CAMUNDA.search(reason) and "Python" not in reason:
        return "shows a ${…} expression without saying expressions are Python"
    lowered = reason.lower()
    if ("javascript" in lowered or "groovy" in lowered) and "Python" not in reason:
        return "speaks of a JavaScript/Groovy script without saying scripts are Python"
    return None


def unclear(problem: Any) -> str | None:
    """Why ``problem``'s reason is not clear to an administrator; None when it is."""
    element, reason, code, params = _fields(problem)
    found = _text_problem(reason) or _code_problem(code, params) or _advice_problem(reason)
    if found:
        return found
    if element is None and _ELEMENT_WORDS.search(reason):
        return "speaks of an element but names none"
    if element is not None and not str(element).strip():
        return "the element is blank"
    return None


def unclear_all(problems: list[Any]) -> list[tuple[Any, str]]:
    """Each unclear problem of a refusal, with why."""
    found = []
    for problem in problems:
        why = unclear(problem)
        if why is not None:
            found.append((problem, why))
    return found


def unclear_zh(problem: Any) -> str | None:
    """Why the console's Chinese for ``problem`` is not Chinese an administrator can act on;
    None when it is (the rules in the module's docstring)."""
    _element, _reason, code, params = _fields(problem)
    if not code or code not in reasons.MESSAGES:
        return f"the console has no message for code {code!r}"
    template = reasons.MESSAGES[code]
    chinese = i18n.translations("zh_CN").gettext(template)
    if chinese == template:
        return f"the message of {code!r} has no Chinese in the .po"
    entry = {"code": code, "params": dict(params or {})}
    said = reasons.say_field(entry, "zh_CN")
    if "%(" not in chinese:
        shown: dict[str, Any] = {}
    else:
        shown = reasons.humanize(code, entry["params"], "zh_CN")
        if said == i18n.translations("zh_CN").gettext(reasons.general(422)):
            return f"the params do not fit the message of {code!r} (a general sentence instead)"
    found = _shown_problem(_PLACEHOLDER.findall(chinese), shown)
    if found:
        return found
    own_words = _PLACEHOLDER.sub(" ", chinese)
    if not _CJK.search(own_words):
        return "the message is not in Chinese"
    if _ENGLISH_RUN.search(own_words):
        return f"the Chinese message holds English words: {_ENGLISH_RUN.search(own_words)[0]!r}"
    found = _text_problem(said)
    if found and found != "shows None":  # 无 (None) is no Python here
        return f"the Chinese {found}"
    return None


def _shown_problem(names: list[str], shown: Mapping[str, Any]) -> str | None:
    """A param the message shows that is blank, or that pastes several lines of the file."""
    for name in names:
        value = str(shown.get(name, ""))
        if not value.strip() and name not in _OPTIONAL:
            return f"shows {name} blank"
        if "\n" in value or len(value) > _SHOWN_MAX:
            return f"pastes {name} whole"
    return None
