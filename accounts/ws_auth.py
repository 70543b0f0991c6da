"""WebSocket authentication: the session cookie, or `Authorization: Token <key>`."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator

from accounts.services import parse_token_header, user_for_token


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from a Token header when one is sent; the session stays the default."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers", []))
        key = parse_token_header(headers.get(b"authorization", b"").decode("latin-1"))
        if key:
            user = await database_sync_to_async(user_for_token)(key)
            if user is not None:
                scope["user"] = user
        return await super().__call__(scope, receive, send)


def TokenAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 - mirrors AuthMiddlewareStack
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


class OriginCheckMiddleware:
    """Browsers always send Origin on a WebSocket: check it against ALLOWED_HOSTS (this stops
    cross-site WebSocket hijacking of the session). A client without Origin is not a browser:
    its cookies are dropped so that only a Token header can authenticate it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.browser = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        headers = scope.get("headers", [])
        if any(name == b"origin" for name, _ in headers):
            return await self.browser(scope, receive, send)
        scope = dict(scope, headers=[(n, v) for n, v in headers if n != b"cookie"])
        return await self.inner(scope, receive, send)
