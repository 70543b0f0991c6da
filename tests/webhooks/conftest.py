"""Fixtures of the webhook tests: two users with API clients, a local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.webhooks.receiver import Receiver


@pytest.fixture
def alice(db):  # noqa: ANN001
    return get_user_model().objects.create_user("alice", password="pw")


@pytest.fixture
def bob(db):  # noqa: ANN001
    return get_user_model().objects.create_user("bob", password="pw")


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:  # noqa: ANN001
    return logged_in(alice)


@pytest.fixture
def bob_client(bob) -> Client:  # noqa: ANN001
    return logged_in(bob)


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLRWEB_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Answers 500 first, then 200."""
    server = Receiver(statuses=[500, 200]).start()
    yield server
    server.stop()
