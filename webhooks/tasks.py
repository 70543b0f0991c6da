"""The Celery task that delivers a webhook, retried with exponential backoff."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from webhooks import services


@shared_task(bind=True, name="webhooks.deliver", max_retries=None, ignore_result=True)
def deliver(self: Any, delivery_id: str) -> str:
    """Try once; on a failed try schedule the next after backoff_seconds, up to max_attempts."""
    outcome = services.attempt_delivery(delivery_id)
    if outcome is services.Outcome.RETRY:
        if self.request.retries + 1 >= services.max_attempts():
            services.give_up(delivery_id)
            return "failed"
        raise self.retry(countdown=services.backoff_seconds(self.request.retries))
    return outcome.value
