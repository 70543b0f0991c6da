"""Two signed-up users and logged-in clients, shared by the page and webhook tests' conftests
(imported there: `from tests.users import alice, alice_client, bob, bob_client`)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client


@pytest.fixture
def alice(db):  # noqa: ANN001
    return get_user_model().objects.create_user("alice", password="a-long-password-1")


@pytest.fixture
def bob(db):  # noqa: ANN001
    return get_user_model().objects.create_user("bob", password="a-long-password-2")


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
