"""Privacy between users (issue 11, item 3): de-duplication stays internal, staff status alone
opens nobody's jobs, and a WebSocket closes when its viewer loses access."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.roles import ADMIN, ANNOTATOR, assign_role, revoke_role
from accounts.services import create_api_token, revoke_token
from jobs.events import publish
from jobs.models import Job, Video
from tests.support.jobs import make_finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    return settings.MEDIA_ROOT


def user(name: str, **extra):  # noqa: ANN003, ANN201
    return get_user_model().objects.create_user(name, password="pw", **extra)


def token_client(who) -> Client:  # noqa: ANN001
    return Client(HTTP_AUTHORIZATION=f"Token {create_api_token(who.username).key}")


def test_same_bytes_from_two_users_show_each_their_own_name_and_nothing_of_the_other(
        monkeypatch, pose_test_video):
    monkeypatch.setattr("jobs.services.enqueue", lambda job, from_stage=None: None)
    data = pose_test_video.read_bytes()
    alice, bob = token_client(user("alice")), token_client(user("bob"))
    first = alice.post("/api/v1/jobs/", {"video": SimpleUploadedFile("alice-private.mp4", data)})
    second = bob.post("/api/v1/jobs/", {"video": SimpleUploadedFile("from-bob.mp4", data)})
    assert first.status_code == second.status_code == 201
    assert Video.objects.count() == 1 and Job.objects.count() == 2  # stored once, internally
    video = Video.objects.get()
    # The landmark stage found the first job's cache entry: what older code told the second user.
    Job.objects.update(result={"landmarks": {"frames": 58, "cached": True}})
    bob_job = second.json()["id"]
    for body in (second.json(), bob.get(f"/api/v1/jobs/{bob_job}/").json(),
                 bob.get("/api/v1/jobs/").json()[0],
                 json.loads(bob.get(f"/api/v1/jobs/{bob_job}/result.json").content)):
        text = json.dumps(body)
        assert body["video"]["name"] == "from-bob.mp4"
        assert "alice" not in text and video.sha256 not in text and "sha256" not in text
        assert "cached" not in text
    assert alice.get(f"/api/v1/jobs/{first.json()['id']}/").json()["video"]["name"] == (
        "alice-private.mp4")
    page = Client()
    page.force_login(get_user_model().objects.get(username="bob"))
    html = page.get(f"/jobs/{bob_job}/").content.decode()
    assert "from-bob" in html and "alice-private" not in html


@pytest.fixture
def owner():  # noqa: ANN201
    return user("owner")


@pytest.fixture
def job(owner, pose_test_video):  # noqa: ANN001, ANN201
    return make_finished_job(pose_test_video, owner=owner, name="owner-clip.mp4")


def test_staff_status_alone_opens_no_other_users_job(owner, job):
    staff = user("staff", is_staff=True)
    client = token_client(staff)
    for url in (f"/api/v1/jobs/{job.id}/", f"/api/v1/jobs/{job.id}/video",
                f"/api/v1/jobs/{job.id}/result.json", f"/api/v1/jobs/{job.id}/thumbnail.jpg"):
        assert client.get(url).status_code == 404, url
    assert client.delete(f"/api/v1/jobs/{job.id}/").status_code == 404
    assert client.get("/api/v1/jobs/").json() == []
    page = Client()
    page.force_login(staff)
    assert page.get(f"/jobs/{job.id}/").status_code == 404
    assert Job.objects.filter(pk=job.pk).exists()
    assign_role(staff, ADMIN)  # the explicit role is what opens every job
    assert client.get(f"/api/v1/jobs/{job.id}/").status_code == 200


def test_hand_granted_view_permission_opens_nothing_either(owner, job):
    from django.contrib.auth.models import Permission

    viewer = user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_job"))
    assert token_client(viewer).get(f"/api/v1/jobs/{job.id}/").status_code == 404


# WebSocket: access is checked again while the socket is open.

async def _connect(job_id: str, key: str) -> WebsocketCommunicator:
    from slrweb.asgi import application

    communicator = WebsocketCommunicator(
        application, f"/ws/jobs/{job_id}/", headers=[(b"authorization", f"Token {key}".encode())])
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["type"] == "state"
    return communicator


async def _closed_with(communicator: WebsocketCommunicator) -> int:
    message = await communicator.receive_output(timeout=10)
    assert message["type"] == "websocket.close", message  # no event got through first
    return int(message["code"])


@pytest.fixture
def memory_layer(settings):  # noqa: ANN001
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.django_db(transaction=True)
def test_socket_closes_on_the_next_event_after_the_role_is_revoked(memory_layer, owner, job):
    annotator = user("annotator")
    assign_role(annotator, ADMIN)
    key = create_api_token("annotator").key

    async def scenario() -> int:
        communicator = await _connect(str(job.id), key)
        await sync_to_async(publish)(job.id, {"type": "progress", "percent": 1})
        assert (await communicator.receive_json_from(timeout=10))["percent"] == 1
        await sync_to_async(revoke_role)(annotator, ADMIN)
        await sync_to_async(publish)(job.id, {"type": "progress", "percent": 2})
        return await _closed_with(communicator)

    assert asyncio.run(scenario()) == 4403


@pytest.mark.django_db(transaction=True)
def test_quiet_socket_closes_when_the_share_is_withdrawn(memory_layer, settings, owner, job):
    from annotation.models import ReviewRequest

    settings.SLRWEB_WS_ACCESS_RECHECK_SECONDS = 0.2
    annotator = user("annotator")
    assign_role(annotator, ANNOTATOR)
    ReviewRequest.objects.create(job=job, shared_by=owner)
    key = create_api_token("annotator").key

    async def scenario() -> int:
        communicator = await _connect(str(job.id), key)
        assert await communicator.receive_nothing(timeout=0.5)  # still allowed: stays open
        await sync_to_async(ReviewRequest.objects.filter(job=job).delete)()
        return await _closed_with(communicator)

    assert asyncio.run(scenario()) == 4403


@pytest.mark.django_db(transaction=True)
def test_socket_closes_when_its_token_is_revoked(memory_layer, settings, owner, job):
    settings.SLRWEB_WS_ACCESS_RECHECK_SECONDS = 0.2
    token = create_api_token("owner")

    async def scenario() -> int:
        communicator = await _connect(str(job.id), token.key)
        await sync_to_async(revoke_token)(owner, token.pk)
        return await _closed_with(communicator)

    assert asyncio.run(scenario()) == 4403


@pytest.mark.django_db(transaction=True)
def test_browser_socket_closes_after_logout(memory_layer, settings, owner, job):
    settings.SLRWEB_WS_ACCESS_RECHECK_SECONDS = 0.2
    browser = Client()
    browser.force_login(owner)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario() -> int:
        from slrweb.asgi import application

        headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"),
                   (b"cookie", cookie.encode())]
        communicator = WebsocketCommunicator(application, f"/ws/jobs/{job.id}/", headers=headers)
        connected, _ = await communicator.connect(timeout=10)
        assert connected
        assert (await communicator.receive_json_from(timeout=10))["type"] == "state"
        assert await communicator.receive_nothing(timeout=0.5)
        await sync_to_async(browser.logout)()  # the session is deleted server-side
        return await _closed_with(communicator)

    assert asyncio.run(scenario()) == 4403


@pytest.mark.django_db(transaction=True)
def test_socket_sends_nothing_when_access_cannot_be_checked(memory_layer, monkeypatch, owner,
                                                           job):
    from django.db import OperationalError

    key = create_api_token("owner").key

    def database_down(*args):  # noqa: ANN002, ANN202
        raise OperationalError("connection refused")

    async def scenario() -> int:
        communicator = await _connect(str(job.id), key)
        monkeypatch.setattr("jobs.consumers.still_visible", sync_to_async(database_down))
        await sync_to_async(publish)(job.id, {"type": "progress", "percent": 3})
        return await _closed_with(communicator)

    assert asyncio.run(scenario()) == 1011  # a server error: the page reconnects later
