"""Client helpers for talking to a live stack over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
import websockets

from tests.integration.live import LiveStack


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def upload(stack: LiveStack, token: str, path: Path, **fields: str) -> requests.Response:
    with open(path, "rb") as fh:
        return requests.post(
            stack.url + "/api/v1/jobs/", headers=auth(token),
            files={"video": (path.name, fh, "video/mp4")}, data=fields, timeout=120,
        )


def get_job(stack: LiveStack, token: str, job_id: str) -> dict[str, Any]:
    response = requests.get(stack.url + f"/api/v1/jobs/{job_id}/", headers=auth(token), timeout=30)
    response.raise_for_status()
    return response.json()


def wait_for_job(stack: LiveStack, token: str, job_id: str, timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = get_job(stack, token, job_id)
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish: {job}\n{stack.log('worker')[-3000:]}")


async def _collect(url: str, token: str, timeout: float) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with websockets.connect(url, additional_headers=auth(token), open_timeout=20) as ws:
        async with asyncio.timeout(timeout):
            async for message in ws:
                event = json.loads(message)
                events.append(event)
                if event["type"] in ("result", "error") or (
                    event["type"] == "state" and event["status"] in ("succeeded", "failed")
                ):
                    break
    return events


def run_async(coroutine: Any) -> Any:
    """asyncio.run in a thread of its own, so that it works even where the calling thread
    already runs an event loop (a sync Playwright session does)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def collect_events(stack: LiveStack, token: str, job_id: str, timeout: float = 300) -> list[dict]:
    """Every WebSocket event of a job until its result or error."""
    return run_async(_collect(stack.ws_url + f"/ws/jobs/{job_id}/", token, timeout))


async def _refused_code(url: str, token: str) -> int | None:
    try:
        async with websockets.connect(url, additional_headers=auth(token), open_timeout=20) as ws:
            await asyncio.wait_for(ws.recv(), timeout=10)
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except websockets.InvalidStatus as exc:
        return exc.response.status_code
    return None


def websocket_refusal(stack: LiveStack, token: str, job_id: str) -> int | None:
    """The close code (or HTTP status) a WebSocket to this job gets; None if it was served."""
    return run_async(_refused_code(stack.ws_url + f"/ws/jobs/{job_id}/", token))
