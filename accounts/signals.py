"""Signals the accounts app sends for the apps above it (which import accounts, never back)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after a browser session logs in or signs up, with `user` and `session_key`: the key the
# session had before login() rotated it. Whatever the anonymous session owned (jobs: see
# jobs.anonymous) now belongs to the user.
session_logged_in = Signal()
