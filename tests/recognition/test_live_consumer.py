"""WebSocket /ws/live/<language>/ with Channels' communicator: real held-out SILFA landmarks
spelling CUBA are sent as the page sends them; the signs stream back, the result is the
non-streaming recogniser's on the same landmarks, "save" makes a landmarks-only job (run by
Celery eager) that recognises the same, and bad frames get a clear error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from channels.testing import WebsocketCommunicator

from landmarks.sequence import LandmarkSequence
from recognition.live import encode_frames
from recognition.ml.infer import IsolatedPredictor
from recognition.ml.streaming import same_segment
from tests.support.live import held_letters, spelled_clip

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]
FPS = 15.0
CHUNK = 4  # frames per message, as the page sends them (~0.27 s)


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> LandmarkSequence:
    """Held-out SILFA frames spelling CUBA at 15 fps, times in whole milliseconds (as sent)."""
    return spelled_clip(held_letters(shared_data), "CUBA", fps=FPS)[0]


@pytest.fixture
def live_settings(settings, tmp_path: Path) -> Iterator[Any]:  # noqa: ANN001
    from slrweb.celery import app

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = None
    settings.SLRWEB_LIVE_FPS = int(FPS)
    settings.SLRWEB_LIVE_CLOCK_SLACK_SECONDS = None  # replayed faster than it was signed
    before = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True  # a saved job runs inline (no broker, no worker)
    try:
        yield settings
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = before


@pytest.fixture
def letters(live_settings) -> Iterator[Any]:  # noqa: ANN001
    """silfa-letters registered and active for ase."""
    from registry import services
    from registry.runtime import clear_predictor_cache

    bundle = Path(live_settings.BASE_DIR) / "models" / "silfa-letters"
    language = services.ensure_language("ase")
    services.add_glosses(language, (bundle / "vocab.txt").read_text().split())
    version = services.register_bundle(bundle, language)
    services.activate_version(version)
    yield version
    clear_predictor_cache()


def token_header() -> list[tuple[bytes, bytes]]:
    from accounts.services import create_api_token

    return [(b"authorization", f"Token {create_api_token('live').key}".encode())]


async def connected(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    from slrweb.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/live/ase/", headers=headers)
    ok, code = await communicator.connect(timeout=20)
    assert ok, code
    ready = await communicator.receive_json_from(timeout=20)
    assert ready["type"] == "ready" and ready["fps"] == FPS and ready["language"] == "ase"
    loaded = await communicator.receive_json_from(timeout=120)  # the model is in memory
    assert loaded["type"] == "loaded", loaded
    return communicator


async def until(communicator: WebsocketCommunicator, kind: str) -> list[dict[str, Any]]:
    """Messages up to and including the first of type `kind`."""
    got: list[dict[str, Any]] = []
    while not got or got[-1]["type"] != kind:
        got.append(await communicator.receive_json_from(timeout=120))
    return got


async def stream_clip(communicator: WebsocketCommunicator, clip: LandmarkSequence) -> list[dict]:
    """Send the clip in small messages, pausing as a camera would; what came back meanwhile."""
    for first in range(0, len(clip), CHUNK):
        last = min(len(clip), first + CHUNK)
        await communicator.send_to(bytes_data=encode_frames(clip.timestamps[first:last],
                                                            clip.points[first:last]))
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    got = []
    while not await communicator.receive_nothing(timeout=0.5):
        got.append(await communicator.receive_json_from())
    return got


def test_signs_stream_and_the_saved_job_recognises_the_same(letters, clip) -> None:  # noqa: ANN001
    from jobs import files
    from jobs.models import Job

    headers = token_header()

    async def session() -> tuple[list[dict], list[dict], list[dict]]:
        communicator = await connected(headers)
        streamed = await stream_clip(communicator, clip)
        await communicator.send_json_to({"type": "stop"})
        ended = await until(communicator, "result")
        await communicator.send_json_to({"type": "save"})
        saved = await until(communicator, "saved")
        await communicator.send_json_to({"type": "save"})  # once: the same job again
        saved += await until(communicator, "saved")
        await communicator.disconnect()
        return streamed, ended, saved

    streamed, ended, saved = asyncio.run(session())
    result = ended[-1]["recognition"]
    predictor = IsolatedPredictor.from_bundle(letters.bundle_dir)
    expected = predictor.recognize(clip, top_k=5)
    assert result == {**expected, "model": letters.label}  # the non-streaming one, as jobs label it
    assert len(expected["segments"]) >= 3
    assert streamed and all(m["type"] == "segment" for m in streamed), streamed  # while signing
    published = streamed + ended[:-1]
    tolerance = predictor.config.spotting.window / FPS
    for segment in expected["segments"]:  # none lost, none doubled
        assert sum(same_segment(segment, p, tolerance) for p in published) == 1, (segment, published)
    assert all(any(same_segment(p, s, tolerance) for s in expected["segments"]) for p in published)

    assert saved[0] == saved[1] and saved[0]["url"] == f"/jobs/{saved[0]['job_id']}/"
    job = Job.objects.get(pk=saved[0]["job_id"])
    assert job.video is None and job.language == "ase" and job.owner.username == "live"
    assert job.status == Job.Status.SUCCEEDED, job.error
    stored = files.read_landmarks(job.landmarks_file)
    np.testing.assert_array_equal(stored.points, clip.points)
    np.testing.assert_array_equal(stored.timestamps, clip.timestamps)
    assert job.result["recognition"]["segments"] == expected["segments"]


def test_bad_frames_get_a_clear_error_and_the_session_goes_on(letters, clip) -> None:  # noqa: ANN001
    headers = token_header()

    async def session() -> list[dict]:
        communicator = await connected(headers)
        good = encode_frames(clip.timestamps[:2], clip.points[:2])
        wrong_size = good[:-4]
        infinite = np.frombuffer(good, "<f4").copy()
        infinite[5] = np.inf
        replies = []
        for message in (wrong_size, infinite.tobytes()):
            await communicator.send_to(bytes_data=message)
            replies.append(await communicator.receive_json_from(timeout=20))
        for text in ('{"type": "frames"}', "not json"):
            await communicator.send_to(text_data=text)
            replies.append(await communicator.receive_json_from(timeout=20))
        await communicator.send_to(bytes_data=good)  # accepted: nothing comes back
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.send_json_to({"type": "stop"})
        replies += await until(communicator, "result")
        await communicator.disconnect()
        return replies

    replies = asyncio.run(session())
    assert [r.get("code") for r in replies[:4]] == ["bad-shape", "not-finite", "bad-message",
                                                    "bad-message"]
    assert "6524 bytes" in replies[0]["message"] and "13044" in replies[0]["message"]
    assert "NaN" in replies[1]["message"]
    assert replies[-1]["type"] == "result"
    assert replies[-1]["recognition"]["segments"] == []  # two frames: nothing to read


def test_a_language_without_a_sign_model_is_refused(live_settings) -> None:  # noqa: ANN001
    from slrweb.asgi import application

    headers = token_header()

    async def attempt() -> tuple[bool, int | None]:
        communicator = WebsocketCommunicator(application, "/ws/live/ase/", headers=headers)
        ok, code = await communicator.connect(timeout=20)
        return ok, code

    assert asyncio.run(attempt()) == (False, 4404)


def test_an_anonymous_session_is_refused_where_the_site_does_not_allow_it(live_settings) -> None:  # noqa: ANN001
    from jobs.consumers import CLOSE_FORBIDDEN
    from slrweb.asgi import application

    live_settings.SLRWEB_ALLOW_ANONYMOUS = False
    _, headers = anonymous_session()

    async def attempt() -> tuple[bool, int | None]:
        communicator = WebsocketCommunicator(application, "/ws/live/ase/", headers=headers)
        return await communicator.connect(timeout=20)

    assert asyncio.run(attempt()) == (False, CLOSE_FORBIDDEN)


def anonymous_session() -> tuple[str, list[tuple[bytes, bytes]]]:
    """A saved anonymous browser session, and the headers a page of the site would send."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()
    return store.session_key or "", [(b"origin", b"http://localhost"), (b"cookie", cookie)]


