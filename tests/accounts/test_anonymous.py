"""Anonymous jobs move to the account at login and sign-up; unclaimed ones expire."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jobs.anonymous import expire_anonymous_jobs
from jobs.models import Job, Video

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def anonymous_allowed(settings, tmp_path: Path) -> None:
    settings.SLRWEB_ALLOW_ANONYMOUS = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_ANONYMOUS_RETENTION_HOURS = 24


def stored_video() -> Video:
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    relative = f"videos/{sha[:2]}/{sha}.mp4"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"placeholder video bytes")
    return Video.objects.create(sha256=sha, file=relative, size=23, content_type="video/mp4")


def make_job(video: Video | None = None, owner=None, session_key: str = "", age_hours: float = 0):  # noqa: ANN001, ANN201
    job = Job.objects.create(video=video or stored_video(), owner=owner, session_key=session_key)
    Job.objects.filter(pk=job.pk).update(updated=timezone.now() - timedelta(hours=age_hours))
    return job


def anonymous_session() -> tuple[Client, str]:
    """A browser with an anonymous session, as the upload page makes one."""
    client = Client()
    assert client.get("/api/v1/jobs/").status_code == 200
    return client, client.session.session_key


def test_login_claims_the_sessions_anonymous_jobs():
    user = get_user_model().objects.create_user("pat", password=PASSWORD)
    client, key = anonymous_session()
    mine, theirs = make_job(session_key=key), make_job(session_key="someone-elses-session")
    response = client.post("/accounts/login/", {"username": "pat", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.session_key != key  # rotated at login, yet the jobs followed
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.owner == user and mine.session_key == ""
    assert theirs.owner is None and theirs.session_key == "someone-elses-session"
    assert [j["id"] for j in client.get("/api/v1/jobs/").json()] == [str(mine.id)]


def test_signup_claims_the_sessions_anonymous_jobs():
    client, key = anonymous_session()
    job = make_job(session_key=key)
    response = client.post("/accounts/signup/", {
        "username": "quinn", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.owner.username == "quinn" and job.session_key == ""


def test_retention_deletes_only_unclaimed_old_anonymous_jobs():
    owner = get_user_model().objects.create_user("rae")
    old = make_job(session_key="s1", age_hours=25)
    shared_video = stored_video()
    old_sharing = make_job(shared_video, session_key="s2", age_hours=30)
    owned_sharing = make_job(shared_video, owner=owner, age_hours=100)
    recent = make_job(session_key="s3", age_hours=23)
    old_file = Path(settings.MEDIA_ROOT) / old.video.file

    assert expire_anonymous_jobs() == 2

    remaining = set(Job.objects.values_list("pk", flat=True))
    assert remaining == {owned_sharing.pk, recent.pk}
    assert not old_file.exists() and not Video.objects.filter(pk=old.video_id).exists()
    # The video an account's job still uses stays, file and row.
    assert (Path(settings.MEDIA_ROOT) / shared_video.file).exists()
    assert Video.objects.filter(pk=shared_video.pk).exists()
    assert old_sharing.pk not in remaining
    assert expire_anonymous_jobs() == 0


def test_retention_setting_moves_the_cutoff(settings):
    settings.SLRWEB_ANONYMOUS_RETENTION_HOURS = 1
    job = make_job(session_key="s", age_hours=2)
    later = timezone.now() + timedelta(minutes=1)
    assert expire_anonymous_jobs(now=later) == 1
    assert not Job.objects.filter(pk=job.pk).exists()


def test_beat_schedules_the_expiry_task():
    from jobs.tasks import expire_anonymous_jobs as task

    from slrweb.celery import app

    entries = settings.CELERY_BEAT_SCHEDULE.values()
    assert any(entry["task"] == task.name for entry in entries)
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert task.name in app.tasks
    make_job(session_key="s", age_hours=48)
    assert task.run() == 1
