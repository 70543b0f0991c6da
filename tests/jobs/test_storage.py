"""Files through Django's STORAGES (issue 11, item 6): relative names in the database, a
non-file-system backend through the real stage path, and a user's files going with the user."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

import numpy as np
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import InMemoryStorage, StorageHandler
from django.test import Client, override_settings

from accounts.services import create_api_token
from jobs import files, services
from jobs.models import Job, Video
from landmarks.sequence import LandmarkSequence
from slrweb.settings.storage import StorageConfigError, storages_from_env
from tests.support.jobs import make_finished_job
from tests.support.videos import iter_video_frames, write_video

pytestmark = pytest.mark.django_db

IN_MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "landmarks": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = None  # the default: MEDIA_ROOT/landmarks
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def short_clip(pose_test_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six real frames: enough for the probe (2+) and a quick MediaPipe run."""
    out = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return write_video(iter_video_frames(pose_test_video, limit=6), out)


def run_job(clip: Path, owner) -> Job:  # noqa: ANN001
    """A job through the service functions: upload, then the probe and landmarks stages."""
    job = services.create_job(chunks=[clip.read_bytes()], filename="my clip.mp4", owner=owner)
    for stage in ("probe", "landmarks"):
        assert services.run_stage(job.id, stage), Job.objects.get(pk=job.id).error
    return Job.objects.select_related("video").get(pk=job.id)


def stored_text(job: Job) -> str:
    """Every value of the job's and its video's rows, as the database holds them."""
    rows = [Job.objects.filter(pk=job.pk).values().get(),
            Video.objects.filter(pk=job.video_id).values().get()]
    return json.dumps(rows, default=str)


def test_a_real_job_stores_relative_names_only(media, tmp_path, short_clip, monkeypatch):
    monkeypatch.setattr("jobs.services.enqueue", lambda job, from_stage=None: None)
    owner = get_user_model().objects.create_user("alice")
    job = run_job(short_clip, owner)
    assert job.status == Job.Status.SUCCEEDED
    assert job.video.file.startswith(f"videos/{job.video.sha256[:2]}/")
    assert job.landmarks_file.endswith(".npz") and not Path(job.landmarks_file).is_absolute()
    assert str(tmp_path) not in stored_text(job) and "/media/" not in stored_text(job)
    # The names resolve in their storages: the files are where the storages say.
    assert (media / job.video.file).is_file()
    assert (media / "landmarks" / job.landmarks_file).is_file()
    assert len(files.read_landmarks(job.landmarks_file)) == 6


@override_settings(STORAGES=IN_MEMORY)
def test_the_stage_path_and_downloads_work_on_a_storage_without_local_files(
        media, short_clip, monkeypatch):
    """InMemoryStorage has no local files (its path() names nothing on disk): anything that
    assumed one would fail here."""
    monkeypatch.setattr("jobs.services.enqueue", lambda job, from_stage=None: None)
    assert isinstance(files.video_storage(), InMemoryStorage)
    owner = get_user_model().objects.create_user("alice")
    job = run_job(short_clip, owner)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.result["landmarks"]["frames"] == 6
    assert files.video_storage().exists(job.video.file)
    assert files.landmark_storage().exists(job.landmarks_file)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    client = Client(HTTP_AUTHORIZATION=f"Token {create_api_token('alice').key}")
    video = client.get(f"/api/v1/jobs/{job.id}/video")
    assert video.status_code == 200
    assert b"".join(video.streaming_content) == short_clip.read_bytes()
    ranged = client.get(f"/api/v1/jobs/{job.id}/video", HTTP_RANGE="bytes=10-19")
    assert ranged.status_code == 206
    assert b"".join(ranged.streaming_content) == short_clip.read_bytes()[10:20]
    for path in ("landmarks.npz", "thumbnail.jpg", "overlay.json"):
        assert client.get(f"/api/v1/jobs/{job.id}/{path}").status_code == 200, path
    services.delete_job(job)
    assert not files.video_storage().exists(job.video.file)
    assert not files.landmark_storage().exists(job.landmarks_file)


def tiny_landmarks() -> LandmarkSequence:
    rng = np.random.default_rng(0)
    return LandmarkSequence.from_points(rng.random((3, 543, 3), dtype=np.float32), fps=25.0)


