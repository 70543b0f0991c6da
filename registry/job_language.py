"""The one check of the sign language a job (or the page's language picker) names.

A job's `language` must be the ISO 639-3 code of a language with an active model; a typo would
otherwise give a job that quietly succeeds with landmarks only, and a long string would not fit
the column. The JSON API (jobs.api, 400 with the valid codes) and the page's picker
(frontend.views.set_language) both call `check_language` / `job_language`.
"""

from __future__ import annotations

from django.conf import settings
from ninja import Schema

from registry.languages import normalise_code
from registry.selectors import active_languages

SHOWN = 24  # characters of a rejected value quoted back


class UnknownLanguage(ValueError):
    """Not a code of an active language; `valid` lists the codes that are."""

    def __init__(self, message: str, valid: list[str]) -> None:
        super().__init__(message)
        self.valid = valid


class LanguageErrorOut(Schema):
    """The 400 answer to an unknown language: why, and the codes that would be accepted."""

    detail: str
    languages: list[str]


def active_codes() -> list[str]:
    """ISO 639-3 codes of the languages with at least one active model, sorted."""
    return sorted(language.code for language in active_languages())


def check_language(value: str) -> str:
    """The active language's code for `value` (a code, any case, or a known abbreviation such as
    ASL); raises UnknownLanguage otherwise."""
    valid = active_codes()
    listed = ", ".join(valid) or "none (no model is active yet)"
    text = (value or "").strip()
    shown = text if len(text) <= SHOWN else text[:SHOWN] + "…"
    try:
        code = normalise_code(text)
    except ValueError:
        code = ""
    if code not in valid:
        raise UnknownLanguage(
            f"{shown!r} is not the ISO 639-3 code of a sign language with an active model; "
            f"use one of: {listed}.", valid)
    return code


def job_language(value: str | None) -> str:
    """The language of a new job: the site's default when none is named, else check_language."""
    if not (value or "").strip():
        return str(settings.SLRWEB_DEFAULT_LANGUAGE)
    return check_language(value or "")
