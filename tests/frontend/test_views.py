"""Pages of issue 7 through Django's test client: access, language picker, history, delete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accounts.models import Preference
from jobs import files
from jobs.models import Job, Video
from landmarks.formats import read_landmarks
from tests.support.jobs import make_finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def real_landmarks(shared_data: Path):
    return read_landmarks(shared_data / "poses" / "pose_repo" / "mediapipe.pose")


def test_pages_need_a_login_unless_anonymous_use_is_on(client, settings):
    for url in ("/", "/history/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    settings.SLRWEB_ALLOW_ANONYMOUS = True
    assert client.get("/").status_code == 200
    assert client.get("/history/").status_code == 200


def test_home_lists_only_languages_with_an_active_model(alice_client, languages):
    html = alice_client.get("/").content.decode()
    options = re.findall(r'<option value="(\w+)"( selected)?>', html)
    assert [code for code, _ in options] == ["ase", "gsg"]  # ordered by name, bfi has no model
    assert dict(options)["ase"] == " selected"  # SLRWEB_DEFAULT_LANGUAGE


def test_home_without_any_active_model_says_so(alice_client):
    html = alice_client.get("/").content.decode()
    assert "language-select" not in html
    assert "No sign language has an active model yet" in html


def test_language_choice_is_remembered_per_user(alice, alice_client, languages):
    response = alice_client.post(
        "/preferences/language/", {"language": "gsg"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response.json() == {"language": "gsg"}
    assert Preference.objects.get(user=alice).language == "gsg"
    from tests.users import logged_in

    fresh = logged_in(alice)  # another browser: the choice comes from the user's row
    assert re.search(r'<option value="gsg" selected>', fresh.get("/").content.decode())


def test_language_without_an_active_model_is_refused(alice, alice_client, languages):
    response = alice_client.post("/preferences/language/", {"language": "bfi"})
    assert response.status_code == 400
    assert not Preference.objects.filter(user=alice).exists()


def test_job_page_is_for_its_owner_only(alice, alice_client, bob_client, client, pose_test_video):
    job = make_finished_job(pose_test_video, owner=alice)
    response = alice_client.get(f"/jobs/{job.id}/")
    assert response.status_code == 200
    state = json.loads(re.search(
        r'<script id="job-state" type="application/json">(.*?)</script>',
        response.content.decode(), re.S).group(1))
    assert state["id"] == str(job.id) and state["status"] == "succeeded"
    assert bob_client.get(f"/jobs/{job.id}/").status_code == 404
    assert client.get(f"/jobs/{job.id}/").status_code == 302


def test_job_page_offers_the_downloads(alice, alice_client, pose_test_video, real_landmarks):
    job = make_finished_job(pose_test_video, owner=alice, landmarks=real_landmarks)
    html = alice_client.get(f"/jobs/{job.id}/").content.decode()
    for suffix in ("result.json", "subtitles.vtt?download=1", "landmarks.pose", "landmarks.npz"):
        assert f"/api/v1/jobs/{job.id}/{suffix}" in html
    assert "Finding body, hands and face" in html  # stage names as people read them


def test_history_lists_own_jobs_with_duration_and_thumbnail(
    alice, bob, alice_client, pose_test_video, shared_data
):
    mine = make_finished_job(pose_test_video, owner=alice, name="mine.mp4")
    other_video = shared_data / "video" / "msl150"
    theirs = make_finished_job(sorted(other_video.glob("*.mp4"))[0], owner=bob, name="theirs.mp4")
    html = alice_client.get("/history/").content.decode()
    assert "mine.mp4" in html and "theirs.mp4" not in html
    assert f"/api/v1/jobs/{mine.id}/thumbnail.jpg" in html
    assert f"/api/v1/jobs/{theirs.id}/" not in html
    assert "0:02" in html  # 58 frames at 29.9 fps
    assert "finished" in html


def test_delete_removes_video_and_landmarks(alice, alice_client, pose_test_video, real_landmarks):
    job = make_finished_job(pose_test_video, owner=alice, landmarks=real_landmarks)
    video_file = Path(job.video.file)
    from django.conf import settings

    stored = [Path(settings.MEDIA_ROOT) / video_file,
              Path(files.landmark_storage().path(job.landmarks_file))]
    assert all(p.is_file() for p in stored)
    response = alice_client.post(f"/jobs/{job.id}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/history/"
    assert "Deleted" in response.content.decode()
    assert not Job.objects.exists() and not Video.objects.exists()
    assert not any(p.exists() for p in stored)


def test_another_user_cannot_delete(alice, bob_client, pose_test_video):
    job = make_finished_job(pose_test_video, owner=alice)
    assert bob_client.post(f"/jobs/{job.id}/delete/").status_code == 404
    assert bob_client.get(f"/jobs/{job.id}/delete/").status_code in (404, 405)
    assert Job.objects.filter(pk=job.id).exists()


def test_anonymous_session_sees_its_own_jobs(client, settings, pose_test_video):
    settings.SLRWEB_ALLOW_ANONYMOUS = True
    client.get("/")
    job = make_finished_job(pose_test_video, session_key=client.session.session_key)
    assert client.get(f"/jobs/{job.id}/").status_code == 200
    assert "pose_test_video.mp4" in client.get("/history/").content.decode()
    from django.test import Client

    assert Client().get(f"/jobs/{job.id}/").status_code == 404


def test_javascript_catalogue_is_served(client):
    response = client.get("/jsi18n/")
    assert response.status_code == 200 and b"gettext" in response.content


def test_pages_and_script_strings_are_translated(alice_client, client):
    html = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="de">' in html
    assert "Aufgenommene Gebärden übersetzen" in html and "Abmelden" in html
    catalogue = alice_client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Aufnahme beginnt in %(seconds)s" in catalogue
    login = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Noch kein Konto?" in login


def test_a_failed_job_shows_its_reason(alice, alice_client, pose_test_video):
    job = make_finished_job(pose_test_video, owner=alice)
    job.status, job.error = Job.Status.FAILED, "The clip has no frames (zero length)."
    job.stages = [{"name": "probe", "status": "failed", "percent": 0},
                  {"name": "landmarks", "status": "pending", "percent": 0}]
    job.save()
    html = alice_client.get(f"/jobs/{job.id}/").content.decode()
    assert re.search(r'id="job-error" class="error" role="alert"\s*>The clip has no frames', html)
    assert re.search(r'<section id="result"[^>]*hidden', html)
    assert 'data-stage="probe" data-status="failed"' in html
