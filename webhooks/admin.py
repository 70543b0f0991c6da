"""Admin: webhooks (without their secrets) and the delivery log, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from webhooks.models import Delivery, DeliveryAttempt, Webhook


class ReadOnly(admin.ModelAdmin):
    """Rows are written by the API and the delivery task only; admins look (and may delete)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(ReadOnly):
    list_display = ("url", "owner", "events", "active", "created")
    list_filter = ("active",)
    search_fields = ("url", "owner__username")
    exclude = ("secret",)
    readonly_fields = ("id", "owner", "url", "events", "active", "created")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "created", "status_code", "error", "duration_ms", "response_excerpt")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("created", "event", "job_id", "webhook", "status", "attempts",
                    "last_status_code", "delivered")
    list_filter = ("status", "event")
    search_fields = ("job_id", "webhook__url", "webhook__owner__username")
    list_select_related = ("webhook",)
    readonly_fields = ("id", "webhook", "job_id", "event", "status", "attempts",
                       "last_status_code", "last_error", "created", "delivered", "payload")
    inlines = [AttemptInline]
