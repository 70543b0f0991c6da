"""The workspace pages: initial state in the page, accessible structure, German texts."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from annotation import services

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:  # noqa: ANN001
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def embedded_state(html: str) -> dict:
    match = re.search(r'<script id="ws-state" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page embeds its initial state"
    return json.loads(match.group(1))


def test_workspace_embeds_the_state_and_is_keyboard_ready(annotator, shared_job):
    html = logged_in(annotator).get(f"/annotate/jobs/{shared_job.id}/").content.decode()
    state = embedded_state(html)
    assert state["job"]["id"] == str(shared_job.id) and state["status"] == "new"
    assert [s["gloss"] for s in state["segments"]] == ["C", "O", "B"]
    assert 'role="group" aria-label="Timeline of segments"' in html
    assert 'id="ws-status" class="ws-status" role="status" aria-live="polite"' in html
    assert "<kbd>Ctrl</kbd>+<kbd>s</kbd>" in html
    assert "/static/frontend/overlay.js" in html  # the result page's overlay, not a copy


def test_reviewer_sees_the_submitted_state(annotator, admin_user, shared_job):
    annotation = services.open_annotation(shared_job, annotator)
    services.submit_annotation(annotation, annotator, 0)
    state = embedded_state(
        logged_in(admin_user).get(f"/annotate/jobs/{shared_job.id}/").content.decode())
    assert state["status"] == "submitted"
    assert state["can_edit"] is False and state["can_review"] is True


def test_german_texts_in_page_and_script_catalog(annotator, shared_job):
    client = logged_in(annotator, "de")
    html = client.get(f"/annotate/jobs/{shared_job.id}/").content.decode()
    assert "Zur Prüfung einreichen" in html and "Entwurf speichern" in html
    catalog = client.get("/annotate/jsi18n/").content.decode()
    assert "Entwurf gespeichert (Revision %(r)s)." in catalog
    queue = client.get("/annotate/").content.decode()
    assert "Prüfwarteschlange" in queue
