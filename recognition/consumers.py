"""WebSocket /ws/live/<language>/: live mode, landmark frames in, recognised signs out.

Client -> server: binary frames messages (recognition.live), then {"type": "stop"} (the camera
is off: the result of everything sent) and optionally {"type": "save"} (a landmarks-only job of
the frames, made by the same code as an uploaded .npz). Server -> client: "ready" on connect,
"loaded" once the model is in memory, "segment" events as the streaming spotter settles signs, "result", "saved", and "error" with a
`code` for a refused message (the session goes on). Who may connect is who may create a job:
a logged-in user or token, or an anonymous browser session where the site allows them.

The model runs in a small thread pool, never on the event loop; one recognition at a time per
socket, on the newest frames (a slow model skips prefixes rather than falling behind).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.services import parse_token_header
from jobs.consumers import CLOSE_FORBIDDEN, viewer_now
from recognition.live import FRAME_VALUES, LiveError, LiveLimits, LiveSession

CLOSE_NOT_FOUND = 4404
TOP_K = 5
log = logging.getLogger(__name__)
_executor: ThreadPoolExecutor | None = None


def model_executor() -> ThreadPoolExecutor:
    """The threads live recognition runs in (SLRWEB_LIVE_THREADS per web process)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=int(settings.SLRWEB_LIVE_THREADS),
                                       thread_name_prefix="live-model")
    return _executor


def live_limits() -> LiveLimits:
    slack = settings.SLRWEB_LIVE_CLOCK_SLACK_SECONDS
    return LiveLimits(
        fps=float(settings.SLRWEB_LIVE_FPS),
        max_seconds=min(float(settings.SLRWEB_LIVE_MAX_SECONDS),
                        float(settings.SLRWEB_MAX_DURATION_SECONDS)),
        step_seconds=float(settings.SLRWEB_LIVE_STEP_SECONDS),
        clock_slack_seconds=None if slack is None else float(slack),
    )


@database_sync_to_async
def live_model(language: str) -> Any:
    """The active isolated-sign version for the language (a code or known name), or None."""
    from registry.job_language import UnknownLanguage, check_language
    from registry.selectors import active_model

    try:
        return active_model(check_language(language), "isolated")
    except UnknownLanguage:
        return None


def spotter_for(version: Any) -> Any:
    """A StreamingSpotter on the version's predictor (loaded once per process)."""
    from recognition.ml.streaming import StreamingSpotter
    from registry.runtime import get_predictor

    return StreamingSpotter(get_predictor(version), top_k=TOP_K)


def may_go_live(user: Any, session_key: str) -> bool:
    """Who may use the live socket and save its frames as a job (whoever may create a job): a
    signed-in user or token, or an anonymous browser session where the site allows them."""
    signed_in = bool(user is not None and user.is_authenticated)
    return signed_in or bool(settings.SLRWEB_ALLOW_ANONYMOUS and session_key)


@database_sync_to_async
def save_live_job(session: LiveSession, scope: dict[str, Any], token_key: str | None,
                  session_key: str, language: str) -> dict[str, Any]:
    """A landmarks-only job of the session's frames, for whoever the socket names now."""
    from accounts.api_auth import Requester
    from accounts.throttling import upload_throttle
    from jobs import services

    user = viewer_now(token_key, session_key)
    if not may_go_live(user, session_key):
        raise LiveError("forbidden", "Log in to save a live recording.")
    owner = user if user.is_authenticated else None
    # The same per-user (else per-address) limit as uploads through the API.
    client = (scope.get("client") or ["unknown"])[0]
    asker = SimpleNamespace(auth=Requester(user=owner, session_key=session_key),
                            META={"REMOTE_ADDR": client})
    if not upload_throttle().allow_request(asker):  # type: ignore[arg-type]
        raise LiveError("throttled", "Too many new jobs; try again later.")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    try:
        job = services.create_landmarks_job(
            chunks=[session.npz_bytes()], filename=f"live-{stamp}.npz", owner=owner,
            session_key=session_key, language=language)
    except services.UploadRejected as exc:
        raise LiveError("rejected", str(exc)) from exc
    return {"job_id": str(job.id), "url": f"/jobs/{job.id}/"}


