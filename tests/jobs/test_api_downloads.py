"""Download endpoints of the job API: landmarks (.pose, .npz), overlay, result, WebVTT, thumbnail."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.services import create_api_token
from landmarks.formats import read_landmarks
from tests.support.jobs import make_finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def real_landmarks(shared_data: Path):
    return read_landmarks(shared_data / "poses" / "pose_repo" / "mediapipe.pose")


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("owner")


def token_client(user) -> Client:  # noqa: ANN001
    return Client(HTTP_AUTHORIZATION=f"Token {create_api_token(user.username).key}")


@pytest.fixture
def job(owner, pose_test_video, real_landmarks):  # noqa: ANN001
    result = {"recognition": {"model": "m@1", "segments": [
        {"start": 0.2, "end": 0.9, "topk": [{"gloss": "HELLO", "prob": 0.8}]}]}}
    return make_finished_job(
        pose_test_video, owner=owner, landmarks=real_landmarks, result=result, name="My clip.mp4"
    )


def test_landmarks_npz_and_pose_downloads(owner, job, tmp_path, real_landmarks):
    client = token_client(owner)
    for fmt in ("npz", "pose"):
        response = client.get(f"/api/v1/jobs/{job.id}/landmarks.{fmt}")
        assert response.status_code == 200, response.content
        assert response["Content-Disposition"] == f'attachment; filename="My-clip-landmarks.{fmt}"'
        path = tmp_path / f"down.{fmt}"
        path.write_bytes(response.content)
        back = read_landmarks(path)
        np.testing.assert_allclose(back.points[..., :2], real_landmarks.points[..., :2], atol=1e-3)
    assert client.get(f"/api/v1/jobs/{job.id}/landmarks.csv").status_code == 404


def test_overlay_json_plain_and_gzip(owner, job, real_landmarks):
    client = token_client(owner)
    plain = client.get(f"/api/v1/jobs/{job.id}/overlay.json")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    data = json.loads(plain.content)
    assert data["frames"] == len(real_landmarks)
    packed = client.get(f"/api/v1/jobs/{job.id}/overlay.json", HTTP_ACCEPT_ENCODING="gzip, br")
    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == data
    assert len(packed.content) < len(plain.content) / 3


def test_result_json_and_subtitles(owner, job):
    import webvtt

    client = token_client(owner)
    result = client.get(f"/api/v1/jobs/{job.id}/result.json")
    assert result["Content-Disposition"] == 'attachment; filename="My-clip-result.json"'
    assert json.loads(result.content)["result"]["recognition"]["segments"][0]["topk"][0]["gloss"] == "HELLO"
    inline = client.get(f"/api/v1/jobs/{job.id}/subtitles.vtt")
    assert inline["Content-Type"].startswith("text/vtt")
    assert inline["Content-Disposition"] == 'inline; filename="My-clip.vtt"'  # <track> loads it
    assert inline["Content-Security-Policy"].startswith("sandbox")
    captions = webvtt.from_buffer(io.StringIO(inline.content.decode())).captions
    assert [(c.start, c.end, c.text) for c in captions] == [("00:00:00.200", "00:00:00.900", "HELLO")]
    download = client.get(f"/api/v1/jobs/{job.id}/subtitles.vtt?download=1")
    assert download["Content-Disposition"] == 'attachment; filename="My-clip.vtt"'


def test_thumbnail_is_a_jpeg(owner, job):
    response = token_client(owner).get(f"/api/v1/jobs/{job.id}/thumbnail.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response.content[:2] == b"\xff\xd8"


def test_downloads_are_refused_to_others(job):
    stranger = get_user_model().objects.create_user("stranger")
    client = token_client(stranger)
    for suffix in ("landmarks.npz", "landmarks.pose", "overlay.json", "result.json",
                   "subtitles.vtt", "thumbnail.jpg"):
        assert client.get(f"/api/v1/jobs/{job.id}/{suffix}").status_code == 404, suffix
        assert Client().get(f"/api/v1/jobs/{job.id}/{suffix}").status_code == 401, suffix


def test_a_job_without_landmarks_has_no_landmark_files(owner, pose_test_video):
    job = make_finished_job(pose_test_video, owner=owner)
    client = token_client(owner)
    assert client.get(f"/api/v1/jobs/{job.id}/landmarks.npz").status_code == 404
    assert client.get(f"/api/v1/jobs/{job.id}/overlay.json").status_code == 404
    assert client.get(f"/api/v1/jobs/{job.id}/subtitles.vtt").status_code == 200


def test_video_honours_byte_ranges(owner, job, pose_test_video):
    client = token_client(owner)
    url = f"/api/v1/jobs/{job.id}/video"
    data = pose_test_video.read_bytes()
    size = len(data)
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == data
    for header, start, end in [("bytes=0-99", 0, 99), ("bytes=100-", 100, size - 1),
                               ("bytes=-50", size - 50, size - 1),
                               (f"bytes=10-{size + 500}", 10, size - 1)]:
        part = client.get(url, HTTP_RANGE=header)
        assert part.status_code == 206, header
        assert part["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert int(part["Content-Length"]) == end - start + 1
        assert b"".join(part.streaming_content) == data[start:end + 1]
    for header in (f"bytes={size}-", "bytes=9-3"):
        refused = client.get(url, HTTP_RANGE=header)
        assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{size}"
    assert client.get(url, HTTP_RANGE="bytes=0-1,5-9").status_code == 200  # multi-range: whole
