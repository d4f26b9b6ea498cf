"""Attaching documents to cases, and the rule that the village cannot approve without them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import TEST_UPLOAD_LIMIT, Api, Backend, assert_problem
from tests.factories import EC_DOCUMENTS, JPEG, PDF, PNG, application, id_number


def documents_of(backend: Backend, case_id: int | None = None) -> int:
    sql = "SELECT count(*) FROM document"
    params: dict[str, object] = {}
    if case_id is not None:
        sql += " WHERE application_id = :case"
        params["case"] = case_id
    with backend.engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def upload(
    api: Api,
    case_id: int,
    *,
    kind: str = "id_card",
    content: bytes = PDF,
    filename: str = "scan.pdf",
    content_type: str = "application/pdf",
    as_: str | None = "cw.lizhuang",
) -> httpx.Response:
    return api.post(
        f"/applications/{case_id}/documents",
        as_=as_,
        data={"kind": kind},
        files={"file": (filename, content, content_type)},
    )


def unique_pdf(label: str) -> bytes:
    """A PDF whose bytes (and so SHA-256) no other test uploads."""
    return PDF + f"% {label} {id_number()}\n".encode()


# --- accepted uploads ----------------------------------------------------------------------


def test_upload_records_sha256_size_and_type(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    content = unique_pdf("id card")
    response = upload(api, case_id, kind="id_card", content=content, filename="身份证.pdf")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["kind"] == "id_card"
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert document["size"] == len(content)
    assert document["content_type"] == "application/pdf"
    assert document["filename"] == "身份证.pdf"
    assert documents_of(backend, case_id) == 1


def test_uploaded_bytes_are_kept_under_their_sha256(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    content = unique_pdf("stored")
    digest = upload(api, case_id, content=content).json()["sha256"]
    stored = Path(backend.env["RELIEF_FILES_DIR"]) / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == content


def test_detail_lists_document_and_drops_it_from_missing(api: Api) -> None:
    case_id = api.submit()["id"]
    before = api.case(case_id, as_="cw.lizhuang")
    assert before["documents"] == []
    assert before["missing_documents"] == list(EC_DOCUMENTS)
    assert before["required_documents"] == list(EC_DOCUMENTS)

    document = upload(api, case_id, kind="hukou").json()
    after = api.case(case_id, as_="cw.lizhuang")
    assert [d["id"] for d in after["documents"]] == [document["id"]]
    assert after["documents"][0]["sha256"] == document["sha256"]
    assert "hukou" not in after["missing_documents"]
    assert after["missing_documents"] == [k for k in EC_DOCUMENTS if k != "hukou"]


def test_all_required_documents_leave_nothing_missing(api: Api) -> None:
    case_id = api.submit()["id"]
    api.attach_required(case_id)
    detail = api.case(case_id)
    assert detail["missing_documents"] == []
    assert sorted(d["kind"] for d in detail["documents"]) == sorted(EC_DOCUMENTS)


@pytest.mark.parametrize(
    ("content", "filename", "declared", "sniffed"),
    [
        (PNG, "photo.pdf", "application/pdf", "image/png"),
        (JPEG, "scan.png", "image/png", "image/jpeg"),
        (PDF, "form.jpg", "image/jpeg", "application/pdf"),
    ],
    ids=["png-named-pdf", "jpeg-named-png", "pdf-named-jpg"],
)
def test_content_type_is_sniffed_from_the_bytes(
    api: Api, content: bytes, filename: str, declared: str, sniffed: str
) -> None:
    case_id = api.submit()["id"]
    response = upload(api, case_id, content=content, filename=filename, content_type=declared)
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == sniffed
    (listed,) = api.case(case_id)["documents"]
    assert listed["content_type"] == sniffed


def test_upload_of_exactly_the_limit_is_accepted(api: Api) -> None:
    case_id = api.submit()["id"]
    content = PDF + b"0" * (TEST_UPLOAD_LIMIT - len(PDF))
    response = upload(api, case_id, content=content)
    assert response.status_code == 201, response.text
    assert response.json()["size"] == TEST_UPLOAD_LIMIT


def test_upload_is_in_the_audit_trail_with_its_hash(api: Api) -> None:
    case_id = api.submit()["id"]
    document = upload(api, case_id, kind="death_certificate", content=unique_pdf("death")).json()
    added = [e for e in api.events(case_id) if e["action"] == "document_added"]
    assert len(added) == 1
    assert added[0]["actor"] == "cw.lizhuang"
    assert added[0]["after"]["sha256"] == document["sha256"]
    assert added[0]["after"]["kind"] == "death_certificate"


# --- refused uploads -----------------------------------------------------------------------


def test_file_above_the_limit_is_refused_with_413(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    content = PDF + b"0" * (TEST_UPLOAD_LIMIT + 1 - len(PDF))
    assert_problem(upload(api, case_id, content=content), 413, "payload-too-large")
    assert documents_of(backend) == before
    assert api.case(case_id)["documents"] == []


def test_far_larger_upload_is_refused_with_413(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    content = PDF + b"0" * (4 * TEST_UPLOAD_LIMIT)
    assert_problem(upload(api, case_id, content=content), 413, "payload-too-large")
    assert documents_of(backend) == before


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48, "setup.pdf"),
        ("申请书：本人王秀英……".encode(), "application.txt"),
        (b"<html><script>alert(1)</script></html>", "scan.png"),
        (b"PK\x03\x04" + b"\x00" * 40, "scans.zip"),
    ],
    ids=["windows-exe", "plain-text", "html", "zip"],
)
def test_file_that_is_not_pdf_jpeg_or_png_is_refused(
    api: Api, backend: Backend, content: bytes, filename: str
) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    response = upload(api, case_id, content=content, filename=filename)
    problem = assert_problem(response, 422, "invalid-input")
    assert [e["field"] for e in problem["errors"]] == ["file"]
    assert documents_of(backend) == before


def test_empty_file_is_refused(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    problem = assert_problem(upload(api, case_id, content=b""), 422, "invalid-input")
    assert "file" in [e["field"] for e in problem["errors"]]
    assert documents_of(backend) == before


@pytest.mark.parametrize("kind", ["passport", "", "ID_CARD"])
def test_unknown_document_kind_is_refused(api: Api, backend: Backend, kind: str) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    problem = assert_problem(upload(api, case_id, kind=kind), 422, "invalid-input")
    assert "kind" in [e["field"] for e in problem["errors"]]
    assert documents_of(backend) == before


@pytest.mark.parametrize("user", ["cw.hekou", "cw.wangzhuang"])
def test_caseworker_of_another_village_cannot_see_the_case(
    api: Api, backend: Backend, user: str
) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    hidden = assert_problem(upload(api, case_id, as_=user), 404, "not-found")
    absent = assert_problem(upload(api, case_id + 10_000_000, as_=user), 404, "not-found")
    assert hidden["title"] == absent["title"]
    assert documents_of(backend) == before


@pytest.mark.parametrize("user", ["vh.lizhuang", "tr.dongcheng", "ca.county", "admin"])
def test_only_caseworkers_upload(api: Api, backend: Backend, user: str) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    assert_problem(upload(api, case_id, as_=user), 403, "forbidden")
    assert documents_of(backend) == before


def test_upload_requires_a_token(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    before = documents_of(backend)
    assert_problem(upload(api, case_id, as_=None), 401, "not-authenticated")
    assert documents_of(backend) == before


def test_no_uploads_to_a_closed_case(api: Api, backend: Backend) -> None:
    case_id = api.submit()["id"]
    api.act(case_id, "reject", as_="cw.lizhuang", comment="不符合条件")
    before = documents_of(backend)
    assert_problem(upload(api, case_id), 409, "conflict")
    assert documents_of(backend) == before


# --- the village cannot approve without the documents --------------------------------------


def test_village_cannot_approve_without_any_documents(api: Api) -> None:
    case_id = api.submit()["id"]
    task = api.task_for(case_id, as_="cw.lizhuang")
    response = api.decide(task["id"], "approve", as_="cw.lizhuang")
    problem = assert_problem(response, 409, "missing-documents")
    assert sorted(problem["missing"]) == sorted(EC_DOCUMENTS)


def test_village_cannot_approve_with_some_documents_missing(api: Api) -> None:
    case_id = api.submit()["id"]
    attached = ("application_form", "id_card", "hukou")
    for kind in attached:
        assert api.attach(case_id, kind).status_code == 201
    task = api.task_for(case_id, as_="cw.lizhuang")
    response = api.decide(task["id"], "approve", as_="cw.lizhuang")
    problem = assert_problem(response, 409, "missing-documents")
    assert sorted(problem["missing"]) == sorted(set(EC_DOCUMENTS) - set(attached))
    for kind in problem["missing"]:
        assert kind in problem["detail"]

    # Nothing moved: the task is still in the caseworker's inbox and the case still waits.
    still = api.task_for(case_id, as_="cw.lizhuang")
    assert still["id"] == task["id"]
    assert still["status"] == "ready"
    detail = api.case(case_id)
    assert detail["status"] == "in_progress"
    assert [t["id"] for t in detail["tasks"]] == [task["id"]]
    assert not [e for e in api.events(case_id) if e["action"] == "task_completed"]


def test_spouse_id_card_is_required_when_a_spouse_is_on_the_case(api: Api) -> None:
    case_id = api.submit(application(spouse_id=id_number()))["id"]
    assert set(api.case(case_id)["required_documents"]) == {*EC_DOCUMENTS, "spouse_id_card"}
    api.attach_required(case_id)  # everything except the spouse's ID card
    task = api.task_for(case_id, as_="cw.lizhuang")
    problem = assert_problem(
        api.decide(task["id"], "approve", as_="cw.lizhuang"), 409, "missing-documents"
    )
    assert problem["missing"] == ["spouse_id_card"]
    assert api.task_for(case_id, as_="cw.lizhuang")["id"] == task["id"]

    assert api.attach(case_id, "spouse_id_card").status_code == 201
    assert api.case(case_id)["missing_documents"] == []
    approved = api.decide(task["id"], "approve", as_="cw.lizhuang")
    assert approved.status_code == 200, approved.text
    assert api.task_for(case_id, as_="vh.lizhuang")["role"] == "village_head"


def test_spouse_id_card_is_not_required_without_a_spouse(api: Api) -> None:
    case_id = api.submit()["id"]
    assert "spouse_id_card" not in api.case(case_id)["required_documents"]
    api.attach_required(case_id)
    result = api.act(case_id, "approve", as_="cw.lizhuang")
    assert result["status"] == "in_progress"
    assert api.task_for(case_id, as_="vh.lizhuang")["role"] == "village_head"


def test_rejecting_needs_no_documents(api: Api) -> None:
    case_id = api.submit()["id"]
    result = api.act(case_id, "reject", as_="cw.lizhuang", comment="非独生子女家庭")
    assert result["status"] == "rejected"
