"""Login lockout (django-axes), sign-up and upload rate limits (django-ninja's throttling)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.services import create_api_token

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
LOCKED = "Too many failed logins"


def login(client: Client, username: str, password: str) -> tuple[int, str]:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response.status_code, response.content.decode()


def test_sixth_wrong_password_locks_the_login_with_a_message():
    get_user_model().objects.create_user("ivy", password=PASSWORD)
    client = Client()
    for _ in range(5):
        status, page = login(client, "ivy", "wrong")
        assert status == 200 and 'role="alert"' in page and LOCKED not in page
    status, page = login(client, "ivy", "wrong")
    assert status == 429 and LOCKED in page and "Wait 15 minutes" in page
    status, page = login(client, "ivy", PASSWORD)  # even the right password, for a while
    assert status == 429 and LOCKED in page
    assert "_auth_user_id" not in client.session
    # Only this username from this address is locked: ivy elsewhere still logs in.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert login(elsewhere, "ivy", PASSWORD)[0] == 302


def test_a_successful_login_resets_the_count():
    get_user_model().objects.create_user("jack", password=PASSWORD)
    client = Client()
    for _ in range(4):
        login(client, "jack", "wrong")
    assert login(client, "jack", PASSWORD)[0] == 302
    client.post("/accounts/logout/")
    for _ in range(5):
        assert login(client, "jack", "wrong")[0] == 200


def signup(client: Client, username: str) -> int:
    response = client.post("/accounts/signup/", {
        "username": username, "password1": PASSWORD, "password2": PASSWORD})
    return response.status_code


def test_signups_from_one_address_are_rate_limited(settings):
    settings.SLRWEB_SIGNUP_RATE = "2/h"
    assert signup(Client(), "kim") == 302
    assert signup(Client(), "lee") == 302
    response = Client().post("/accounts/signup/", {
        "username": "max", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 429 and "Too many sign-ups" in response.content.decode()
    assert not get_user_model().objects.filter(username="max").exists()
    assert signup(Client(REMOTE_ADDR="203.0.113.9"), "max") == 302


def upload(client: Client, video: Path) -> int:
    data = SimpleUploadedFile("clip.mp4", video.read_bytes(), content_type="video/mp4")
    return client.post("/api/v1/jobs/", {"video": data}).status_code


def test_uploads_over_the_rate_get_429(settings, tmp_path, pose_test_video):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_UPLOAD_RATE = "2/h"
    first = Client(HTTP_AUTHORIZATION=f"Token {create_api_token('nia').key}")
    assert upload(first, pose_test_video) == 201
    assert upload(first, pose_test_video) == 201
    response = first.post("/api/v1/jobs/", {"video": SimpleUploadedFile("c.mp4", b"x")})
    assert response.status_code == 429 and response.json()["detail"]
    # Per user: another account is not held back by nia's uploads, nor are nia's reads.
    second = Client(HTTP_AUTHORIZATION=f"Token {create_api_token('oli').key}")
    assert upload(second, pose_test_video) == 201
    assert first.get("/api/v1/jobs/").status_code == 200


def test_lockout_page_under_asgi():
    """Daphne runs the middleware chain asynchronously (axes' __acall__ path): same lockout."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    get_user_model().objects.create_user("una", password=PASSWORD)
    client = AsyncClient()

    async def attempts() -> list[int]:
        statuses = []
        for _ in range(6):
            response = await client.post("/accounts/login/", {"username": "una", "password": "x"})
            statuses.append(response.status_code)
        statuses.append(response.content.decode().count(LOCKED))
        return statuses

    assert async_to_sync(attempts)() == [200] * 5 + [429, 1]


def test_anonymous_uploads_are_limited_per_address_not_per_session(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_ALLOW_ANONYMOUS = True
    settings.SLRWEB_UPLOAD_RATE = "1/h"

    def post(client: Client) -> int:
        return client.post("/api/v1/jobs/", {"video": SimpleUploadedFile("e.mp4", b"")}).status_code

    assert post(Client()) == 400  # counted although refused (an empty file)
    assert post(Client()) == 429  # a new session from the same address: same budget
    assert post(Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")) == 400
    assert post(Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.2")) == 429
