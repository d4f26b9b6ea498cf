"""The vendored front-end libraries are exactly what tools/vendor.sh fetched.

Plain file checks, no server: every file in vendor/MANIFEST.json exists with the recorded
SHA-256, each package's licence is shipped, the stylesheets load nothing from the network,
htmx is on the 2.0.x line the console is written against, and the API docs' Swagger UI and
ReDoc are the versions listed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "service" / "web" / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"
KEYS = {"name", "version", "file", "sha256", "license", "source"}


def manifest() -> list[dict[str, str]]:
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(entries, list)
    return entries


def test_manifest_lists_the_expected_files() -> None:
    entries = manifest()
    for entry in entries:
        assert entry.keys() >= KEYS, entry
        assert entry["source"] == f"npm:{entry['name']}@{entry['version']}"
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), entry
    assert sorted(e["file"] for e in entries) == [
        "bpmn-embedded.css",
        "bpmn-js.css",
        "bpmn-modeler.production.min.js",
        "bpmn-navigated-viewer.production.min.js",
        "diagram-js.css",
        "htmx.min.js",
        "redoc.standalone.js",
        "swagger-ui-bundle.js",
        "swagger-ui.css",
    ]


@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["file"])
def test_file_matches_its_checksum(entry: dict[str, str]) -> None:
    path = VENDOR / entry["file"]
    assert path.is_file(), f"{entry['file']} is missing; run `make vendor`"
    assert path.resolve().is_relative_to(VENDOR.resolve())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], entry["file"]


def test_nothing_unlisted_is_vendored() -> None:
    listed = {e["file"] for e in manifest()}
    licences = {f"LICENSES/{name}.txt" for name in {e["name"] for e in manifest()}}
    shipped = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert shipped == listed | licences | {"MANIFEST.json"}


@pytest.mark.parametrize("name", sorted({e["name"] for e in manifest()}))
def test_each_package_ships_its_licence(name: str) -> None:
    licence = VENDOR / "LICENSES" / f"{name}.txt"
    assert licence.is_file(), licence
    text = licence.read_text(encoding="utf-8")
    assert "Permission" in text or "Apache License" in text


def test_bpmn_js_licence_keeps_the_watermark_clause() -> None:
    text = (VENDOR / "LICENSES" / "bpmn-js.txt").read_text(encoding="utf-8")
    assert "watermark must stay fully visible" in text


@pytest.mark.parametrize(
    "css", ["diagram-js.css", "bpmn-js.css", "bpmn-embedded.css", "swagger-ui.css"]
)
def test_stylesheets_load_nothing_from_elsewhere(css: str) -> None:
    text = (VENDOR / css).read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, re.IGNORECASE)
    assert "@import" not in text
    # Every url() is inline data, so no font or image request can 404.
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]*)", text):
        assert ref.startswith("data:"), ref


def test_console_stylesheet_loads_nothing_from_elsewhere() -> None:
    css = ROOT / "service" / "web" / "static" / "css" / "console.css"
    text = css.read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text, re.IGNORECASE)
    assert "@import" not in text


def test_htmx_is_2_0_x() -> None:
    (entry,) = [e for e in manifest() if e["name"] == "htmx.org"]
    assert re.fullmatch(r"2\.0\.\d+", entry["version"]), entry["version"]
    script = (VENDOR / "htmx.min.js").read_text(encoding="utf-8")
    assert f'version:"{entry["version"]}"' in script


def test_bpmn_js_is_the_navigated_viewer_of_the_listed_version() -> None:
    (entry, *_) = [e for e in manifest() if e["name"] == "bpmn-js"]
    head = (VENDOR / "bpmn-navigated-viewer.production.min.js").read_text(encoding="utf-8")[:300]
    assert f"bpmn-navigated-viewer v{entry['version']}" in head


def test_bpmn_js_modeler_is_the_listed_version() -> None:
    """The flow editor's modeler comes from the same bpmn-js package as the viewer."""
    (entry, *_) = [e for e in manifest() if e["name"] == "bpmn-js"]
    head = (VENDOR / "bpmn-modeler.production.min.js").read_text(encoding="utf-8")[:300]
    assert f"bpmn-modeler v{entry['version']}" in head
    assert {e["version"] for e in manifest() if e["name"] == "bpmn-js"} == {entry["version"]}


def test_bpmn_font_is_inline() -> None:
    """The palette's icon font is served inline: no font file is shipped or asked for."""
    text = (VENDOR / "bpmn-embedded.css").read_text(encoding="utf-8")
    assert "font-family: 'bpmn'" in text
    assert ".bpmn-icon-task:before" in text
    assert "bpmn.eot" not in text
    assert "bpmn.svg" not in text


def test_swagger_ui_ships_its_notice() -> None:
    """Apache-2.0 §4(d): the NOTICE travels with the files."""
    text = (VENDOR / "LICENSES" / "swagger-ui-dist.txt").read_text(encoding="utf-8")
    assert "Apache License" in text
    assert "SmartBear Software" in text


def test_the_api_docs_are_the_listed_versions() -> None:
    """/docs and /redoc (service/http/docs.py) serve these files, pinned, never a CDN's latest."""
    (swagger, *_) = [e for e in manifest() if e["name"] == "swagger-ui-dist"]
    (redoc,) = [e for e in manifest() if e["name"] == "redoc"]
    bundle = (VENDOR / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert f'PACKAGE_VERSION:"{swagger["version"]}"' in bundle
    assert re.fullmatch(r"2\.\d+\.\d+", redoc["version"]), redoc["version"]
    standalone = (VENDOR / "redoc.standalone.js").read_text(encoding="utf-8")
    assert f'"{redoc["version"]}"' in standalone
