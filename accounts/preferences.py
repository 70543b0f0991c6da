"""The sign language a person last chose, remembered per user (and per session when anonymous)."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Preference

SESSION_LANGUAGE = "slrweb_language"


def preferred_language(request: HttpRequest) -> str:
    """The remembered language code, or "" when none was chosen yet."""
    user = request.user
    if user.is_authenticated:
        preference = Preference.objects.filter(user=user).first()
        if preference is not None and preference.language:
            return preference.language
    return str(request.session.get(SESSION_LANGUAGE, ""))


def remember_language(request: HttpRequest, code: str) -> None:
    """Store the choice in the session, and in the user's Preference row when logged in."""
    request.session[SESSION_LANGUAGE] = code
    if request.user.is_authenticated:
        Preference.objects.update_or_create(user=request.user, defaults={"language": code})


def pick_language(remembered: str, available: list[str], default: str) -> str:
    """The language the picker preselects: the remembered one, else the default, else the first
    available; "" when no language has an active model."""
    for candidate in (remembered, default):
        if candidate and candidate in available:
            return candidate
    return available[0] if available else ""
