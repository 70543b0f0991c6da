"""Sign up, log in, log out through the pages (issue 7, item 1)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


def test_signup_creates_the_account_logs_in_and_goes_on(client):
    response = client.post("/accounts/signup/", {
        "username": "carol", "password1": PASSWORD, "password2": PASSWORD, "next": "/history/",
    })
    assert response.status_code == 302 and response["Location"] == "/history/"
    assert get_user_model().objects.filter(username="carol").exists()
    assert client.get("/history/").status_code == 200  # logged in


def test_signup_refuses_an_offsite_next_and_bad_passwords(client):
    response = client.post("/accounts/signup/", {
        "username": "dave", "password1": PASSWORD, "password2": PASSWORD,
        "next": "https://evil.example/",
    })
    assert response["Location"] == "/"
    client.logout()
    response = client.post("/accounts/signup/", {
        "username": "erin", "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not get_user_model().objects.filter(username="erin").exists()


def test_login_and_logout(client):
    get_user_model().objects.create_user("frank", password=PASSWORD)
    page = client.get("/accounts/login/?next=/history/").content.decode()
    assert 'name="next" value="/history/"' in page
    response = client.post("/accounts/login/", {
        "username": "frank", "password": PASSWORD, "next": "/history/"})
    assert response.status_code == 302 and response["Location"] == "/history/"
    assert "Signed in as frank" in client.get("/").content.decode()
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log out
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_reported(client):
    get_user_model().objects.create_user("gina", password=PASSWORD)
    response = client.post("/accounts/login/", {"username": "gina", "password": "nope"})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
