"""The annotation JSON API: save, conflicts, submit, review, exports, .eaf import, autocomplete."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import create_api_token
from annotation.formats import build_eaf, eaf_bytes, read_eaf

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # noqa: ANN001
    return Client(HTTP_AUTHORIZATION=f"Token {create_api_token(user.username).key}")


def url(job, suffix: str = "") -> str:  # noqa: ANN001
    return f"/api/v1/annotation/jobs/{job.id}/{suffix}"


def put(client: Client, job, state: dict):  # noqa: ANN001
    return client.put(url(job), state, content_type="application/json")


def test_get_before_any_save_is_the_models_proposal(annotator, shared_job):
    body = client_for(annotator).get(url(shared_job)).json()
    assert body["status"] == "new" and body["revision"] == 0
    assert [s["gloss"] for s in body["segments"]] == ["C", "O", "B"]
    assert body["model"]["segments"][1]["topk"][1] == {"gloss": "A", "prob": 0.4}
    assert body["can_edit"] is True and body["shared"] is True
    assert "bad_extraction" in body["flag_choices"]


def test_save_submit_accept_through_the_api(annotator, admin_user, shared_job):
    client = client_for(annotator)
    state = client.get(url(shared_job)).json()
    state["segments"][1]["gloss"] = "A"
    saved = put(client, shared_job, {**state, "translation": "cab"})
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] == 1 and saved.json()["status"] == "draft"
    corrections = client.get(url(shared_job, "corrections")).json()
    assert {(c["field"], c["before"], c["after"]) for c in corrections} == {
        ("segment:m1.gloss", "O", "A"), ("translation", "cob", "cab")}
    stale = put(client, shared_job, {**state, "translation": "cub", "revision": 0})
    assert stale.status_code == 409 and "somebody else" in stale.json()["detail"]
    submitted = client.post(url(shared_job, "submit"), {"revision": 1},
                            content_type="application/json")
    assert submitted.status_code == 200 and submitted.json()["can_edit"] is False
    assert put(client, shared_job, {**state, "revision": 1}).status_code == 409
    reviewed = client_for(admin_user).post(
        url(shared_job, "review"), {"decision": "accept", "comment": "ok", "revision": 1},
        content_type="application/json")
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "accepted"
    assert reviewed.json()["reviews"][0]["reviewer"] == "ada"


def test_invalid_state_gets_400_with_the_reason(annotator, shared_job):
    client = client_for(annotator)
    state = client.get(url(shared_job)).json()
    state["segments"][0]["end"] = 2.5
    response = put(client, shared_job, state)
    assert response.status_code == 400 and "overlaps" in response.json()["detail"]


def test_reject_without_comment_is_400(annotator, admin_user, shared_job):
    client = client_for(annotator)
    client.post(url(shared_job, "submit"), {"revision": 0}, content_type="application/json")
    response = client_for(admin_user).post(
        url(shared_job, "review"), {"decision": "reject", "comment": "", "revision": 0},
        content_type="application/json")
    assert response.status_code == 400


def test_exports_carry_the_annotation(annotator, shared_job):
    client = client_for(annotator)
    state = client.get(url(shared_job)).json()
    state["segments"][1]["gloss"] = "A"
    put(client, shared_job, {**state, "translation": "cab"})
    eaf = client.get(url(shared_job, "export.eaf"))
    assert eaf.status_code == 200 and "attachment" in eaf["Content-Disposition"]
    content = read_eaf(eaf.content)
    assert [s["gloss"] for s in content.segments] == ["C", "A", "B"]
    assert content.translation == "cab"
    assert b"O 0.50 | A 0.40 | S 0.10" in eaf.content  # the TOPK tier keeps the model's guesses
    vtt = client.get(url(shared_job, "export.vtt")).content.decode()
    assert vtt.startswith("WEBVTT")
    assert "00:00:01.000 --> 00:00:02.000\nA" in vtt and "cab" in vtt


def test_import_eaf_prefills_segments(annotator, shared_job):
    eaf = build_eaf([{"start": 0.2, "end": 1.4, "gloss": "C"},
                     {"start": 1.4, "end": 2.3, "gloss": "A"}], [], "ca")
    response = client_for(annotator).post(
        url(shared_job, "import-eaf"),
        {"file": SimpleUploadedFile("x.eaf", eaf_bytes(eaf)), "revision": 0})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(s["start"], s["end"], s["gloss"]) for s in body["segments"]] == [
        (0.2, 1.4, "C"), (1.4, 2.3, "A")]
    assert [s["origin"] for s in body["segments"]] == [0, 1]  # top-k of the overlapping guess
    assert body["translation"] == "ca" and body["revision"] == 1


def test_import_of_a_non_eaf_file_is_400(annotator, shared_job):
    response = client_for(annotator).post(
        url(shared_job, "import-eaf"),
        {"file": SimpleUploadedFile("x.eaf", b"not xml at all"), "revision": 0})
    assert response.status_code == 400 and "ELAN" in response.json()["detail"]


def test_gloss_autocomplete_prefers_prefix_matches(annotator, ase):
    client = client_for(annotator)
    assert [g["gloss"] for g in client.get(
        "/api/v1/annotation/glosses/?language=ase&q=co").json()] == ["COB"]
    found = [g["gloss"] for g in client.get(
        "/api/v1/annotation/glosses/?language=ase&q=b").json()]
    assert found == ["B", "COB"]
    assert client.get("/api/v1/annotation/glosses/?language=gsg&q=a").json() == []


def test_openapi_documents_the_annotation_endpoints(annotator):
    paths = client_for(annotator).get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/annotation/jobs/{job_id}/" in paths
    assert "/api/v1/annotation/queue/" in paths
