"""WebSocket /ws/jobs/<id>/: the current state on connect, then the job's events.

Access is checked again before every event and every SLRWEB_WS_ACCESS_RECHECK_SECONDS while
nothing happens, with the viewer as they are NOW (token revoked or expired, session logged out,
role revoked, review share withdrawn, job deleted): a viewer who lost access is closed with
4403 and gets nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError

from accounts.services import parse_token_header, user_for_token
from jobs.access import can_view_job
from jobs.events import group_name
from jobs.models import Job
from jobs.serializers import job_to_dict

CLOSE_FORBIDDEN = 4403
CLOSE_SERVER_ERROR = 1011
log = logging.getLogger(__name__)


@database_sync_to_async
def load_visible_state(job_id: str, user: Any, session_key: str) -> dict[str, Any] | None:
    job = Job.objects.select_related("video").filter(pk=job_id).first()
    if job is None or not can_view_job(user, session_key, job):
        return None
    return job_to_dict(job)


def viewer_now(token_key: str | None, session_key: str) -> Any:
    """Who the socket's credentials name at this moment (as accounts.ws_auth resolved them at
    connect): the token's user while it is usable, else the session's logged-in user."""
    if token_key:
        user = user_for_token(token_key)
        if user is not None:
            return user
    if not session_key:
        return AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]


@database_sync_to_async
def still_visible(job_id: str, token_key: str | None, session_key: str) -> bool:
    job = Job.objects.filter(pk=job_id).first()
    return job is not None and can_view_job(viewer_now(token_key, session_key), session_key, job)


class JobConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    watcher: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.job_id = self.scope["url_route"]["kwargs"]["job_id"]
        user = self.scope.get("user")
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None) or ""
        headers = dict(self.scope.get("headers") or [])
        self.token_key = parse_token_header(headers.get(b"authorization", b"").decode("latin-1"))
        state = await load_visible_state(self.job_id, user, self.session_key)
        if state is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # Join before sending the state so that no event falls between the two.
        self.group = group_name(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "state", **state})
        self.watcher = asyncio.create_task(self.watch_access())

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
            self.watcher = None
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None

    async def job_event(self, message: dict[str, Any]) -> None:
        if await self.allowed():
            await self.send_json(message["event"])

    async def watch_access(self) -> None:
        """Close a quiet socket too once its viewer loses access (no event would tell)."""
        while True:
            await asyncio.sleep(settings.SLRWEB_WS_ACCESS_RECHECK_SECONDS)
            if not await self.allowed():
                return

    async def allowed(self) -> bool:
        """Whether the viewer may still see the job; closes the socket (4403) when not."""
        if self.group is None:
            return False
        code = CLOSE_FORBIDDEN
        try:
            if await still_visible(self.job_id, self.token_key, self.session_key):
                return True
        except DatabaseError:
            # Access cannot be verified: send nothing. 1011 (not 4403) makes the page reconnect
            # with back-off and get the current state once the database answers again.
            log.warning("job %s: access re-check failed; closing the socket", self.job_id,
                        exc_info=True)
            code = CLOSE_SERVER_ERROR
        await self.channel_layer.group_discard(self.group, self.channel_name)
        self.group = None
        await self.close(code=code)
        return False
