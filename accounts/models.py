"""API tokens for non-browser clients (`Authorization: Token <key>`), and per-user preferences.

A token's key is shown once, when it is made; the database keeps only its sha256 (a leaked
database or admin screen gives nobody a usable key) and its first characters, so that the owner
can tell tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8


def generate_key() -> str:
    """A new key: 160 random bits as 40 hex digits (the format earlier tokens had)."""
    return secrets.token_hex(20)


def hash_key(key: str) -> str:
    """The stored form of a key. Plain sha256 is enough: keys are random, not passwords."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    key_hash = models.CharField(_("key sha256"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=PREFIX_LENGTH, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    # The plain key, set only on the instance `issue` returns (never stored).
    key: str = ""

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: object, name: str = "", expires: datetime | None = None) -> ApiToken:
        """Create a token; the returned instance alone carries the plain `key`."""
        key = generate_key()
        token = cls.objects.create(
            user=user, name=name, expires=expires, key_hash=hash_key(key),
            prefix=key[:PREFIX_LENGTH],
        )
        token.key = key
        return token

    def is_usable(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        now = now or timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)

    @property
    def status(self) -> str:
        if self.revoked is not None:
            return str(_("revoked"))
        if not self.is_usable():
            return str(_("expired"))
        return str(_("active"))


class Preference(models.Model):
    """Per-user choices the pages remember (the sign language picked for new jobs)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    # An ISO 639-3 code, not a foreign key: a retired language must not delete the preference.
    language = models.CharField(_("sign language"), max_length=8, blank=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'}"
