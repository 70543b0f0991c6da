"""Uploads from the internet (issue 11, item 2): what a file is comes from the probe, never the
client; anything that is not a real video is refused with a clear 400; the served clip is inert."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import create_api_token
from jobs.models import Job, Video
from tests.support.videos import read_rgb, silfa_frame_paths, write_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    monkeypatch.setattr("jobs.services.enqueue", lambda job, from_stage=None: None)


def token_client(username: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {create_api_token(username).key}")


def upload(client: Client, name: str, data: bytes, content_type: str = "video/mp4"):
    return client.post("/api/v1/jobs/", {"video": SimpleUploadedFile(name, data, content_type)})


def assert_refused(response, *words: str) -> None:
    assert response.status_code == 400, response.content
    detail = response.json()["detail"].lower()
    assert all(word in detail for word in words), detail
    assert Job.objects.count() == 0 and Video.objects.count() == 0


def jpeg_bytes(shared_data: Path) -> bytes:
    return silfa_frame_paths(shared_data, "A", 1)[0].read_bytes()  # a real photo of a signer


def test_html_content_type_is_ignored_and_the_clip_served_inert(media, pose_test_video):
    client = token_client("mallory")
    response = upload(client, "page.html", pose_test_video.read_bytes(), "text/html")
    assert response.status_code == 201, response.content
    assert Video.objects.get().content_type == "video/mp4"  # from the probe, not the client
    served = client.get(f"/api/v1/jobs/{response.json()['id']}/video")
    assert served.status_code == 200
    assert served["Content-Type"] == "video/mp4"
    assert served["Content-Disposition"] == 'inline; filename="page.mp4"'
    assert served["Content-Security-Policy"].startswith("sandbox")
    assert served["X-Content-Type-Options"] == "nosniff"
    ranged = client.get(f"/api/v1/jobs/{response.json()['id']}/video", HTTP_RANGE="bytes=0-99")
    assert ranged.status_code == 206 and ranged["Content-Type"] == "video/mp4"
    assert ranged["Content-Security-Policy"].startswith("sandbox")
    thumbnail = client.get(f"/api/v1/jobs/{response.json()['id']}/thumbnail.jpg")
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert thumbnail["Content-Security-Policy"].startswith("sandbox")


def test_a_stored_client_type_is_never_served(media, pose_test_video):
    # A row from before the probe set the type still holds what the client sent.
    client = token_client("mallory")
    job_id = upload(client, "clip.mp4", pose_test_video.read_bytes()).json()["id"]
    Video.objects.update(content_type="text/html")
    served = client.get(f"/api/v1/jobs/{job_id}/video")
    assert served["Content-Type"] == "video/mp4"
    assert Video.objects.get().content_type == "video/mp4"


def test_jpeg_with_zip_appended_named_mp4_is_refused(media, shared_data):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.html", "<script>alert(1)</script>")
    polyglot = jpeg_bytes(shared_data) + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))  # really both a JPEG and a ZIP
    assert_refused(upload(token_client("u"), "holiday.mp4", polyglot), "still image")
    assert list(media.rglob("*.mp4")) == []


def test_still_image_is_refused(media, shared_data, tmp_path):
    png = cv2.imencode(".png", cv2.imread(str(silfa_frame_paths(shared_data, "B", 1)[0])))[1]
    assert_refused(upload(token_client("u"), "photo.mp4", png.tobytes()), "still image")


def test_audio_only_file_is_refused(media, tmp_path):
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        tone = np.sin(np.linspace(0, 440 * 2 * np.pi, 16000)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate = 16000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    assert_refused(upload(token_client("u"), "sound.mp4", path.read_bytes()), "no video stream")


def test_single_frame_video_is_refused(media, shared_data, tmp_path):
    frames = [read_rgb(p, (320, 180)) for p in silfa_frame_paths(shared_data, "C", 1)]
    path = write_video(frames, tmp_path / "one.mp4")
    assert_refused(upload(token_client("u"), "one.mp4", path.read_bytes()), "fewer than 2 frames")


def test_two_frame_webm_is_accepted_and_served_as_webm(media, shared_data, tmp_path):
    frames = [read_rgb(p, (320, 180)) for p in silfa_frame_paths(shared_data, "D", 2)]
    path = write_video(frames, tmp_path / "two.webm", codec="libvpx")
    client = token_client("u")
    response = upload(client, "two.mp4", path.read_bytes(), "application/x-msdownload")
    assert response.status_code == 201, response.content
    served = client.get(f"/api/v1/jobs/{response.json()['id']}/video")
    assert served["Content-Type"] == "video/webm"
    assert served["Content-Disposition"] == 'inline; filename="two.webm"'
