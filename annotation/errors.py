"""Errors of annotation operations; each carries the HTTP status the API answers with."""

from __future__ import annotations


class AnnotationError(Exception):
    """An annotation operation was refused; the message is shown to the person."""

    status = 400


class InvalidAnnotation(AnnotationError):
    """The submitted state is malformed or incomplete; the message says what to fix."""


class NotAllowed(AnnotationError):
    """The person may not do this (e.g. share somebody else's job)."""

    status = 403


class AnnotationConflict(AnnotationError):
    """The annotation changed since the caller loaded it, or is not in a state that allows this."""

    status = 409
