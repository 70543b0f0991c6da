"""The annotation admin: lists with filters and search; the correction record is read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from annotation import services
from annotation.models import Correction

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrected(shared_job, annotator):  # noqa: ANN001
    annotation = services.open_annotation(shared_job, annotator)
    return services.save_draft(annotation, annotator, segments=annotation.segments,
                               translation="cab", flags=[], revision=0)


def admin_client(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def test_lists_filter_and_search(admin_user, corrected):
    client = admin_client(admin_user)
    page = client.get("/admin/annotation/annotation/?status__exact=draft&q=anna")
    assert page.status_code == 200 and str(corrected.job_id) in page.content.decode()
    assert str(corrected.job_id) not in client.get(
        "/admin/annotation/annotation/?status__exact=accepted").content.decode()
    corrections = client.get("/admin/annotation/correction/?q=translation").content.decode()
    assert "asl-fs-translator@1" in corrections
    assert client.get("/admin/annotation/reviewrequest/").status_code == 200
    assert client.get("/admin/annotation/review/").status_code == 200


def test_corrections_cannot_be_added_changed_or_deleted(admin_user, corrected):
    client = admin_client(admin_user)
    correction = Correction.objects.get(annotation=corrected)
    assert client.get("/admin/annotation/correction/add/").status_code == 403
    assert client.post(f"/admin/annotation/correction/{correction.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/annotation/correction/{correction.pk}/change/",
                       {"field": "x"}).status_code == 403
    assert Correction.objects.get(pk=correction.pk).field == "translation"
    assert client.get("/admin/annotation/annotation/add/").status_code == 403


def test_annotators_cannot_reach_the_admin(annotator):
    assert admin_client(annotator).get("/admin/annotation/annotation/").status_code == 302
