"""Landmarks-only jobs (issue 14, item 4): a .pose/.npz upload instead of a video.

The real .pose is what `slrweb extract` writes for the shared test clip; the job runs with
Celery eager and its recognition is compared with the predictor run on the same landmarks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import create_api_token
from jobs import files
from jobs.models import Job, Video
from landmarks.formats import read_landmarks
from landmarks.formats.npz import save_npz
from landmarks.formats.pose import save_pose
from landmarks.sequence import LandmarkSequence
from registry.runtime import clear_predictor_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def real_pose(pose_test_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared clip's landmarks as `slrweb extract` writes them."""
    from slrweb.cli import main

    out = tmp_path_factory.mktemp("extract") / "clip.pose"
    assert main(["extract", str(pose_test_video), "-o", str(out), "--no-progress"]) == 0
    return out


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = None  # MEDIA_ROOT/landmarks
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def client() -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {create_api_token('privacy').key}")


@pytest.fixture
def eager(monkeypatch) -> Iterator[None]:  # noqa: ANN001
    """The job's chain runs inline, at once: Celery eager, and the test's transaction (which
    never commits) treated as committed when the job is queued."""
    from slrweb.celery import app

    monkeypatch.setattr("jobs.services.transaction.on_commit", lambda fn, **kw: fn())
    # The app reads Django settings under the CELERY_ namespace: the key is the prefixed name.
    before = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    try:
        yield
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = before


@pytest.fixture
def classifier(settings):  # noqa: ANN001, ANN201
    """The shipped ASL signs model, active for ase (it spots signs in the real clip)."""
    from registry import services

    torch.set_num_threads(1)
    clear_predictor_cache()
    bundle = Path(settings.BASE_DIR) / "models" / "asl-signs"
    language = services.ensure_language("ase")
    services.add_glosses(language, (bundle / "vocab.txt").read_text().split())
    version = services.register_bundle(bundle, language)
    services.activate_version(version)
    yield version
    clear_predictor_cache()


def post(client: Client, name: str, data: bytes, field: str = "landmarks") -> tuple[int, dict]:
    response = client.post("/api/v1/jobs/", {field: SimpleUploadedFile(name, data)})
    return response.status_code, response.json()


def npz_bytes(tmp_path: Path, **arrays: np.ndarray) -> bytes:
    path = tmp_path / "upload.npz"
    np.savez(path, **arrays)
    return path.read_bytes()


def stored_landmarks(media: Path) -> list[Path]:
    root = media / "landmarks"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(media: Path) -> None:
    assert Job.objects.count() == 0 and stored_landmarks(media) == []


def expected_recognition(version, sequence: LandmarkSequence) -> dict:  # noqa: ANN001
    from recognition.ml.infer import IsolatedPredictor
    from recognition.services import TOP_K

    result = IsolatedPredictor.from_bundle(version.bundle_dir).recognize(sequence, top_k=TOP_K)
    return json.loads(json.dumps({**result, "model": version.label}))  # as the JSONField holds it


@pytest.mark.usefixtures("eager")
def test_a_real_pose_file_becomes_a_job_recognised_like_the_same_landmarks(
    client, classifier, real_pose, media
):
    status, body = post(client, "my clip.pose", real_pose.read_bytes())
    assert status == 201, body
    assert body["video"] is None and body["source"] == "landmarks"
    job = Job.objects.get(pk=body["id"])
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert [s["name"] for s in job.stages] == ["landmarks", "recognition"]
    assert Video.objects.count() == 0
    sequence = read_landmarks(real_pose)
    stored = files.read_landmarks(job.landmarks_file)
    np.testing.assert_array_equal(stored.points, sequence.points)
    assert job.result["landmarks"]["frames"] == len(sequence) >= 2
    assert job.result["recognition"]["segments"]  # something was recognised to compare
    assert job.result["recognition"] == expected_recognition(classifier, sequence)


@pytest.mark.usefixtures("eager")
def test_an_npz_of_the_same_landmarks_gives_the_same_recognition(
    client, classifier, real_pose, media, tmp_path
):
    sequence = read_landmarks(real_pose)
    save_npz(sequence, tmp_path / "clip.npz")
    status, body = post(client, "clip.npz", (tmp_path / "clip.npz").read_bytes())
    assert status == 201, body
    job = Job.objects.get(pk=body["id"])
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["recognition"] == expected_recognition(classifier, sequence)


def test_a_landmarks_job_has_no_video_routes_and_its_pages_work(client, real_pose, media):
    status, body = post(client, "clip.pose", real_pose.read_bytes())
    assert status == 201, body
    job_id = body["id"]
    for route in ("video", "thumbnail.jpg"):
        response = client.get(f"/api/v1/jobs/{job_id}/{route}")
        assert response.status_code == 404
        assert "no video" in response.json()["detail"]
    for route in ("overlay.json", "landmarks.npz", "subtitles.vtt", "result.json", ""):
        assert client.get(f"/api/v1/jobs/{job_id}/{route}").status_code == 200, route
    assert client.delete(f"/api/v1/jobs/{job_id}/").status_code == 204
    assert_refused(media)  # the stored landmarks went with the job


