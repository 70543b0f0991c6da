"""Authentication for the JSON API: Token header, session cookie, or anonymous session.

Each class returns a Requester, the one principal type views and access checks see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader

from accounts.services import parse_token_header, user_for_token


@dataclass(frozen=True)
class Requester:
    user: Any | None  # an authenticated user, or None for an anonymous browser session
    session_key: str = ""

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None


class TokenAuth(APIKeyHeader):
    """`Authorization: Token <key>` (shown as an API key in the OpenAPI document)."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Requester | None:
        token = parse_token_header(key)
        user = user_for_token(token) if token else None
        if user is None:
            return None
        request.user = user  # type: ignore[assignment]
        return Requester(user=user)


class SessionAuth(APIKeyCookie):
    """Django's session login; CSRF is checked because browsers send the cookie on their own."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Requester | None:
        if request.user.is_authenticated:
            return Requester(user=request.user, session_key=request.session.session_key or "")
        if not settings.SLRWEB_ALLOW_ANONYMOUS:
            return None
        if not request.session.session_key:
            request.session.save()
        return Requester(user=None, session_key=request.session.session_key or "")


API_AUTH = [TokenAuth(), SessionAuth()]
