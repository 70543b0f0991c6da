"""Who sees which job, over HTTP pages, the JSON API and the WebSocket (issue 8, item 1).

Plain users see their own jobs only; annotators also the jobs shared for review (owner's consent
or SLRWEB_SHARE_JOBS_FOR_REVIEW); admins every job.
"""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client

from accounts.services import create_api_token
from annotation.services import withdraw_review_request

pytestmark = pytest.mark.django_db


def api(user) -> Client:  # noqa: ANN001
    token = create_api_token(user.username)
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def browser(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


WHO_SEES = [  # (user fixture, sees the shared job, sees the private job)
    ("annotator", True, False),
    ("stranger", False, False),
    ("admin_user", True, True),
]


@pytest.mark.parametrize("who, shared_visible, private_visible", WHO_SEES)
def test_http_pages(request, who, shared_visible, private_visible, job, shared_job):
    client = browser(request.getfixturevalue(who))
    for target, visible in ((shared_job, shared_visible), (job, private_visible)):
        expected = 200 if visible else 404
        assert client.get(f"/annotate/jobs/{target.id}/").status_code == expected
        assert client.get(f"/jobs/{target.id}/").status_code == expected


@pytest.mark.parametrize("who, shared_visible, private_visible", WHO_SEES)
def test_json_api(request, who, shared_visible, private_visible, job, shared_job):
    client = api(request.getfixturevalue(who))
    for target, visible in ((shared_job, shared_visible), (job, private_visible)):
        expected = 200 if visible else 404
        assert client.get(f"/api/v1/jobs/{target.id}/").status_code == expected
        assert client.get(f"/api/v1/annotation/jobs/{target.id}/").status_code == expected
        assert client.get(f"/api/v1/jobs/{target.id}/video").status_code == expected


def test_owner_sees_own_job_but_not_the_annotation_workspace(owner, job):
    client = api(owner)
    assert client.get(f"/api/v1/jobs/{job.id}/").status_code == 200
    assert client.get(f"/api/v1/annotation/jobs/{job.id}/").status_code == 404
    assert browser(owner).get("/annotate/").status_code == 403


def test_queue_lists_shared_jobs_for_annotators_and_all_for_admins(
        annotator, admin_user, job, shared_job):
    ids = {r["id"] for r in api(annotator).get("/api/v1/annotation/queue/").json()}
    assert ids == {str(shared_job.id)}
    rows = api(admin_user).get("/api/v1/annotation/queue/").json()
    assert [r["id"] for r in rows] == [str(shared_job.id), str(job.id)]  # shared first
    assert [r["shared"] for r in rows] == [True, False]
    page = browser(annotator).get("/annotate/").content.decode()
    assert str(shared_job.id) in page and str(job.id) not in page
    assert Client().get("/annotate/").status_code == 302  # to the login page


def test_annotators_history_does_not_include_shared_jobs(annotator, shared_job):
    assert api(annotator).get("/api/v1/jobs/").json() == []


def test_annotator_cannot_delete_a_shared_job(annotator, owner, shared_job):
    assert api(annotator).delete(f"/api/v1/jobs/{shared_job.id}/").status_code == 403
    assert api(owner).get(f"/api/v1/jobs/{shared_job.id}/").status_code == 200


def test_withdrawn_consent_hides_the_job_again(annotator, owner, shared_job):
    client = api(annotator)
    assert client.get(f"/api/v1/jobs/{shared_job.id}/").status_code == 200
    withdraw_review_request(shared_job, owner)
    assert client.get(f"/api/v1/jobs/{shared_job.id}/").status_code == 404


def test_site_setting_shares_every_job(settings, annotator, stranger, job):
    settings.SLRWEB_SHARE_JOBS_FOR_REVIEW = True
    assert api(annotator).get(f"/api/v1/annotation/jobs/{job.id}/").status_code == 200
    assert {r["id"] for r in api(annotator).get("/api/v1/annotation/queue/").json()} \
        == {str(job.id)}
    assert api(stranger).get(f"/api/v1/jobs/{job.id}/").status_code == 404


def test_only_the_owner_shares_through_the_api(owner, stranger, admin_user, job):
    body = {"job": str(job.id), "note": "please"}
    assert api(stranger).post("/api/v1/annotation/shares/", body,
                              content_type="application/json").status_code == 404
    assert api(admin_user).post("/api/v1/annotation/shares/", body,
                                content_type="application/json").status_code == 403
    response = api(owner).post("/api/v1/annotation/shares/", body,
                               content_type="application/json")
    assert response.status_code == 201 and response.json()["note"] == "please"
    assert api(owner).delete(f"/api/v1/annotation/shares/{job.id}/").status_code == 204


def test_share_page_records_consent(owner, stranger, annotator, job):
    assert browser(stranger).get(f"/annotate/jobs/{job.id}/share/").status_code == 404
    client = browser(owner)
    assert client.post(f"/annotate/jobs/{job.id}/share/", {"note": "hi"}).status_code == 302
    assert api(annotator).get(f"/api/v1/jobs/{job.id}/").status_code == 200
    assert "Withdraw" in client.get(f"/annotate/jobs/{job.id}/share/").content.decode()


async def _ws_outcome(job_id: str, key: str) -> str | int:
    from channels.testing import WebsocketCommunicator

    from slrweb.asgi import application

    communicator = WebsocketCommunicator(
        application, f"/ws/jobs/{job_id}/", headers=[(b"authorization", f"Token {key}".encode())]
    )
    connected, code = await communicator.connect(timeout=10)
    if not connected:
        return int(code)
    first = await communicator.receive_json_from(timeout=10)
    await communicator.disconnect()
    return first["type"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who, shared_visible, private_visible", WHO_SEES)
def test_websocket(settings, request, who, shared_visible, private_visible, job, shared_job):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    key = create_api_token(request.getfixturevalue(who).username).key
    for target, visible in ((shared_job, shared_visible), (job, private_visible)):
        outcome = asyncio.run(_ws_outcome(str(target.id), key))
        assert outcome == ("state" if visible else 4403)


def test_reviewers_are_admins_or_other_annotators(
        annotator, second_annotator, admin_user, shared_job):
    from annotation.services import open_annotation, submit_annotation

    submit_annotation(open_annotation(shared_job, annotator), annotator, 0)
    url = f"/api/v1/annotation/jobs/{shared_job.id}/review"
    body = {"decision": "accept", "comment": "", "revision": 0}
    assert api(annotator).post(url, body, content_type="application/json").status_code == 403
    assert api(annotator).get(f"/api/v1/annotation/jobs/{shared_job.id}/").json()[
        "can_review"] is False
    response = api(second_annotator).post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
