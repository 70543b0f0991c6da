"""Upload size limits hold before the body is spooled (issue 11, item 2): for videos, .eaf files
and model bundles, by Content-Length at the ASGI door, by counting a chunked body there, and by
the upload handler that stops a file part at its limit."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client

from accounts.services import create_api_token
from jobs.models import Job
from jobs.uploads import MULTIPART_SLACK, ROUTE_LIMITS

LIMIT = 100_000
ROUTES = [
    ("/api/v1/jobs/", "SLRWEB_MAX_UPLOAD_BYTES"),
    (f"/api/v1/annotation/jobs/{uuid.uuid4()}/import-eaf", "SLRWEB_MAX_EAF_BYTES"),
    ("/admin/registry/modelversion/add/", "SLRWEB_MAX_BUNDLE_BYTES"),
    ("/api/v1/registry/versions/", "SLRWEB_MAX_BUNDLE_BYTES"),
]
IDS = ["video", "eaf", "bundle-admin", "bundle-api"]


def http_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"localhost"), *headers],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}


async def call_asgi(scope: dict[str, Any], receive: Any) -> tuple[int, dict[str, Any]]:
    from slrweb.asgi import application

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await application(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body or b"{}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "setting"), ROUTES, ids=IDS)
def test_over_limit_content_length_is_refused_without_reading_the_body(settings, path, setting):
    setattr(settings, setting, LIMIT)

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    scope = http_scope(path, [(b"content-length", str(50 * 1024**3).encode()),
                              (b"content-type", b"multipart/form-data; boundary=x")])
    status, body = asyncio.run(call_asgi(scope, receive))
    assert status == 413
    assert body["detail"] == f"The upload is larger than the limit of {LIMIT} bytes."


@pytest.mark.django_db(transaction=True)
def test_chunked_body_stops_being_read_at_the_limit(settings):
    settings.SLRWEB_MAX_UPLOAD_BYTES = LIMIT
    chunk = b"\0" * 16384
    read = {"bytes": 0}

    async def endless() -> dict[str, Any]:  # a client that never stops sending
        read["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    scope = http_scope("/api/v1/jobs/", [(b"content-type", b"multipart/form-data; boundary=x")])
    status, _ = asyncio.run(call_asgi(scope, endless))
    assert status == 413
    assert read["bytes"] <= LIMIT + MULTIPART_SLACK + len(chunk)


@pytest.mark.django_db(transaction=True)
def test_a_body_within_the_limit_goes_through(settings):
    settings.SLRWEB_MAX_EAF_BYTES = LIMIT
    body = b"x" * 1000
    calls = {"n": 0}

    async def once() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] > 1:  # Django then listens for a disconnect that never comes
            await asyncio.Event().wait()
        return {"type": "http.request", "body": body, "more_body": False}

    path = f"/api/v1/annotation/jobs/{uuid.uuid4()}/import-eaf"
    scope = http_scope(path, [(b"content-length", str(len(body)).encode()),
                              (b"content-type", b"text/plain")])
    status, _ = asyncio.run(call_asgi(scope, once))
    assert status not in (413, 500)  # reaches the view (which wants a login and a form)


@pytest.fixture
def handler_spy(monkeypatch) -> dict[str, int]:
    """Bytes and files that reached Django's own handlers (memory, temporary file)."""
    seen = {"bytes": 0, "files": 0}
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original_chunk, original_new = handler.receive_data_chunk, handler.new_file

        def receive(self, raw_data, start, _original=original_chunk):  # noqa: ANN001, ANN202
            seen["bytes"] += len(raw_data)
            return _original(self, raw_data, start)

        def new_file(self, *args, _original=original_new, **kwargs):  # noqa: ANN001, ANN202
            seen["files"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(handler, "receive_data_chunk", receive)
        monkeypatch.setattr(handler, "new_file", new_file)
    return seen


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "setting"), ROUTES, ids=IDS)
def test_over_limit_upload_is_refused_before_any_handler_keeps_it(settings, handler_spy, path,
                                                                  setting):
    setattr(settings, setting, LIMIT)
    client = Client(HTTP_AUTHORIZATION=f"Token {create_api_token('big').key}")
    big = SimpleUploadedFile("big.bin", b"\0" * (LIMIT + 2 * MULTIPART_SLACK))
    response = client.post(path, {"video": big, "file": big, "bundle": big})
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert handler_spy == {"bytes": 0, "files": 0}  # refused by Content-Length alone


@pytest.mark.django_db
def test_upload_handler_stops_a_file_at_the_limit(settings, handler_spy, media_root):
    # Within Content-Length's slack, so only the handler's count can catch it.
    settings.SLRWEB_MAX_UPLOAD_BYTES = LIMIT
    client = Client(HTTP_AUTHORIZATION=f"Token {create_api_token('big').key}")
    video = SimpleUploadedFile("big.mp4", b"\0" * (LIMIT + MULTIPART_SLACK // 2))
    response = client.post("/api/v1/jobs/", {"video": video})
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert 0 < handler_spy["bytes"] <= LIMIT
    assert Job.objects.count() == 0 and not list(media_root.rglob("*.*"))


@pytest.fixture
def media_root(settings, tmp_path):  # noqa: ANN001, ANN201
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def test_every_api_route_taking_a_file_has_its_own_limit():
    """A new upload route must choose its limit (else it silently gets the request default)."""
    import inspect
    import re

    from slrweb.api import api

    uploads = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                params = inspect.signature(operation.view_func).parameters.values()
                if any("UploadedFile" in str(p.annotation) for p in params):
                    url = "/api/v1" + (prefix.rstrip("/") + path).replace("//", "/")
                    uploads.append(re.sub(r"\{[^}]+\}", str(uuid.uuid4()), url))
    assert len(uploads) >= 3  # videos, .eaf files, bundles
    for url in uploads:
        assert any(pattern.match(url) for pattern, _ in ROUTE_LIMITS), url
