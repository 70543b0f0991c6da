"""Pydantic schemas of the public job API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema


class StageOut(Schema):
    name: str
    status: Literal["pending", "running", "done", "failed"]
    percent: int
    eta_seconds: float | None = None


class JobOut(Schema):
    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: int
    language: str
    stages: list[StageOut]
    error: str | None
    result: dict[str, Any]
    video: dict[str, Any] | None  # None: a landmarks-only job (privacy mode)
    source: Literal["video", "landmarks"]
    name: str  # the uploader's file name (the video's, or the landmarks file's)
    created: str
    updated: str


class ErrorOut(Schema):
    detail: str
