"""Rate limits on uploads and sign-ups, with django-ninja's cache-based throttle.

The rate is read from a Django setting on every request (not once at import, as ninja's
classes do), so that an administrator's setting and a test's override both take effect.
Counters live in Django's default cache: per process with the local-memory cache, shared by all
processes when CACHES points at Redis.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import SimpleRateThrottle


def client_address(request: HttpRequest) -> str:
    """The peer address. X-Forwarded-For is not read here: a client can write anything in it;
    behind a trusted proxy the server (Daphne's --proxy-headers) puts the real one in REMOTE_ADDR."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


class SettingRateThrottle(SimpleRateThrottle):
    """A throttle whose "N/period" rate is the Django setting `setting_name`."""

    def __init__(self, scope: str, setting_name: str) -> None:
        self.scope, self.setting_name = scope, setting_name
        super().__init__(rate=self.current_rate())

    def current_rate(self) -> str:
        return str(getattr(settings, self.setting_name))

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = self.current_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.ident(request)}

    def ident(self, request: HttpRequest) -> str:
        return f"ip:{client_address(request)}"


class UserRateThrottle(SettingRateThrottle):
    """Per authenticated user (whichever way they authenticated), else per client address:
    an anonymous browser session is free to make, so it cannot be the unit."""

    def ident(self, request: HttpRequest) -> str:
        who = getattr(request, "auth", None)
        user = getattr(who, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return f"user:{user.pk}"
        return super().ident(request)


def upload_throttle() -> UserRateThrottle:
    """The limit on POST /api/v1/jobs/ (SLRWEB_UPLOAD_RATE)."""
    return UserRateThrottle("upload", "SLRWEB_UPLOAD_RATE")


SIGNUP_THROTTLE = SettingRateThrottle("signup", "SLRWEB_SIGNUP_RATE")
