"""HTTP API of webhooks: register (the secret is shown once), list and delete your own."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from accounts.api_auth import API_AUTH
from jobs.schemas import ErrorOut
from webhooks import services
from webhooks.models import Webhook
from webhooks.schemas import WebhookCreatedOut, WebhookIn, WebhookOut

router = Router(tags=["webhooks"], auth=API_AUTH)


def _owner(request: HttpRequest) -> Any:
    """The logged-in user (token or session); anonymous browser sessions have no webhooks."""
    user = request.auth.user  # type: ignore[attr-defined]
    if user is None:
        raise HttpError(401, "Log in or send an API token to manage webhooks.")
    return user


def _out(hook: Webhook) -> dict[str, Any]:
    return {"id": str(hook.pk), "url": hook.url, "events": hook.events,
            "created": hook.created.isoformat()}


@router.post("/webhooks/", response={201: WebhookCreatedOut, 400: ErrorOut, 401: ErrorOut})
def create_webhook(request: HttpRequest, payload: WebhookIn) -> tuple[int, dict[str, Any]]:
    """Register a URL for job events; the answer holds its signing secret, shown only now."""
    try:
        hook = services.register_webhook(_owner(request), payload.url, payload.events)
    except services.InvalidWebhook as exc:
        return 400, {"detail": str(exc)}
    return 201, {"id": str(hook.pk), "url": hook.url, "events": hook.events,
                 "secret": hook.secret}


@router.get("/webhooks/", response={200: list[WebhookOut], 401: ErrorOut})
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    """Your webhooks (never their secrets)."""
    return [_out(h) for h in Webhook.objects.filter(owner=_owner(request))]


@router.delete("/webhooks/{webhook_id}/", response={204: None, 401: ErrorOut, 404: ErrorOut})
def delete_webhook(request: HttpRequest, webhook_id: uuid.UUID) -> tuple[int, None]:
    """Remove one of your webhooks; somebody else's is a 404, as if it did not exist."""
    if not services.delete_webhook(_owner(request), webhook_id):
        raise HttpError(404, "No such webhook.")
    return 204, None