def save_reply(headers: list[tuple[bytes, bytes]], clip: LandmarkSequence) -> dict[str, Any]:
    async def session() -> dict[str, Any]:
        communicator = await connected(headers)
        await communicator.send_to(bytes_data=encode_frames(clip.timestamps[:30],
                                                            clip.points[:30]))
        await communicator.send_json_to({"type": "save"})
        replies = await until_either(communicator, ("saved", "error"))
        await communicator.disconnect()
        return replies[-1]

    return asyncio.run(session())


async def until_either(communicator: WebsocketCommunicator, kinds: tuple[str, ...]) -> list[dict]:
    got: list[dict[str, Any]] = []
    while not got or got[-1]["type"] not in kinds:
        got.append(await communicator.receive_json_from(timeout=120))
    return got


def test_an_anonymous_session_saves_where_the_site_allows_it(letters, clip, settings) -> None:  # noqa: ANN001
    from jobs.models import Job

    settings.SLRWEB_ALLOW_ANONYMOUS = True
    session_key, headers = anonymous_session()
    reply = save_reply(headers, clip)
    assert reply["type"] == "saved", reply
    job = Job.objects.get(pk=reply["job_id"])
    assert job.owner is None and job.session_key == session_key and job.video is None


def test_saving_counts_against_the_upload_rate(letters, clip, settings) -> None:  # noqa: ANN001
    from django.core.cache import cache

    from jobs.models import Job

    cache.clear()
    settings.SLRWEB_UPLOAD_RATE = "1/h"
    headers = token_header()
    assert save_reply(headers, clip)["type"] == "saved"
    refused = save_reply(headers, clip)  # a second session of the same user, within the hour
    assert refused["code"] == "throttled" and Job.objects.count() == 1
    cache.clear()
