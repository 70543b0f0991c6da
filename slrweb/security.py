"""Content-Security-Policy for every response (Django 5.2 has no built-in CSP).

The policy (settings.SLRWEB_CSP) allows scripts from this origin only: the pages load their JS
from static files and keep no inline script, so an injected <script> does not run. A response
that already carries a CSP keeps it: files served from uploads set a stricter sandbox
(jobs.media). An empty SLRWEB_CSP turns the header off.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        policy = getattr(settings, "SLRWEB_CSP", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