class LiveConsumer(AsyncJsonWebsocketConsumer):
    session: LiveSession
    worker: asyncio.Task[None] | None = None
    spotter: Any = None
    saved: dict[str, Any] | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.session_key = getattr(self.scope.get("session"), "session_key", None) or ""
        headers = dict(self.scope.get("headers") or [])
        self.token_key = parse_token_header(headers.get(b"authorization", b"").decode("latin-1"))
        if not may_go_live(user, self.session_key):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.version = await live_model(self.scope["url_route"]["kwargs"]["language"])
        if self.version is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.session = LiveSession(live_limits())
        limits = self.session.limits
        await self.accept()
        # Load the model while the person gets ready: the first frames should not wait for it.
        self.worker = asyncio.create_task(self.warm_up())
        await self.send_json({
            "type": "ready", "language": self.version.language.code,
            "model": self.version.label, "fps": limits.fps, "max_seconds": limits.max_seconds,
            "frame_values": FRAME_VALUES, "max_frames_per_message": limits.max_frames_per_message,
        })

    async def disconnect(self, code: int) -> None:
        if self.worker is not None:
            self.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None,
                      **kwargs: Any) -> None:
        if bytes_data is not None:
            await self.frames(bytes_data)
            return
        try:
            content = await self.decode_json(text_data or "")
        except ValueError:
            content = None  # answered as an unknown message below
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        handler = {"stop": self.stop, "save": self.save}.get(str(kind))
        if handler is None:
            await self.error("bad-message", "Send frames as binary messages, or a JSON "
                                            "message of type 'stop' or 'save'.")
            return
        await handler()

    async def frames(self, data: bytes) -> None:
        try:
            self.session.add(data)
        except LiveError as exc:
            await self.error(exc.code, str(exc))
            return
        if self.session.due() and (self.worker is None or self.worker.done()):
            self.worker = asyncio.create_task(self.recognize_while_due())

    async def recognize_while_due(self) -> None:
        while self.session.due():
            prefix = self.session.take_prefix()
            segments = await self.run_model(lambda spotter: spotter.feed(prefix))
            for segment in segments or []:
                await self.send_json({"type": "segment", **segment, "model": self.version.label})

    async def warm_up(self) -> None:
        """Load the model; "loaded" tells the page that signs can be read without delay."""
        began = time.perf_counter()
        try:
            await asyncio.get_running_loop().run_in_executor(model_executor(), self.loaded_spotter)
        except Exception:  # noqa: BLE001 - the user learns it; the log keeps the details
            log.exception("live: %s could not be loaded", self.version.label)
            await self.error("model", "The sign model could not be loaded.")
            return
        await self.send_json({"type": "loaded",
                              "seconds": round(time.perf_counter() - began, 3)})

    def loaded_spotter(self) -> Any:
        """This socket's spotter, made on first use (in a model thread: loading takes a while)."""
        if self.spotter is None:
            self.spotter = spotter_for(self.version)
        return self.spotter

    async def run_model(self, work: Any) -> Any:
        """work(spotter) in the model threads; None (and an error sent) when the model fails."""
        try:
            return await asyncio.get_running_loop().run_in_executor(
                model_executor(), lambda: work(self.loaded_spotter()))
        except Exception:  # noqa: BLE001 - the user learns it; the log keeps the details
            log.exception("live recognition failed (%s)", self.version.label)
            await self.error("model", "The sign model could not read these frames.")
            return None

    async def stop(self) -> None:
        """The result of every frame received and the signs not yet sent; no more frames."""
        if self.worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.worker
        if self.session.finished:
            return
        whole = self.session.take_whole()
        found = await self.run_model(lambda spotter: spotter.finish(whole))
        if found is None:
            return
        result, rest = found
        for segment in rest:
            await self.send_json({"type": "segment", **segment, "model": self.version.label})
        await self.send_json({"type": "result",
                              "recognition": {**result, "model": self.version.label}})

    async def save(self) -> None:
        """A landmarks-only job of this session (once); stops the session first."""
        if self.saved is not None:
            await self.send_json({"type": "saved", **self.saved})
            return
        await self.stop()
        if self.session.frames < 2:
            await self.error("empty", "Nothing to save: no frames were received.")
            return
        try:
            self.saved = await save_live_job(self.session, self.scope, self.token_key,
                                             self.session_key, self.version.language.code)
        except LiveError as exc:
            await self.error(exc.code, str(exc))
            return
        await self.send_json({"type": "saved", **self.saved})

    async def error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})
