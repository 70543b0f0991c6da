"""Requests of the authorisation matrix: one route, one role, one fresh state.

Each HTTP request runs in a savepoint that is rolled back afterwards, so a DELETE or a POST by
one role leaves the objects in place for the next. Logged-in roles use the session (as the
browser does); the WebSocket uses an `Authorization: Token` header (a client without Origin).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.security.routes import PARAM, Route, fill
from tests.security.world import ROLES, World

# An HTTP status; "login" (a redirect to a login page); "/path/" (a redirect there); for a
# WebSocket "accept" or the close code.
# An expected outcome may also be a function of the world (a redirect to an object's page).
Outcome = int | str
Expected = Outcome | Callable[[World], Outcome]
LOGIN = "login"
ACCEPT = "accept"


def default_params(world: World) -> dict[str, Any]:
    return {"job_id": world.job.id, "token_id": world.token.pk, "fmt": "npz"}


@dataclass(frozen=True)
class Rule:
    """What each role gets from one route: `expect` for the first five ROLES in order; `staff`
    (is_staff without a role) gets what `other` gets unless the rule says otherwise."""

    expect: tuple[Expected, ...]
    staff: Expected | None = None
    method: str = "GET"  # for Django routes; an API route's method is in its key
    params: Callable[[World], dict[str, Any]] = default_params
    body: Callable[[World], Any] | None = None
    json: bool = False
    path: Callable[[World], str] | None = None  # a concrete URL for patterns one cannot fill

    def __post_init__(self) -> None:
        assert len(self.expect) == len(ROLES) - 1, f"one outcome per role of {ROLES[:-1]}"


def E(*expect: Expected, **options: Any) -> Rule:  # noqa: N802 - reads as a table row
    return Rule(expect=tuple(expect), **options)


class Clients:
    """One logged-in Client per role, reused for safe requests (logging in costs queries);
    an unsafe request gets a fresh one, as it may log out or change the session."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.cached: dict[str, Client] = {}

    def fresh(self, role: str) -> Client:
        client = Client()
        user = self.world.users[role]
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    def get(self, role: str, method: str) -> Client:
        if role not in self.cached:
            self.cached[role] = self.fresh(role)
        return self.cached[role]


def _outcome(response: Any) -> Outcome:
    """The status; a redirect as LOGIN (to a login page) or as its target path ("/history/")."""
    if response.status_code in (301, 302):
        location = str(response.get("Location", ""))
        return LOGIN if "/login/" in location else location.split("?")[0]
    return int(response.status_code)


def expected(world: World, rule: Rule) -> tuple[Outcome, ...]:
    staff = rule.expect[ROLES.index("other")] if rule.staff is None else rule.staff
    return tuple(e(world) if callable(e) else e for e in (*rule.expect, staff))


def url_for(world: World, route: Route, rule: Rule) -> str:
    """The concrete URL: the rule's own, a reversed URL name, or the filled-in pattern."""
    if rule.path:
        return rule.path(world)
    params = rule.params(world)
    if route.kind == "django" and route.name:
        wanted = {m.group("name") for m in PARAM.finditer(route.path)}
        return reverse(route.name, kwargs={k: v for k, v in params.items() if k in wanted})
    return fill(route.path, params)


def http_outcome(clients: Clients, route: Route, rule: Rule, role: str) -> Outcome:
    method = route.key.split(" ", 1)[0] if route.kind == "api" else rule.method
    url = url_for(clients.world, route, rule)
    # A reused client logs in before the savepoint, so that its session outlives the rollback.
    client = clients.get(role, method) if method in ("GET", "HEAD") else None
    with transaction.atomic():
        client = client or clients.fresh(role)
        kwargs: dict[str, Any] = {}
        if rule.body is not None:
            kwargs["data"] = rule.body(clients.world)
            if rule.json:
                kwargs["content_type"] = "application/json"
        response = getattr(client, method.lower())(url, **kwargs)
        transaction.set_rollback(True)
    return _outcome(response)


async def _ws(path: str, key: str | None) -> Outcome:
    from channels.testing import WebsocketCommunicator

    from slrweb.asgi import application

    headers = [(b"authorization", f"Token {key}".encode())] if key else []
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    if not connected:
        return int(code or 1000)
    await communicator.receive_json_from(timeout=10)
    await communicator.disconnect()
    return ACCEPT


def ws_outcome(world: World, route: Route, rule: Rule, role: str, keys: dict[str, str]) -> Outcome:
    return asyncio.run(_ws(url_for(world, route, rule), keys.get(role)))
