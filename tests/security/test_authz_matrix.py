"""Authorisation matrix (issue 11, item 8): every URL pattern, API operation and WebSocket route,
asked by anonymous, owner, another user, annotator and admin, against the status RULES declare.

The routes come from the running configuration (tests/security/routes.py), so a route added
without a rule fails `test_every_route_has_a_rule` with its name. Jobs are plain rows (no
Celery); each request runs in a rolled-back savepoint, so one role's DELETE cannot hide the job
from the next.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from tests.security.harness import Clients, Rule, expected, http_outcome, ws_outcome
from tests.security.routes import Route, all_routes
from tests.security.rules import all_rules
from tests.security.world import ROLES, World, build_world

SAFE = ("GET", "HEAD")


def _variants(rule: Rule | list[Rule]) -> list[Rule]:
    return rule if isinstance(rule, list) else [rule]


# API and admin routes run in groups, so that no one test takes more than a few seconds.
ADMIN_GROUPS = {"auth": "admin-a", "axes": "admin-a", "accounts": "admin-a",
                "registry": "admin-b", "jobs": "admin-b"}  # any other app: admin-c
AREAS = ["pages", "api-jobs", "api-other", "admin-a", "admin-b", "admin-c"]


def _area(route: Route) -> str:
    if route.kind == "ws":
        return "ws"
    if route.kind == "api":
        return "api-jobs" if route.path.split("/")[3] == "jobs" else "api-other"
    if not route.path.startswith("/admin/"):
        return "pages"
    app = route.path.split("/")[2]
    is_model_page = app.isidentifier() and route.path.count("/") > 3
    return ADMIN_GROUPS.get(app, "admin-c") if is_model_page else "admin-a"


@pytest.fixture(scope="module")
def real_landmarks(shared_data: Path):  # noqa: ANN201
    from landmarks.formats import read_landmarks

    return read_landmarks(shared_data / "poses" / "pose_repo" / "mediapipe.pose")


@pytest.fixture
def world(settings, tmp_path, pose_test_video, real_landmarks) -> World:  # noqa: ANN001
    from axes.utils import reset

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    settings.SLRWEB_ALLOW_ANONYMOUS = False
    settings.SLRWEB_SHARE_JOBS_FOR_REVIEW = False
    settings.AXES_VERBOSE = False
    reset()
    cache.clear()  # upload and sign-up throttles
    return build_world(pose_test_video, real_landmarks)


def unruled() -> tuple[list[str], list[str]]:
    """Routes without a rule, and rules without a route."""
    rules, keys = all_rules(), {route.key for route in all_routes()}
    return sorted(keys - rules.keys()), sorted(rules.keys() - keys)


def test_every_route_has_a_rule():
    missing, stale = unruled()
    assert not missing, (
        "routes without an authorisation rule (add them to tests/security/rules.py or "
        "admin_rules.py with the status each role must get):\n  " + "\n  ".join(missing))
    assert not stale, "rules for routes that no longer exist:\n  " + "\n  ".join(stale)


def test_a_new_route_without_a_rule_is_named(settings):
    settings.ROOT_URLCONF = "tests.security.extra_urls"
    missing, _ = unruled()
    assert missing == ["GET /extra-api/ping", "brand-new", "extra-api:api-root"]


def _mismatches(world: World, routes: list[Route], keys: dict[str, str] | None = None) -> list[str]:
    rules, found, clients = all_rules(), [], Clients(world)

    def unsafe(route: Route) -> bool:
        if route.kind == "api":
            return route.key.split(" ")[0] not in SAFE
        return _variants(rules[route.key])[0].method not in SAFE

    # Reads first: a DELETE removes files (the rows come back with the savepoint, files do not).
    for route in sorted(routes, key=lambda r: (unsafe(r), r.key)):
        for index, rule in enumerate(_variants(rules[route.key])):
            want = expected(world, rule)
            if route.kind == "ws":
                got = tuple(ws_outcome(world, route, rule, role, keys or {}) for role in ROLES)
            else:
                got = tuple(http_outcome(clients, route, rule, role) for role in ROLES)
            if got != want:
                found.append(f"{route.key} [variant {index}]: expected {want}, got {got}")
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("area", AREAS)
def test_http_matrix(world, area):
    routes = [r for r in all_routes() if _area(r) == area and r.key in all_rules()]
    assert routes
    found = _mismatches(world, routes)
    assert not found, f"roles {ROLES}:\n" + "\n".join(found)


@pytest.mark.django_db(transaction=True)
def test_websocket_matrix(settings, world):
    from accounts.services import issue_token

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    keys = {role: issue_token(user).key for role, user in world.users.items() if user}
    routes = [r for r in all_routes() if r.kind == "ws"]
    assert routes
    found = _mismatches(world, routes, keys)
    assert not found, f"roles {ROLES}:\n" + "\n".join(found)
