"""API tokens for non-browser clients (`Authorization: Token <key>`)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def generate_key() -> str:
    return secrets.token_hex(20)


class ApiToken(models.Model):
    key = models.CharField(_("key"), max_length=40, unique=True, default=generate_key)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.key[:6]}…)"


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
