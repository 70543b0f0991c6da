"""Webhook operations: register and remove, queue a job's end, try one delivery.

These functions own every write of the webhooks app. The API checks who asks; the Celery task
(webhooks.tasks.deliver) decides when to try again.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from webhooks import sending
from webhooks.addresses import UnsafeURL, check_url
from webhooks.models import EVENTS, Delivery, DeliveryAttempt, Webhook

log = logging.getLogger(__name__)
MAX_WEBHOOKS_PER_USER = 20


class InvalidWebhook(ValueError):
    """The registration is refused; the message says why (HTTP 400)."""


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    RETRY = "retry"  # no 2xx answer: try again later
    GIVE_UP = "give up"  # refused, gone or already settled: never try again


def max_attempts() -> int:
    """Tries per delivery (SLRWEB_WEBHOOK_MAX_ATTEMPTS, default 8: ~2 hours at 30 s base)."""
    return max(1, int(os.environ.get("SLRWEB_WEBHOOK_MAX_ATTEMPTS", "8")))


def backoff_seconds(retries_done: int) -> int:
    """Wait before the next try: base * 2^n, capped at an hour (base SLRWEB_WEBHOOK_RETRY_SECONDS,
    default 30)."""
    base = max(0.0, float(os.environ.get("SLRWEB_WEBHOOK_RETRY_SECONDS", "30")))
    return int(min(3600.0, base * 2 ** retries_done))


def clean_events(events: Any) -> list[str]:
    """The distinct events asked for, in order; InvalidWebhook for none or unknown ones."""
    wanted = f"a non-empty list of: {', '.join(EVENTS)}"
    if not isinstance(events, list) or not events:
        raise InvalidWebhook(f"events must be {wanted}")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidWebhook(f"unknown events {unknown!r}; events must be {wanted}")
    return list(dict.fromkeys(events))


def register_webhook(owner: Any, url: str, events: Any) -> Webhook:
    """Check the URL (public address) and events; create the webhook with a new secret."""
    events = clean_events(events)
    try:
        check_url(url)
    except UnsafeURL as exc:
        raise InvalidWebhook(f"url refused: {exc}") from exc
    if Webhook.objects.filter(owner=owner).count() >= MAX_WEBHOOKS_PER_USER:
        raise InvalidWebhook(f"at most {MAX_WEBHOOKS_PER_USER} webhooks per user; "
                             "delete one first")
    return Webhook.objects.create(owner=owner, url=url.strip(), events=events,
                                  secret=secrets.token_hex(32))


def delete_webhook(owner: Any, webhook_id: Any) -> bool:
    """Remove one of the owner's webhooks (with its log); False when they have no such one."""
    deleted, _ = Webhook.objects.filter(owner=owner, pk=webhook_id).delete()
    return bool(deleted)


def job_payload(job: Any, event: str, delivery_id: uuid.UUID) -> str:
    """The JSON body: the delivery id, the event and the job as GET /api/v1/jobs/<id>/ shows it."""
    from jobs.serializers import job_to_dict

    return json.dumps({"id": str(delivery_id), "event": event,
                       "created": timezone.now().isoformat(), "job": job_to_dict(job)},
                      ensure_ascii=False, separators=(",", ":"))


def queue_job_event(job: Any, event: str) -> list[Delivery]:
    """Create a delivery of `event` for each of the owner's webhooks that want it and send each
    from a Celery task once the transaction commits. Once per (webhook, job, event)."""
    hooks = [h for h in Webhook.objects.filter(owner_id=job.owner_id, active=True)
             if event in h.events]
    created = []
    for hook in hooks:
        delivery_id = uuid.uuid4()
        delivery, new = Delivery.objects.get_or_create(
            webhook=hook, job_id=job.pk, event=event,
            defaults={"id": delivery_id, "payload": job_payload(job, event, delivery_id)})
        if new:
            created.append(delivery)
    if created:
        from webhooks.tasks import deliver

        ids = [str(d.pk) for d in created]
        transaction.on_commit(lambda: [deliver.delay(i) for i in ids])
    return created


def attempt_delivery(delivery_id: Any) -> Outcome:
    """One try: re-check the URL (DNS rebinding), POST the signed body, log the answer."""
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return Outcome.GIVE_UP  # the webhook was deleted, or this delivery is settled
    hook = delivery.webhook
    try:
        target = check_url(hook.url)
    except UnsafeURL as exc:
        _record(delivery, None, f"refused: {exc}", "", 0, Delivery.Status.FAILED)
        return Outcome.GIVE_UP
    body = delivery.payload.encode("utf-8")
    answer = sending.post(target, body, {
        sending.SIGNATURE_HEADER: sending.signature(hook.secret, body),
        "X-Slrweb-Event": delivery.event, "X-Slrweb-Delivery": str(delivery.pk)})
    status = Delivery.Status.SUCCEEDED if answer.ok else Delivery.Status.PENDING
    error = answer.error or ("" if answer.ok else f"HTTP {answer.status}")
    _record(delivery, answer.status, error, answer.excerpt, answer.duration_ms, status)
    return Outcome.DELIVERED if answer.ok else Outcome.RETRY


def give_up(delivery_id: Any) -> None:
    """Mark a delivery failed after its last try."""
    Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED)


def _record(delivery: Delivery, status_code: int | None, error: str, excerpt: str,
            duration_ms: int, status: str) -> None:
    with transaction.atomic():
        delivery.attempts += 1
        DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts,
                                       status_code=status_code, error=error,
                                       response_excerpt=excerpt, duration_ms=duration_ms)
        delivery.status, delivery.last_status_code, delivery.last_error = status, status_code, error
        if status == Delivery.Status.SUCCEEDED:
            delivery.delivered = timezone.now()
        delivery.save(update_fields=["attempts", "status", "last_status_code", "last_error",
                                     "delivered"])
    log.info("webhook %s try %d of %s: %s", delivery.webhook_id, delivery.attempts,
             delivery.pk, status_code or error)
