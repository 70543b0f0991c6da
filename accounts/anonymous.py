"""Logging a browser session in without losing what it did anonymously: the session key changes
at login() (against session fixation), so the old key is read first and announced with
accounts.signals.session_logged_in, to which the apps owning anonymous work (jobs) listen."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from accounts.signals import session_logged_in


def announce_login(previous_key: str, user: Any) -> None:
    """Tell the apps above that the anonymous session `previous_key` is now `user`'s."""
    if previous_key and user is not None and user.is_authenticated:
        session_logged_in.send(sender=None, session_key=previous_key, user=user)


def login_and_claim(request: HttpRequest, user: Any, backend: str | None = None) -> None:
    """Log `user` in; the session's anonymous work moves to them."""
    previous_key = request.session.session_key or ""
    login(request, user, backend=backend)
    announce_login(previous_key, user)