def test_the_job_page_history_and_annotation_workspace_work_without_a_video(client, real_pose):
    from django.contrib.auth import get_user_model

    status, body = post(client, "privacy clip.pose", real_pose.read_bytes())
    assert status == 201, body
    owner = get_user_model().objects.get(username="privacy")
    owner.is_superuser = True  # an admin may annotate every job
    owner.save()
    browser = Client()
    browser.force_login(owner)
    page = browser.get(f"/jobs/{body['id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="no-video"' in html and "result-video" not in html
    history = browser.get("/history/").content.decode()
    assert "privacy clip.pose" in history and "thumbnail.jpg" not in history
    workspace = browser.get(f"/annotate/jobs/{body['id']}/")
    assert workspace.status_code == 200
    assert 'id="ws-no-video"' in workspace.content.decode()


def test_without_a_serving_model_the_uploaded_landmarks_are_the_result(client, real_pose):
    status, body = post(client, "clip.pose", real_pose.read_bytes())
    assert status == 201, body
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["result"]["landmarks"]["frames"] == len(read_landmarks(real_pose))


def test_a_single_frame_is_refused(client, real_pose, media, tmp_path):
    one = read_landmarks(real_pose).slice_time(0.0, 0.01)
    assert len(one) == 1
    save_pose(one, tmp_path / "one.pose")
    status, body = post(client, "one.pose", (tmp_path / "one.pose").read_bytes())
    assert status == 400 and "1 frame" in body["detail"] and "at least 2" in body["detail"]
    assert_refused(media)


def test_a_wrong_point_count_is_refused(client, real_pose, media, tmp_path):
    points = read_landmarks(real_pose).points[:, :500]
    status, body = post(client, "x.npz", npz_bytes(tmp_path, points=points, fps=np.float64(30)))
    assert status == 400 and "543" in body["detail"] and ", 500, 3)" in body["detail"]
    assert_refused(media)


def test_infinite_values_are_refused_but_missing_parts_are_not(client, real_pose, media,
                                                               tmp_path):
    points = read_landmarks(real_pose).points.copy()
    points[:, 501:522] = np.nan  # the left hand missing everywhere: fine
    status, _ = post(client, "nan.npz", npz_bytes(tmp_path, points=points, fps=np.float64(30)))
    assert status == 201
    Job.objects.all().delete()
    points[3, 0, 0] = np.inf
    status, body = post(client, "inf.npz", npz_bytes(tmp_path, points=points, fps=np.float64(30)))
    assert status == 400 and "infinite" in body["detail"]


@pytest.mark.parametrize("name", ["garbage.pose", "garbage.npz"])
def test_garbage_bytes_are_refused(client, media, name):
    status, body = post(client, name, b"\x00\x01 not landmarks at all " * 100)
    assert status == 400 and "cannot be read" in body["detail"]
    assert_refused(media)


def test_an_implausible_frame_rate_is_refused(client, real_pose, media, tmp_path):
    points = read_landmarks(real_pose).points
    status, body = post(client, "f.npz", npz_bytes(tmp_path, points=points, fps=np.float64(0)))
    assert status == 400 and "frame rate" in body["detail"]
    assert_refused(media)


def test_a_file_above_the_landmarks_limit_is_refused_before_it_is_kept(
    client, settings, real_pose, media
):
    data = real_pose.read_bytes()
    settings.SLRWEB_MAX_LANDMARKS_BYTES = len(data) // 2
    settings.SLRWEB_MAX_UPLOAD_BYTES = len(data) * 10  # the video limit does not apply here
    status, body = post(client, "big.pose", data)
    assert status == 413 and "limit" in body["detail"]
    assert_refused(media)


def test_landmarks_above_the_duration_limit_are_refused(client, settings, real_pose, media):
    settings.SLRWEB_MAX_DURATION_SECONDS = 1.0  # the clip lasts about 1.9 s
    status, body = post(client, "long.pose", real_pose.read_bytes())
    assert status == 400 and "limit" in body["detail"] and "minutes" in body["detail"]
    assert_refused(media)


def test_both_a_video_and_landmarks_or_neither_are_refused(client, real_pose, pose_test_video,
                                                           media):
    response = client.post("/api/v1/jobs/", {
        "video": SimpleUploadedFile("clip.mp4", pose_test_video.read_bytes()),
        "landmarks": SimpleUploadedFile("clip.pose", real_pose.read_bytes()),
    })
    assert response.status_code == 400 and "not both" in response.json()["detail"]
    response = client.post("/api/v1/jobs/", {"language": "ase"})
    assert response.status_code == 400 and "either" in response.json()["detail"]
    assert_refused(media)


def test_another_suffix_is_refused(client, real_pose, media):
    status, body = post(client, "clip.parquet", real_pose.read_bytes())
    assert status == 400 and ".pose" in body["detail"]
    assert_refused(media)


def test_the_corpus_splits_a_landmarks_job_by_its_stored_landmarks(client, real_pose):
    from corpus.split import split_key, split_of

    first = Job.objects.get(pk=post(client, "a.pose", real_pose.read_bytes())[1]["id"])
    again = Job.objects.get(pk=post(client, "b.pose", real_pose.read_bytes())[1]["id"])
    # The same landmarks uploaded twice share their stored file, so their split too.
    assert split_key(first) == first.landmarks_file == split_key(again)
    assert split_of(split_key(first)) == split_of(split_key(again))


def test_a_pose_file_of_another_layout_is_refused(client, media, tmp_path):
    """An OpenPose-style .pose (one BODY_25 component) has none of Holistic's components."""
    from pose_format import Pose
    from pose_format.numpy.pose_body import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    component = PoseHeaderComponent(name="BODY_25", points=[f"P{i}" for i in range(25)],
                                    limbs=[], colors=[], point_format="XYC")
    data = np.random.default_rng(0).random((10, 1, 25, 2)).astype(np.float32)
    body = NumPyPoseBody(fps=25.0, data=np.ma.masked_array(data),
                         confidence=np.ones((10, 1, 25), dtype=np.float32))
    header = PoseHeader(version=0.2, components=[component],
                        dimensions=PoseHeaderDimensions(width=640, height=480, depth=0))
    with open(tmp_path / "openpose.pose", "wb") as handle:
        Pose(header, body).write(handle)
    status, body_json = post(client, "openpose.pose", (tmp_path / "openpose.pose").read_bytes())
    assert status == 400 and "Holistic layout" in body_json["detail"]
    assert_refused(media)


def _with_recovered_right_hand(real_pose: Path) -> tuple[LandmarkSequence, np.ndarray]:
    """The real clip's landmarks with its right hand marked as found by MediaPipe Hands on the
    frames where it is present (as the page's privacy mode writes them for such a language)."""
    sequence = read_landmarks(real_pose)
    present = ~np.isnan(sequence.points[:, 522:543, 0]).all(axis=1)
    assert present.sum() >= 2
    flags = np.zeros((len(sequence), 2), bool)
    flags[np.flatnonzero(present)[::2], 1] = True
    return sequence, flags


def test_recovered_hands_flags_become_the_stored_sequences_meta(client, real_pose, media,
                                                                tmp_path):
    from landmarks.hands import RECOVERED_KEY, as_trained

    sequence, flags = _with_recovered_right_hand(real_pose)
    status, body = post(client, "rec.npz", npz_bytes(
        tmp_path, points=sequence.points, timestamps=sequence.timestamps,
        fps=np.float64(sequence.fps), recovered_hands=flags))
    assert status == 201, body
    stored = files.read_landmarks(Job.objects.get(pk=body["id"]).landmarks_file)
    marked = stored.meta[RECOVERED_KEY]
    assert marked["left_hand"] == []
    assert marked["right_hand"] == [float(t) for t in sequence.timestamps[flags[:, 1]]]
    # a model trained on Holistic alone reads those frames without the right hand
    alone = as_trained(stored, False)
    assert np.isnan(alone.points[flags[:, 1], 522:543]).all()
    np.testing.assert_array_equal(alone.points[~flags[:, 1]], stored.points[~flags[:, 1]])


def test_the_servers_own_npz_carries_its_recovered_hands_to_an_upload(client, real_pose, media,
                                                                     tmp_path):
    from landmarks.hands import RECOVERED_KEY, recovered_meta

    sequence, flags = _with_recovered_right_hand(real_pose)
    sequence.meta[RECOVERED_KEY] = recovered_meta(sequence.timestamps, flags)
    save_npz(sequence, tmp_path / "extracted.npz")
    status, body = post(client, "extracted.npz", (tmp_path / "extracted.npz").read_bytes())
    assert status == 201, body
    stored = files.read_landmarks(Job.objects.get(pk=body["id"]).landmarks_file)
    assert stored.meta[RECOVERED_KEY] == sequence.meta[RECOVERED_KEY]


@pytest.mark.parametrize("case", ["shape", "dtype", "absent hand"])
def test_bad_recovered_hands_flags_are_refused(client, real_pose, media, tmp_path, case):
    sequence, flags = _with_recovered_right_hand(real_pose)
    points = sequence.points.copy()
    if case == "shape":
        flags = flags[:-1]
    elif case == "dtype":
        flags = flags.astype(np.float32)
    else:  # a recovered hand must have landmarks
        points[0, 522:543] = np.nan
        flags[0, 1] = True
    status, body = post(client, "bad.npz", npz_bytes(
        tmp_path, points=points, fps=np.float64(sequence.fps), recovered_hands=flags))
    assert status == 400 and "`recovered_hands`" in body["detail"], body
    assert_refused(media)
