"""models/asl-signs as a default model: `load_default_models` registers it for ase/isolated,
and with the preference the site and the live tests use, silfa-letters stays the active one."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import torch
from django.core.management import call_command

from registry import selectors
from registry.models import ModelVersion, SignLanguage

MODELS = Path(__file__).resolve().parents[3] / "models"
pytestmark = pytest.mark.django_db


@pytest.fixture
def models_dir(tmp_path: Path, settings) -> Path:  # noqa: ANN001
    """The two committed ase isolated bundles, copied (registration must not touch models/)."""
    torch.set_num_threads(1)
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("asl-signs", "silfa-letters"):
        shutil.copytree(MODELS / name, tmp_path / "models" / name)
    return tmp_path / "models"


def load(models_dir: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("load_default_models", "--models-dir", str(models_dir), *args, stdout=out,
                 stderr=io.StringIO())
    return out.getvalue()


def test_asl_signs_registers_without_displacing_silfa_letters(models_dir: Path) -> None:
    out = load(models_dir, "--prefer", "silfa-letters")
    assert "registered asl-signs@1 (ase/isolated)" in out
    assert selectors.active_model("ase", "isolated").label == "silfa-letters@1"
    assert ModelVersion.objects.get(name="asl-signs").task == "isolated"
    vocabulary = set(selectors.vocabulary(SignLanguage.objects.get(code="ase")))
    assert {"hello", "thankyou", "iloveyou"} <= vocabulary and "thanks" not in vocabulary


def test_asl_signs_can_be_preferred(models_dir: Path) -> None:
    load(models_dir, "--prefer", "asl-signs")
    assert selectors.active_model("ase", "isolated").label == "asl-signs@1"
