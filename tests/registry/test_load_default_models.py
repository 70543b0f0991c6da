"""`manage.py load_default_models`: languages, vocabularies, versions; idempotent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from registry import selectors
from registry.models import ActivationEvent, ModelVersion, SignLanguage
from tests.registry.bundles import LETTERS, translation_bundle

pytestmark = pytest.mark.django_db


def load(models_dir: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_default_models", "--models-dir", str(models_dir), *args, stdout=out,
                 stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def models_dir(tmp_path: Path, spm_path: Path) -> Path:
    root = tmp_path / "models"
    translation_bundle(root / "fingerspelling-ase", spm_path, language="asl", name="fs-ase")
    translation_bundle(root / "fingerspelling-ase-b", spm_path, name="fs-ase-b", seed=1)
    translation_bundle(root / "phoenix-gloss2text", spm_path, language="gsg", name="phoenix",
                       glosses=["WETTER", "MORGEN", "REGEN"], input_kind="gloss")
    (root / "broken").mkdir()
    (root / "broken" / "bundle.json").write_text("{")
    (root / "empty-folder").mkdir()
    return root


def test_loads_languages_vocabularies_and_activates_one_per_slot(models_dir):
    out, err = load(models_dir)
    assert "skipped broken: bundle.json is not valid JSON" in err
    assert set(SignLanguage.objects.values_list("code", "name")) == {
        ("ase", "American Sign Language"), ("gsg", "German Sign Language")}
    assert selectors.vocabulary(SignLanguage.objects.get(code="ase")) == LETTERS
    assert selectors.vocabulary(SignLanguage.objects.get(code="gsg")) == [
        "MORGEN", "REGEN", "WETTER"]
    assert ModelVersion.objects.count() == 3
    assert selectors.active_model("ase", "translation").label == "fs-ase@1"
    # A gloss-input translator cannot serve a job's landmarks: registered, not activated.
    assert selectors.active_model("gsg", "translation") is None
    assert "phoenix@1 takes glosses" in out


def test_running_again_changes_nothing(models_dir):
    load(models_dir)
    out, _ = load(models_dir)
    assert ModelVersion.objects.count() == 3
    assert ActivationEvent.objects.count() == 1
    assert "registered" not in out and "activated" not in out


def test_prefer_picks_which_bundle_goes_live(models_dir):
    load(models_dir, "--prefer", "fingerspelling-ase-b")
    assert selectors.active_model("ase", "translation").label == "fs-ase-b@1"


def test_a_retrained_bundle_becomes_a_candidate(models_dir, spm_path):
    load(models_dir)
    translation_bundle(models_dir / "fingerspelling-ase", spm_path, language="asl",
                       name="fs-ase", seed=7)
    load(models_dir)
    assert ModelVersion.objects.get(name="fs-ase", version=2).status == "candidate"
    assert selectors.active_model("ase", "translation").label == "fs-ase@1"


def test_missing_models_folder_is_fine(tmp_path):
    out, err = load(tmp_path / "nowhere")
    assert "nothing to load" in out and not err
    assert not ModelVersion.objects.exists()
