"""Account operations used by commands, views and the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from accounts.models import ApiToken


def create_api_token(username: str, name: str = "") -> ApiToken:
    """Create the user if needed (with an unusable password) and a fresh token for them."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    return ApiToken.objects.create(user=user, name=name)


def user_for_token(key: str) -> AbstractBaseUser | None:
    """Return the active user owning this token key, or None."""
    token = ApiToken.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


def parse_token_header(value: str | None) -> str | None:
    """Extract the key from an `Authorization: Token <key>` header value."""
    if not value:
        return None
    scheme, _, key = value.strip().partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    return key.strip()