@pytest.mark.parametrize("storages", [None, IN_MEMORY], ids=["filesystem", "in-memory"])
def test_deleting_users_deletes_their_files_unless_another_users_job_shares_them(
        storages, pose_test_video, short_clip):
    users = get_user_model().objects
    alice, bob, carol = (users.create_user(n) for n in ("alice", "bob", "carol"))
    with override_settings(**({"STORAGES": storages} if storages else {})):
        landmarks = tiny_landmarks()
        # The same bytes from two users: one Video (and one landmark entry) by de-duplication.
        shared = [make_finished_job(pose_test_video, owner=who, landmarks=landmarks)
                  for who in (alice, bob)]
        other = make_finished_job(short_clip, owner=carol, landmarks=tiny_landmarks())
        assert shared[0].video_id == shared[1].video_id
        assert shared[0].landmarks_file == shared[1].landmarks_file
        video_name, landmarks_name = shared[0].video.file, shared[0].landmarks_file
        videos, entries = files.video_storage(), files.landmark_storage()

        alice.delete()
        assert not Job.objects.filter(owner_id=alice.pk).exists()
        assert Video.objects.filter(pk=shared[1].video_id).exists()
        assert videos.exists(video_name) and entries.exists(landmarks_name)
        assert len(files.read_landmarks(landmarks_name)) == 3  # bob's job still reads them

        bob.delete()
        assert not Job.objects.filter(pk__in=[j.pk for j in shared]).exists()
        assert not Video.objects.filter(pk=shared[1].video_id).exists()
        assert not videos.exists(video_name) and not entries.exists(landmarks_name)
        # Carol's job and files are untouched.
        assert Job.objects.filter(pk=other.pk).exists()
        assert videos.exists(other.video.file) and entries.exists(other.landmarks_file)


def test_migration_makes_absolute_cache_paths_relative_and_leaves_unknown_ones(
        settings, media, pose_test_video):
    migration = importlib.import_module("jobs.migrations.0003_storage_names")
    root = media / "landmarks"
    inside = make_finished_job(pose_test_video, landmarks=tiny_landmarks())
    name = inside.landmarks_file
    Job.objects.filter(pk=inside.pk).update(landmarks_file=str(root / name))
    outside = make_finished_job(pose_test_video)
    Job.objects.filter(pk=outside.pk).update(landmarks_file="/elsewhere/ab/cd.npz")
    migration.to_relative(apps, None)
    assert Job.objects.get(pk=inside.pk).landmarks_file == name
    assert Job.objects.get(pk=outside.pk).landmarks_file == "/elsewhere/ab/cd.npz"
    # An unknown absolute path is never resolved or deleted through a storage.
    with pytest.raises(FileNotFoundError):
        files.read_landmarks("/elsewhere/ab/cd.npz")
    services.delete_job(Job.objects.get(pk=outside.pk))
    migration.to_absolute(apps, None)
    assert Job.objects.get(pk=inside.pk).landmarks_file == str(root.absolute() / name)


def test_s3_is_chosen_by_settings_and_configured_from_the_environment():
    env = {"SLRWEB_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "slrweb-media",
           "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_S3_ADDRESSING_STYLE": "path",
           "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret"}
    config = storages_from_env(env, "whitenoise.storage.CompressedStaticFilesStorage")
    handler = StorageHandler(config)
    videos, landmarks = handler["default"], handler["landmarks"]
    assert type(videos).__module__ == "storages.backends.s3"  # constructed without a request
    assert (videos.bucket_name, videos.endpoint_url) == ("slrweb-media", "http://127.0.0.1:9000")
    assert (videos.location, landmarks.location) == ("media", "landmarks")
    assert videos.default_acl is None and videos.querystring_auth
    assert config["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedStaticFilesStorage"
    local = storages_from_env({}, "x")
    assert local["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    with pytest.raises(StorageConfigError, match="AWS_STORAGE_BUCKET_NAME"):
        storages_from_env({"SLRWEB_STORAGE": "s3"}, "x")
    with pytest.raises(StorageConfigError):
        storages_from_env({"SLRWEB_STORAGE": "ftp"}, "x")


def test_a_racing_uploads_copy_is_removed_when_another_became_the_videos_file(
        short_clip, monkeypatch, django_capture_on_commit_callbacks):
    """Two uploads of the same bytes at once: both may write, one row wins; the other copy
    (a second name the storage chose) must not stay behind unreferenced."""
    monkeypatch.setattr("jobs.services.enqueue", lambda job, from_stage=None: None)
    sha = hashlib.sha256(short_clip.read_bytes()).hexdigest()
    # The winner's row, committed between this upload's exists() check and its insert.
    monkeypatch.setattr("jobs.storage.save_video", lambda upload: (
        files.save_local(files.video_storage(), upload.name, upload.path), True))
    Video.objects.create(sha256=sha, file="videos/winner.mp4", size=1)
    files.video_storage().save("videos/winner.mp4", short_clip.open("rb"))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.create_job(chunks=[short_clip.read_bytes()], filename="b.mp4",
                                  owner=None, session_key="s")
    assert job.video.file == "videos/winner.mp4"
    _, names = files.video_storage().listdir(f"videos/{sha[:2]}")
    assert names == []
