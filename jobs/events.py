"""Publishing job events to the job's Channels group (one group per job)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def group_name(job_id: Any) -> str:
    return f"job_{getattr(job_id, 'hex', str(job_id).replace('-', ''))}"


def publish(job_id: Any, event: dict[str, Any]) -> None:
    """Send one event to every WebSocket watching the job.

    Losing an event must never fail the job: the database row stays the source of truth and a
    page that reconnects gets the current state first.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(job_id), {"type": "job.event", "event": event})
    except Exception:  # noqa: BLE001 - Redis down must not kill the pipeline
        log.warning("could not publish %s for job %s", event.get("type"), job_id, exc_info=True)
