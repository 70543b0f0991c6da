"""Admin for API tokens: only the key's prefix is ever shown (the key itself is not stored)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created", "expires", "revoked")
    list_filter = ("revoked",)
    search_fields = ("user__username", "name", "prefix")
    fields = ("user", "name", "prefix", "created", "expires", "revoked")
    readonly_fields = ("user", "prefix", "created")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key made here could not be shown to anybody: users make theirs on their own page.
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        queryset.filter(revoked__isnull=True).update(revoked=timezone.now())
