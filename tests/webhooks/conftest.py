"""Fixtures of the webhook tests: two users with API clients, a local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.users import alice, alice_client, bob, bob_client  # noqa: F401 (fixtures)
from tests.webhooks.receiver import Receiver


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLRWEB_WEBHOOK_ALLOW_PRIVATE", "1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Answers 500 first, then 200."""
    server = Receiver(statuses=[500, 200]).start()
    yield server
    server.stop()
