"""WebSocket /ws/jobs/<id>/: the current state on connect, then the job's events."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from jobs.access import can_view_job
from jobs.events import group_name
from jobs.models import Job
from jobs.serializers import job_to_dict

CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def load_visible_state(job_id: str, user: Any, session_key: str) -> dict[str, Any] | None:
    job = Job.objects.select_related("video").filter(pk=job_id).first()
    if job is None or not can_view_job(user, session_key, job):
        return None
    return job_to_dict(job)


class JobConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.job_id = self.scope["url_route"]["kwargs"]["job_id"]
        user = self.scope.get("user")
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None) or ""
        state = await load_visible_state(self.job_id, user, session_key)
        if state is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join before sending the state so that no event falls between the two.
        self.group = group_name(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "state", **state})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
