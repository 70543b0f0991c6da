"""The gloss admin page enrols a sign: several clips in one upload field, each checked like a
job upload (a refused one is named in a message, the others are kept), the worker task queued
and linked; the clips inline shows each clip's status and embedding version; deleting a clip
there deletes its stored files. load_default_models registers the embedding bundle under its
own task and activates it. (The worker task runs eagerly; tests/integration/test_enrollment.py
does the same through the live stack's Celery worker and Chromium.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from jobs import files
from registry import selectors
from registry.models import Gloss, ReferenceClip, RegistryTask
from tests.registry.test_enrollment import REFERENCE_PEOPLE, as_npz, clips_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def admin_client(db) -> Client:  # noqa: ANN001
    from accounts.roles import assign_role

    user = get_user_model().objects.create_user("enroller", password="x")
    assign_role(user, "admin")
    client = Client()
    client.force_login(user)
    return client


def change_form(gloss: Gloss, uploads: list[SimpleUploadedFile], **extra: object) -> dict:
    return {"language": gloss.language_id, "gloss": gloss.gloss, "description": "",
            "add_references": uploads, "signer": "two people",
            "references-TOTAL_FORMS": "0", "references-INITIAL_FORMS": "0",
            "references-MIN_NUM_FORMS": "0", "references-MAX_NUM_FORMS": "1000",
            "_continue": "1", **extra}


def test_load_default_models_activates_the_embedding(db, tmp_path, capsys):
    models = tmp_path / "models"
    models.mkdir()
    (models / "asl-signs-embedding").symlink_to(REPO / "models" / "asl-signs-embedding")
    call_command("load_default_models", models_dir=models)
    out = capsys.readouterr()
    assert "skipped" not in out.err
    assert "activated asl-signs-embedding@1 for ase/embedding" in out.out
    assert selectors.vocabulary(selectors.active_model("ase", "embedding").language) == []


def test_the_gloss_page_enrols_clips_and_reports_refusals(admin_client, ase, shared_data):
    call_command("load_default_models", models_dir=REPO / "models", prefer=["silfa-letters"])
    gloss = Gloss.objects.get(language=ase, gloss="hello")
    paths = [p for who in REFERENCE_PEOPLE for p in clips_of(shared_data, who, "hello")[:2]]
    uploads = [SimpleUploadedFile(f"hello-{k}.npz", as_npz(p)) for k, p in enumerate(paths)]
    uploads.append(SimpleUploadedFile("broken.mp4", b"this is not a video" * 50))
    url = f"/admin/registry/gloss/{gloss.pk}/change/"
    response = admin_client.post(url, change_form(gloss, uploads), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "The file broken.mp4 was not added: The file is not a video" in text
    assert "embedding the reference clips" in text and "Follow its progress" in text
    task = RegistryTask.objects.get(kind="enroll")
    assert task.status == "succeeded" and task.result["embedded"] == 4, task.error
    assert task.result["signs"] == ["hello"]
    assert set(ReferenceClip.objects.values_list("status", flat=True)) == {"ready"}
    assert 'id="references-group"' in text and "asl-signs-embedding@" in text

    status = admin_client.get(f"/admin/registry/modelversion/tasks/{task.pk}/").content.decode()
    assert "4 clip(s) embedded, 0 failed; enrolled signs: hello" in status

    clip = ReferenceClip.objects.first()
    assert clip is not None and files.landmark_storage().exists(clip.landmarks_file)
    inline = {"references-TOTAL_FORMS": "4", "references-INITIAL_FORMS": "4"}
    for k, row in enumerate(ReferenceClip.objects.order_by("created", "pk")):
        inline[f"references-{k}-id"] = str(row.pk)
        inline[f"references-{k}-gloss"] = str(gloss.pk)
    inline["references-0-DELETE"] = "on"
    response = admin_client.post(url, change_form(gloss, [], **inline), follow=True)
    assert response.status_code == 200
    assert ReferenceClip.objects.count() == 3
    assert not ReferenceClip.objects.filter(pk=clip.pk).exists()
    assert not files.landmark_storage().exists(clip.landmarks_file)
