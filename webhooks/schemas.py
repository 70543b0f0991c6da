"""Pydantic schemas of the webhook API (they make the OpenAPI document)."""

from __future__ import annotations

from ninja import Schema


class WebhookIn(Schema):
    url: str
    events: list[str]


class WebhookOut(Schema):
    id: str
    url: str
    events: list[str]
    created: str


class WebhookCreatedOut(Schema):
    """The creation answer: the only time the secret is ever shown."""

    id: str
    url: str
    events: list[str]
    secret: str
