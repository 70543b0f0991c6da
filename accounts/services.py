"""Account operations used by commands, views and the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import ApiToken, hash_key


def token_expiry(days: int | None = None) -> Any:
    """When a token made now expires: after `days` (the SLRWEB_API_TOKEN_DAYS default when None);
    0 days means never."""
    days = settings.SLRWEB_API_TOKEN_DAYS if days is None else days
    return timezone.now() + timedelta(days=days) if days > 0 else None


def issue_token(user: Any, name: str = "", days: int | None = None) -> ApiToken:
    """A fresh token for `user`; its plain `key` is on the returned instance only."""
    return ApiToken.issue(user, name=name, expires=token_expiry(days))


def create_api_token(username: str, name: str = "", days: int | None = None) -> ApiToken:
    """Create the user if needed (with an unusable password) and a fresh token for them."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    return issue_token(user, name=name, days=days)


def revoke_token(user: Any, token_id: int) -> bool:
    """Revoke one of `user`'s own tokens; False when they have no such (unrevoked) token."""
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked__isnull=True).update(
        revoked=timezone.now()
    )
    return updated == 1


def user_for_token(key: str) -> AbstractBaseUser | None:
    """Return the active user owning this usable (unexpired, unrevoked) token key, or None."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None or not token.is_usable() or not token.user.is_active:
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
