"""Request size limits, enforced before an upload's body is spooled (issue 11, item 2).

Three layers, each cheaper than the next one's work:
- `BodyLimitASGIMiddleware` wraps the ASGI app. Django's ASGI handler reads the WHOLE body into a
  spooled temporary file before any middleware or view runs, so this is the only place a 10 GB
  POST can be stopped before it reaches the disk: by its Content-Length at once, or, for a
  chunked body, as soon as the bytes received pass the limit.
- `UploadLimitMiddleware` checks Content-Length again (WSGI and the test client skip the ASGI
  layer) and parses multipart bodies early through `LimitedUploadHandler`, turning its refusal
  into a 413 for every view (the ninja API and the admin's forms alike).
- `LimitedUploadHandler`, first in FILE_UPLOAD_HANDLERS, stops a file part at the limit before
  the handlers after it write it to memory or disk.

Limits per route: videos SLRWEB_MAX_UPLOAD_BYTES, .eaf files SLRWEB_MAX_EAF_BYTES, model bundles
SLRWEB_MAX_BUNDLE_BYTES, any other request SLRWEB_MAX_REQUEST_BYTES. A named file field may have
its own, lower limit on a route (FIELD_LIMITS: a job's `landmarks` file,
SLRWEB_MAX_LANDMARKS_BYTES, within the route's SLRWEB_MAX_UPLOAD_BYTES).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

# Room for multipart boundaries, part headers and the small form fields beside the file.
MULTIPART_SLACK = 64 * 1024

ROUTE_LIMITS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/api/v1/jobs/?$"), "SLRWEB_MAX_UPLOAD_BYTES"),
    (re.compile(r"^/api/v1/annotation/jobs/[^/]+/import-eaf/?$"), "SLRWEB_MAX_EAF_BYTES"),
    (re.compile(r"^/admin/registry/modelversion/add/?$"), "SLRWEB_MAX_BUNDLE_BYTES"),
    (re.compile(r"^/api/v1/registry/versions/?$"), "SLRWEB_MAX_BUNDLE_BYTES"),
    (re.compile(r"^/api/v1/registry/versions/?$"), "SLRWEB_MAX_BUNDLE_BYTES"),
]
DEFAULT_LIMIT = "SLRWEB_MAX_REQUEST_BYTES"
# (route, multipart field name) -> the setting limiting that one file on that route.
FIELD_LIMITS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^/api/v1/jobs/?$"), "landmarks", "SLRWEB_MAX_LANDMARKS_BYTES"),
]


class RequestTooLarge(MultiPartParserError):
    """An upload passed its route's limit; Django answers 400 if it ever escapes a middleware."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The upload is larger than the limit of {limit_text(limit)}.")
        self.limit = limit


def limit_text(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def file_limit(path: str) -> int:
    """The most bytes one uploaded file may have on this route."""
    for pattern, setting in ROUTE_LIMITS:
        if pattern.match(path):
            return int(getattr(settings, setting))
    return int(getattr(settings, DEFAULT_LIMIT))


def field_limit(path: str, field_name: str | None) -> int:
    """The most bytes the file in multipart field `field_name` may have on this route."""
    for pattern, field, setting in FIELD_LIMITS:
        if field == field_name and pattern.match(path):
            return min(int(getattr(settings, setting)), file_limit(path))
    return file_limit(path)


def body_limit(path: str) -> int:
    """The most bytes a whole request body may have on this route (a field's own limit only
    lowers what that one file may have: the body is refused before anyone reads its fields)."""
    return file_limit(path) + MULTIPART_SLACK


def parse_length(value: str | bytes | None) -> int | None:
    try:
        return int(value) if value not in (None, b"", "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


def too_large_body(path: str) -> bytes:
    return json.dumps({"detail": str(RequestTooLarge(file_limit(path)))}).encode()


class LimitedUploadHandler(FileUploadHandler):
    """Passes chunks on to the next handler until a file or the body passes the route's limit."""

    limit = 0
    received = 0

    def handle_raw_input(
        self, input_data: Any, META: dict[str, Any], content_length: int, boundary: str,
        encoding: str | None = None,
    ) -> None:
        if self.request is None:
            self.limit = 0
            if content_length > MULTIPART_SLACK:
                raise RequestTooLarge(0)
            return
        self.limit = file_limit(self.request.path)
        if content_length > body_limit(self.request.path):
            raise RequestTooLarge(self.limit)

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if self.request is not None:
            self.limit = field_limit(self.request.path, field_name)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise RequestTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file


class UploadLimitMiddleware:
    """413 for a body or an uploaded file above its route's limit, before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = parse_length(request.META.get("CONTENT_LENGTH"))
        if length is not None and length > body_limit(request.path):
            return self.refuse(request.path)
        if request.method in {"POST", "PUT", "PATCH"} and request.content_type == (
            "multipart/form-data"
        ):
            try:
                request.FILES  # noqa: B018 - parse now, through LimitedUploadHandler
            except RequestTooLarge as exc:  # names the limit of the field that passed it
                return JsonResponse({"detail": str(exc)}, status=413)
        return self.get_response(request)

    @staticmethod
    def refuse(path: str) -> HttpResponse:
        return JsonResponse(json.loads(too_large_body(path)), status=413)


ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


class BodyLimitASGIMiddleware:
    """Refuse an HTTP body above its route's limit before Django spools it (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        headers = dict(scope.get("headers") or [])
        length = parse_length(headers.get(b"content-length"))
        if length is not None and length > limit:
            await self._refuse(send, scope["path"])  # not one byte of the body is read
            return
        state = {"received": 0, "refused": False, "started": False}

        async def limited_receive() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["refused"] = True
                    return {"type": "http.disconnect"}  # Django stops reading and answers nothing
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if state["refused"] and not state["started"]:
            await self._refuse(send, scope["path"])

    @staticmethod
    async def _refuse(send: Any, path: str) -> None:
        body = too_large_body(path)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})
