"""Every route the site answers, read from the running configuration (not from a list).

- Django URL patterns: walked recursively from `get_resolver().url_patterns`; a route's key is
  its namespaced name ("frontend:job"), or its full pattern when it has no name.
- django-ninja operations: every NinjaAPI mounted in the URL conf (found through the resolver)
  is read operation by operation; a key is "METHOD /path/{param}/" (one per HTTP method).
- Channels WebSocket routes: the URLRouter inside slrweb.asgi.application's "websocket" stack;
  a key is "WS /ws/path/<conv:param>/".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    key: str  # what RULES are keyed by
    kind: str  # "django", "api" or "ws"
    path: str  # "/jobs/<uuid:job_id>/" (django, ws) or "/api/v1/jobs/{job_id}/" (api)
    name: str | None = None  # the namespaced URL name (django routes)


def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[
        tuple[str, str | None, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name, pattern


def _ninja_api(pattern: URLPattern) -> Any:
    """The NinjaAPI behind a URL pattern, or None for a plain Django view."""
    from ninja import NinjaAPI
    from ninja.operation import PathView

    callback = pattern.callback
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, PathView):
        return owner  # an operation view: its API is found through its other patterns
    api = getattr(callback, "keywords", {}).get("api")  # openapi.json, docs, api root
    return api if isinstance(api, NinjaAPI) else None


def _api_routes(api: Any, mount: str) -> Iterator[Route]:
    from ninja.utils import normalize_path

    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = normalize_path("/".join(["", mount.strip("/"), prefix.strip("/"), path]))
            for operation in path_view.operations:
                for method in operation.methods:
                    yield Route(key=f"{method} {full}", kind="api", path=full)


def django_and_api_routes() -> list[Route]:
    """Plain Django routes by name (or pattern), ninja operations by method and path."""
    from ninja import NinjaAPI

    routes: dict[str, Route] = {}
    apis: dict[int, tuple[Any, str]] = {}
    operation_patterns: dict[str, Route] = {}
    for route, name, pattern in _walk(get_resolver().url_patterns):
        found = _ninja_api(pattern)
        path = "/" + route
        plain = Route(key=name or path, kind="django", path=path, name=name)
        if isinstance(found, NinjaAPI):
            apis[id(found)] = (found, path[: len(path) - len(str(pattern.pattern))])
        if found is None or isinstance(found, NinjaAPI):
            routes[plain.key] = plain
        else:
            operation_patterns[PARAM.sub(lambda m: "{%s}" % m.group("name"), path)] = plain
    api_paths = set()
    for api, mount in apis.values():
        for api_route in _api_routes(api, mount):
            routes[api_route.key] = api_route
            api_paths.add(api_route.path)
    # An operation whose API was not found above still needs a rule, under its URL name.
    for path, plain in operation_patterns.items():
        if path not in api_paths:
            routes[plain.key] = plain
    return sorted(routes.values(), key=lambda r: r.key)


def websocket_routes() -> list[Route]:
    """The routes of the URLRouter in the ASGI application's websocket stack."""
    from channels.routing import URLRouter

    from slrweb.asgi import application

    app = application.application_mapping["websocket"]
    while not isinstance(app, URLRouter):
        app = app.inner
    return [Route(key=f"WS /{route}", kind="ws", path="/" + route)
            for route, _, _ in _walk(app.routes)]


def all_routes() -> list[Route]:
    return django_and_api_routes() + websocket_routes()


def fill(path: str, params: dict[str, Any]) -> str:
    """A concrete URL: `<conv:name>` and `{name}` placeholders replaced by params[name]."""
    def value(match: re.Match[str]) -> str:
        return str(params[match.group("name")])

    path = PARAM.sub(value, path)
    return re.sub(r"\{(?P<name>[^}:]+)(?::[^}]*)?\}", value, path)
