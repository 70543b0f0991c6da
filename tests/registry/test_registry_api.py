"""The registry over the JSON API for admins with a token: list, upload (a worker task),
shadow evaluation, activate and roll back; refused to everyone else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.roles import ADMIN, ANNOTATOR, assign_role
from accounts.services import issue_token
from registry import services
from registry.models import ActivationEvent, ModelVersion
from tests.registry.bundles import zip_folder
from tests.registry.corrections import accepted_annotation
from tests.registry.tasks_support import unlabelled_job

pytestmark = pytest.mark.django_db
API = "/api/v1/registry"


def token_for(role: str | None) -> str:
    user = get_user_model().objects.create_user(f"user-{role}", password="pw")
    if role:
        assign_role(user, role)
    return issue_token(user).key


@pytest.fixture
def admin(client):  # noqa: ANN001, ANN201
    """Requests with an admin's API token (client.get(url, **admin))."""
    return {"HTTP_AUTHORIZATION": f"Token {token_for(ADMIN)}"}


def test_only_admins_get_in(client, ase):
    assert client.get(f"{API}/languages/").status_code == 401
    for role in (None, ANNOTATOR):
        headers = {"HTTP_AUTHORIZATION": f"Token {token_for(role)}"}
        assert client.get(f"{API}/languages/", **headers).status_code == 403
        # Refused before the body is read: no 422 for a missing file.
        assert client.post(f"{API}/versions/", **headers).status_code == 403


def test_languages_vocabularies_and_versions(client, ase, make_bundle, admin):
    version = services.register_bundle(make_bundle(name="tiny"), ase)
    services.activate_version(version)
    languages = client.get(f"{API}/languages/", **admin).json()
    assert languages == [{"code": "ase", "name": ase.name, "glosses": 26,
                          "active": {"translation": "tiny@1"}}]
    glosses = client.get(f"{API}/languages/ase/glosses/", **admin).json()
    assert [g["gloss"] for g in glosses] == sorted(ase.glosses.values_list("gloss", flat=True))
    assert client.get(f"{API}/languages/xyz/glosses/", **admin).status_code == 404
    (row,) = client.get(f"{API}/versions/?language=ase&task=translation", **admin).json()
    assert (row["id"], row["label"], row["status"], row["input_kind"]) == (
        version.pk, "tiny@1", "active", "landmarks")
    assert client.get(f"{API}/versions/?status=candidate", **admin).json() == []
    assert client.get(f"{API}/versions/{version.pk}/", **admin).json()["checksum"] == \
        version.checksum


@pytest.mark.usefixtures("eager")
def test_deploy_pipeline_upload_shadow_activate_roll_back(client, ase, make_bundle, admin,
                                                          shared_data, tmp_path):
    active = services.register_bundle(make_bundle("a", name="tiny"), ase)
    services.activate_version(active)
    unlabelled_job(shared_data, tmp_path / "jobs", 4)
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A"], held_out=True, translation="a")
    archive = zip_folder(make_bundle("b", name="tiny", seed=2), tmp_path / "b.zip")
    with archive.open("rb") as fh:
        response = client.post(f"{API}/versions/", {"language": "ase", "bundle": fh}, **admin)
    assert response.status_code == 202
    task = client.get(f"{API}/tasks/{response.json()['id']}/", **admin).json()
    assert (task["kind"], task["status"], task["percent"]) == ("register", "succeeded", 100)
    candidate = ModelVersion.objects.get(pk=task["version"])
    assert candidate.status == "candidate"

    url = f"{API}/versions/{candidate.pk}/shadow"
    assert client.get(url, **admin).status_code == 404  # none yet
    response = client.post(url, {"jobs": 5}, content_type="application/json", **admin)
    assert response.status_code == 202 and response.json()["kind"] == "shadow"
    figures = client.get(url, **admin).json()["figures"]
    assert figures["jobs"]["compared"] == 1
    assert figures["corrections"]["candidate"]["clips"] == 1

    event = client.post(f"{API}/versions/{candidate.pk}/activate", **admin).json()
    assert (event["from_version"], event["to_version"]) == ("tiny@1", "tiny@2")
    assert event["figures"]["jobs"] == figures["jobs"]
    assert ActivationEvent.objects.get(pk=event["id"]).username == "user-admin"
    again = client.post(f"{API}/versions/{candidate.pk}/activate", **admin)
    assert again.status_code == 409 and "already the active" in again.json()["detail"]
    back = client.post(f"{API}/rollback", {"language": "ase", "task": "translation"},
                       content_type="application/json", **admin)
    assert back.status_code == 200 and back.json()["to_version"] == "tiny@1"
    bad = client.post(f"{API}/rollback", {"language": "ase", "task": "nonsense"},
                      content_type="application/json", **admin)
    assert bad.status_code == 400


@pytest.mark.usefixtures("eager")
def test_a_rejected_upload_is_a_failed_task(client, ase, make_bundle, admin, tmp_path):
    archive = zip_folder(make_bundle(glosses=["HELLO"]), tmp_path / "b.zip")
    with archive.open("rb") as fh:
        task = client.post(f"{API}/versions/", {"language": "ase", "bundle": fh},
                           **admin).json()
    task = client.get(f"{API}/tasks/{task['id']}/", **admin).json()
    assert task["status"] == "failed" and "HELLO" in task["error"]
    with archive.open("rb") as fh:
        unknown = client.post(f"{API}/versions/", {"language": "xyz", "bundle": fh}, **admin)
    assert unknown.status_code == 404


def test_every_registry_route_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    want = {("get", "/api/v1/registry/languages/"),
            ("get", "/api/v1/registry/languages/{code}/glosses/"),
            ("get", "/api/v1/registry/versions/"), ("post", "/api/v1/registry/versions/"),
            ("get", "/api/v1/registry/versions/{version_id}/"),
            ("get", "/api/v1/registry/tasks/{task_id}/"),
            ("get", "/api/v1/registry/versions/{version_id}/shadow"),
            ("post", "/api/v1/registry/versions/{version_id}/shadow"),
            ("post", "/api/v1/registry/versions/{version_id}/activate"),
            ("post", "/api/v1/registry/rollback")}
    have = {(method, path) for path, ops in paths.items() for method in ops
            if path.startswith("/api/v1/registry/")}
    assert have == want
    for method, path in want:
        assert paths[path][method]["security"], (method, path)


def test_the_upload_has_the_bundle_size_limit(client, ase, admin, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SLRWEB_MAX_BUNDLE_BYTES = 1000
    big = SimpleUploadedFile("b.zip", bytes(200_000), "application/zip")
    response = client.post(f"{API}/versions/", {"language": "ase", "bundle": big}, **admin)
    assert response.status_code == 413
    assert not list((tmp_path / "media").rglob("*.zip"))  # nothing kept for a worker
