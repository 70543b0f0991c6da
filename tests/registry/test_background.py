"""Bundle registration runs in a Celery worker: the upload answers at once, the progress page
polls the task, the outcome (version or problems) is on the page when it ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.roles import ADMIN, ANNOTATOR, assign_role
from registry import background, services
from registry.models import ModelVersion, RegistryTask
from tests.registry.bundles import zip_folder

pytestmark = pytest.mark.django_db


def logged_in(client, role: str):  # noqa: ANN001, ANN201
    user = get_user_model().objects.create_user(f"user-{role}", password="pw")
    assign_role(user, role)
    client.force_login(user)
    return client, user


def upload(client, ase, archive: Path, activate: bool = False):  # noqa: ANN001, ANN201
    data = {"language": ase.pk, "bundle": archive.open("rb")}
    if activate:
        data["activate"] = "on"
    return client.post(reverse("admin:registry_modelversion_add"), data)


def test_the_upload_answers_at_once_and_the_worker_registers(client, ase, make_bundle,
                                                            tmp_path, settings,
                                                            django_capture_on_commit_callbacks):
    client, user = logged_in(client, ADMIN)
    archive = zip_folder(make_bundle(), tmp_path / "b.zip")
    with django_capture_on_commit_callbacks() as queued:
        response = upload(client, ase, archive, activate=True)
    row = RegistryTask.objects.get()
    # Nothing was validated in the request: the task waits for a worker.
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:registry_modelversion_task", args=[row.pk])
    assert (row.kind, row.status, row.percent) == ("register", "queued", 0)
    assert not ModelVersion.objects.exists() and len(queued) == 1
    upload_path = Path(settings.MEDIA_ROOT) / row.params["upload"]
    assert upload_path.is_file()
    page = client.get(response["Location"]).content.decode()
    assert 'id="registry-task-progress"' in page and "task_progress.js" in page

    background.execute(str(row.pk))  # what the worker runs
    row.refresh_from_db()
    version = ModelVersion.objects.get()
    assert (row.status, row.percent, row.version_id) == ("succeeded", 100, version.pk)
    assert version.uploaded_by == user and version.status == "candidate"
    assert not upload_path.exists()
    status = client.get(reverse("admin:registry_modelversion_task_status", args=[row.pk])).json()
    assert status["finished"] and status["result"]["label"] == version.label
    page = client.get(response["Location"]).content.decode()
    assert reverse("admin:registry_modelversion_activate", args=[version.pk]) in page
    assert reverse("admin:registry_modelversion_shadow", args=[version.pk]) in page


@pytest.mark.usefixtures("eager")
def test_a_rejected_bundle_fails_its_task_with_every_problem(client, ase, make_bundle,
                                                             tmp_path):
    client, _ = logged_in(client, ADMIN)
    bundle = make_bundle(glosses=["A", "HELLO"], language="gsg")
    response = upload(client, ase, zip_folder(bundle, tmp_path / "b.zip"))
    row = RegistryTask.objects.get()
    assert row.status == "failed" and len(row.result["problems"]) == 2
    page = client.get(response["Location"]).content.decode()
    assert "made for language &#x27;gsg&#x27;, not &#x27;ase&#x27;" in page
    assert "&#x27;HELLO&#x27;" in page
    assert not ModelVersion.objects.exists()


def test_registration_reports_its_stages_in_order(ase, make_bundle):
    heard: list[tuple[str, int]] = []
    services.register_bundle(make_bundle(), ase, progress=lambda s, p: heard.append((s, p)))
    percents = [p for _, p in heard]
    assert percents == sorted(percents) and percents[-1] == 100
    stages = " / ".join(s for s, _ in heard)
    assert "smoke forward pass" in stages and "evaluating" in stages


def test_progress_never_goes_back_and_a_task_runs_once(ase, make_bundle, tmp_path):
    with zip_folder(make_bundle(), tmp_path / "b.zip").open("rb") as fh:
        row = background.start_registration(fh, ase)
    report = background.reporter(row)
    report("a", 40)
    report("b", 20)
    row.refresh_from_db()
    assert (row.stage, row.percent) == ("b", 40)
    assert background.execute(str(row.pk)).status == "succeeded"
    assert background.execute(str(row.pk)).status == "succeeded"  # delivered twice
    assert ModelVersion.objects.count() == 1


def test_annotators_see_no_tasks(client, ase, make_bundle, tmp_path):
    with zip_folder(make_bundle(), tmp_path / "b.zip").open("rb") as fh:
        row = background.start_registration(fh, ase)
    logged_in(client, ANNOTATOR)
    # Staff, so the admin lets them in: the task pages themselves refuse them.
    get_user_model().objects.filter(username="user-annotator").update(is_staff=True)
    for name in ("admin:registry_modelversion_task", "admin:registry_modelversion_task_status"):
        assert client.get(reverse(name, args=[row.pk])).status_code == 403
