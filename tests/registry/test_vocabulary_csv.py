"""Vocabulary CSV export and import."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from registry import selectors, services
from registry.errors import RegistryError
from registry.models import Gloss

pytestmark = pytest.mark.django_db


def export(language) -> str:
    out = io.StringIO()
    services.export_vocabulary_csv(language, out)
    return out.getvalue()


def test_round_trip_keeps_glosses_descriptions_and_clips(ase):
    clip = default_storage.save("registry/clips/ase/a.mp4", ContentFile(b"clip"))
    Gloss.objects.filter(language=ase, gloss="A").update(
        description='Fist, thumb at the side; "A"', reference_clip=clip)
    Gloss.objects.filter(language=ase, gloss="B").update(description="Flat hand,\nthumb in")
    text = export(ase)
    assert text.splitlines()[0] == "gloss,description,reference_clip"

    copy = services.ensure_language("bfi")
    result = services.import_vocabulary_csv(copy, io.BytesIO(text.encode("utf-8")))
    assert (result.created, result.updated, result.unchanged) == (26, 0, 0)
    assert export(copy) == text
    again = services.import_vocabulary_csv(copy, io.StringIO(text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 26)
    assert Gloss.objects.get(language=copy, gloss="A").reference_clip.name == clip


def test_import_updates_and_adds_but_never_deletes(ase):
    csv_text = "\ufeffGloss,Description\nA,first letter\nHELLO,greeting\n"
    result = services.import_vocabulary_csv(ase, io.BytesIO(csv_text.encode("utf-8")))
    assert (result.created, result.updated) == (1, 1)
    assert len(selectors.vocabulary(ase)) == 27
    assert Gloss.objects.get(language=ase, gloss="A").description == "first letter"


def test_a_gloss_only_file_keeps_descriptions(ase):
    Gloss.objects.filter(language=ase, gloss="A").update(description="kept")
    services.import_vocabulary_csv(ase, io.StringIO("gloss\nA\n"))
    assert Gloss.objects.get(language=ase, gloss="A").description == "kept"


def test_missing_clips_are_reported_not_linked(ase):
    result = services.import_vocabulary_csv(
        ase, io.StringIO("gloss,reference_clip\nA,registry/clips/ase/nowhere.mp4\n"))
    assert result.missing_clips == ["registry/clips/ase/nowhere.mp4"]
    assert not Gloss.objects.get(language=ase, gloss="A").reference_clip


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(ase):
    text = "gloss,description\nNEW,ok\n,orphan description\nNEW,again\n" + "X" * 101 + ",\n"
    with pytest.raises(RegistryError) as info:
        services.import_vocabulary_csv(ase, io.StringIO(text))
    assert info.value.problems == [
        "line 3: the gloss is empty",
        "line 4: gloss 'NEW' repeats line 2",
        "line 5: gloss 'XXXXXXXXXXXXXXXXXXXX'... is longer than 100",
    ]
    assert not Gloss.objects.filter(gloss="NEW").exists()


def test_a_file_without_gloss_header_or_not_utf8_is_refused(ase):
    with pytest.raises(RegistryError, match="'gloss' column"):
        services.import_vocabulary_csv(ase, io.StringIO("word,meaning\nA,x\n"))
    with pytest.raises(RegistryError, match="not UTF-8"):
        services.import_vocabulary_csv(ase, io.BytesIO("gloss\nÄ\n".encode("latin-1")))
