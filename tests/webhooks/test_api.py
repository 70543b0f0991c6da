"""POST/GET/DELETE /api/v1/webhooks/: registration, validation, ownership (issue 15, item 6)."""

from __future__ import annotations

import json
import re
import socket

import pytest
from django.test import Client

from webhooks.models import Webhook

pytestmark = pytest.mark.django_db
PRIVATE = ["http://127.0.0.1/hook", "http://localhost:8000/x", "http://10.1.2.3/",
           "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://192.168.0.10/",
           "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/"]
PUBLIC = "https://93.184.215.14/hook"  # a literal public address: no DNS needed


def create(client: Client, url: str, events: object = ("job.succeeded", "job.failed")):  # noqa: ANN201
    body = {"url": url, "events": list(events) if isinstance(events, tuple) else events}
    return client.post("/api/v1/webhooks/", json.dumps(body), content_type="application/json")


def test_registration_answers_201_with_the_secret_once(alice_client):
    response = create(alice_client, PUBLIC)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "url", "events", "secret"}
    assert body["url"] == PUBLIC and body["events"] == ["job.succeeded", "job.failed"]
    assert re.fullmatch(r"[0-9a-f]{64}", body["secret"])
    listed = alice_client.get("/api/v1/webhooks/").json()
    assert [h["id"] for h in listed] == [body["id"]]
    assert body["secret"] not in json.dumps(listed) and "secret" not in listed[0]
    assert Webhook.objects.get(pk=body["id"]).secret == body["secret"]  # kept, to sign


def test_two_webhooks_get_different_secrets(alice_client):
    first, second = create(alice_client, PUBLIC).json(), create(alice_client, PUBLIC).json()
    assert first["secret"] != second["secret"]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_loopback_and_link_local_urls_are_refused(alice_client, url):
    response = create(alice_client, url)
    assert response.status_code == 400, response.content
    assert "private, loopback or link-local" in response.json()["detail"]
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("url", PRIVATE[:4])
def test_private_urls_are_allowed_with_the_environment_variable(alice_client, url,
                                                                allow_private):
    assert create(alice_client, url).status_code == 201


def test_a_name_resolving_to_a_private_address_is_refused(alice_client, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host == "hooks.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    response = create(alice_client, "http://hooks.example/in")
    assert response.status_code == 400 and "10.0.0.7" in response.json()["detail"]


@pytest.mark.parametrize(("url", "events", "why"), [
    ("ftp://93.184.215.14/", ("job.failed",), "https:// or http://"),
    ("not a url", ("job.failed",), "https:// or http://"),
    ("http://user:pw@93.184.215.14/", ("job.failed",), "user name or password"),
    ("https://93.184.215.14/" + "a" * 2000, ("job.failed",), "longer than 2000"),
    (PUBLIC, (), "non-empty list"),
    (PUBLIC, ("job.started",), "unknown events"),
    ("http://no-such-host.invalid/", ("job.failed",), "cannot be resolved"),
])
def test_bad_registrations_are_400_with_the_reason(alice_client, url, events, why):
    response = create(alice_client, url, events)
    assert response.status_code == 400, response.content
    assert why in response.json()["detail"]


def test_other_users_neither_see_nor_delete_a_webhook(alice_client, bob_client):
    hook = create(alice_client, PUBLIC).json()
    assert bob_client.get("/api/v1/webhooks/").json() == []
    assert bob_client.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 404
    assert Webhook.objects.filter(pk=hook["id"]).exists()
    assert alice_client.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert alice_client.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 404
    assert alice_client.get("/api/v1/webhooks/").json() == []


def test_without_a_login_there_are_no_webhooks(client):
    assert create(client, PUBLIC).status_code == 401
    assert client.get("/api/v1/webhooks/").status_code == 401


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/webhooks/"])
    assert "delete" in paths["/api/v1/webhooks/{webhook_id}/"]
