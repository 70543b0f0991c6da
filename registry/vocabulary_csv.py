"""Vocabulary CSV import and export (columns: gloss, description, reference_clip).

`reference_clip` holds the clip's name in the media storage; an import sets it only when that
file exists there, so a CSV moved between installations never points at nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.core.files.storage import default_storage
from django.db import transaction

from registry.errors import RegistryError
from registry.models import Gloss, SignLanguage

COLUMNS = ["gloss", "description", "reference_clip"]
MAX_GLOSS: int = Gloss._meta.get_field("gloss").max_length or 100


@dataclass
class VocabularyImport:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_clips: list[str] = field(default_factory=list)  # names not found in storage


def export_vocabulary_csv(language: SignLanguage, out: IO[str]) -> int:
    """Write the language's vocabulary as CSV to a text stream; return the number of glosses."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    rows = 0
    for gloss in Gloss.objects.filter(language=language).order_by("gloss"):
        writer.writerow([gloss.gloss, gloss.description, gloss.reference_clip.name or ""])
        rows += 1
    return rows


def import_vocabulary_csv(
    language: SignLanguage, source: IO[str] | IO[bytes] | str | Path
) -> VocabularyImport:
    """Create or update glosses from a CSV (a header with at least `gloss`), all or nothing.

    Glosses absent from the file are kept: models registered for the language may use them.
    Raises RegistryError listing every bad row by line number.
    """
    rows = _parse(_text(source))
    result = VocabularyImport()
    existing = {g.gloss: g for g in Gloss.objects.filter(language=language)}
    with transaction.atomic():
        for gloss_text, description, clip in rows:
            gloss = existing.get(gloss_text) or Gloss(language=language, gloss=gloss_text)
            before = (gloss.pk, gloss.description, gloss.reference_clip.name or "")
            if description is not None:
                gloss.description = description
            if clip:
                if default_storage.exists(clip):
                    gloss.reference_clip.name = clip
                else:
                    result.missing_clips.append(clip)
            after = (gloss.pk, gloss.description, gloss.reference_clip.name or "")
            if gloss.pk is not None and before == after:
                result.unchanged += 1
                continue
            result.created += gloss.pk is None
            result.updated += gloss.pk is not None
            gloss.save()
    return result


def _text(source: IO[str] | IO[bytes] | str | Path) -> str:
    if isinstance(source, str | Path):
        data: str | bytes = Path(source).read_bytes()
    else:
        data = source.read()
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RegistryError("the CSV file is not UTF-8 text") from exc
    return data.removeprefix("\ufeff")


def _parse(text: str) -> list[tuple[str, str | None, str]]:
    """(gloss, description or None when the column is absent, clip) per data row."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "gloss" not in header:
        raise RegistryError(f"the CSV needs a header row with a 'gloss' column ({COLUMNS})")
    reader.fieldnames = header
    rows: list[tuple[str, str | None, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        gloss = (row.get("gloss") or "").strip()
        if not gloss:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                problems.append(f"line {line}: the gloss is empty")
            continue
        if len(gloss) > MAX_GLOSS:
            problems.append(f"line {line}: gloss {gloss[:20]!r}... is longer than {MAX_GLOSS}")
        if gloss in seen:
            problems.append(f"line {line}: gloss {gloss!r} repeats line {seen[gloss]}")
        seen[gloss] = line
        description = (row.get("description") or "").strip() if "description" in header else None
        rows.append((gloss, description, (row.get("reference_clip") or "").strip()))
    if problems:
        raise RegistryError(problems)
    return rows
