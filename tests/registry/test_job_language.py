"""The API and the page accept only the code of a language with an active model, by one check
(registry.job_language; issue 15, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jobs.models import Job
from registry import services
from registry.job_language import UnknownLanguage, check_language, job_language

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_ase(ase, make_bundle):  # noqa: ANN001
    """ase with an active translator; gsg exists but has no active model."""
    services.ensure_language("gsg")
    services.activate_version(services.register_bundle(make_bundle(), ase))
    return ase


@pytest.fixture
def client(settings, tmp_path: Path) -> Client:  # noqa: ANN001
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    user = get_user_model().objects.create_user("uploader", password="pw")
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, video: Path, language: str):  # noqa: ANN201
    return client.post("/api/v1/jobs/", {
        "video": SimpleUploadedFile("clip.mp4", video.read_bytes(), "video/mp4"),
        "language": language})


def test_check_language(live_ase, settings):
    assert check_language("ase") == check_language(" ASE ") == check_language("ASL") == "ase"
    for bad in ("gsg", "xyz", "as", "", "a" * 10_000):
        with pytest.raises(UnknownLanguage) as refused:
            check_language(bad)
        assert refused.value.valid == ["ase"]
        assert "use one of: ase" in str(refused.value) and len(str(refused.value)) < 300
    settings.SLRWEB_DEFAULT_LANGUAGE = "bfi"
    assert job_language("") == job_language(None) == "bfi"  # unnamed: the site's default


@pytest.mark.parametrize("language", ["xyz", "gsg", "ase" * 200],
                         ids=["typo", "inactive", "long"])
def test_the_api_refuses_an_inactive_or_unknown_language_with_the_valid_ones(
        live_ase, client, pose_test_video, language):
    response = upload(client, pose_test_video, language)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["languages"] == ["ase"] and "use one of: ase" in body["detail"]
    assert not Job.objects.exists()


def test_the_api_accepts_an_active_language(live_ase, client, pose_test_video):
    response = upload(client, pose_test_video, "ASE")
    assert response.status_code == 201, response.content
    assert response.json()["language"] == "ase"
    assert Job.objects.get().language == "ase"


def test_the_page_picker_makes_the_same_check(live_ase, client):
    refused = client.post("/preferences/language/", {"language": "xyz"},
                          HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    with pytest.raises(UnknownLanguage) as api_check:
        check_language("xyz")
    assert refused.json() == {"detail": str(api_check.value), "languages": ["ase"]}
    accepted = client.post("/preferences/language/", {"language": "ase"},
                           HTTP_ACCEPT="application/json")
    assert accepted.status_code == 200 and accepted.json() == {"language": "ase"}


def test_the_openapi_document_lists_the_language_error(live_ase, client):
    schema = client.get("/api/v1/openapi.json").json()
    answers = schema["paths"]["/api/v1/jobs/"]["post"]["responses"]["400"]
    assert "LanguageErrorOut" in str(answers)
