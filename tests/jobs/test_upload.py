"""Bad uploads get a clear 4xx and leave nothing behind (issue 3, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import create_api_token
from jobs.models import Job, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    return settings.MEDIA_ROOT


@pytest.fixture
def client_with_token() -> Client:
    token = create_api_token("uploader")
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def post_video(client: Client, name: str, data: bytes) -> tuple[int, dict]:
    response = client.post("/api/v1/jobs/", {"video": SimpleUploadedFile(name, data)})
    return response.status_code, response.json()


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def assert_nothing_left(media: Path) -> None:
    assert stored_files(media) == []
    assert Job.objects.count() == 0 and Video.objects.count() == 0


def test_empty_file_is_refused(media, client_with_token):
    status, body = post_video(client_with_token, "empty.mp4", b"")
    assert status == 400
    assert "empty" in body["detail"].lower()
    assert_nothing_left(media)


def test_text_renamed_mp4_is_refused(media, client_with_token):
    status, body = post_video(client_with_token, "notes.mp4", b"just some text\n" * 200)
    assert status == 400
    assert "video" in body["detail"].lower()
    assert_nothing_left(media)


def test_truncated_mp4_is_refused(media, client_with_token, pose_test_video):
    data = pose_test_video.read_bytes()
    status, body = post_video(client_with_token, "cut.mp4", data[: len(data) // 2])
    assert status == 400, body
    assert body["detail"]
    assert_nothing_left(media)


def test_file_above_size_limit_is_refused(media, settings, client_with_token, pose_test_video):
    settings.SLRWEB_MAX_UPLOAD_BYTES = 10_000
    status, body = post_video(client_with_token, "big.mp4", pose_test_video.read_bytes())
    assert status == 413
    assert "limit" in body["detail"]
    assert_nothing_left(media)


def test_clip_above_duration_limit_is_refused(media, settings, client_with_token,
                                              pose_test_video):
    settings.SLRWEB_MAX_DURATION_SECONDS = 1.0  # the real clip lasts about 1.9 s
    status, body = post_video(client_with_token, "long.mp4", pose_test_video.read_bytes())
    assert status == 400
    assert "limit" in body["detail"] and "minutes" in body["detail"]
    assert_nothing_left(media)


def test_missing_credentials_are_refused(media, pose_test_video):
    status, _ = post_video(Client(), "clip.mp4", pose_test_video.read_bytes())
    assert status == 401
    assert_nothing_left(media)


def test_valid_upload_creates_a_queued_job(media, client_with_token, pose_test_video,
                                           django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("jobs.services.enqueue", lambda job, from_stage=None: queued.append(job))
    with django_capture_on_commit_callbacks(execute=True):
        status, body = post_video(client_with_token, "clip.mp4", pose_test_video.read_bytes())
    assert status == 201, body
    assert body["status"] == "queued" and body["progress"] == 0
    assert [s["name"] for s in body["stages"]][:2] == ["probe", "landmarks"]
    assert len(queued) == 1 and str(queued[0].id) == body["id"]
    assert len(stored_files(media)) == 1
