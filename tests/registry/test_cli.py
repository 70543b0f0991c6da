"""`slrweb retrain`: base data + accepted corrections -> a candidate version with metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from registry import selectors, services
from registry.models import ModelVersion
from slrweb.cli import main
from tests.registry.bundles import isolated_bundle
from tests.registry.corrections import accepted_annotation

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]
ASL_NPZ = "isolated/asl_alphabet_hands/asl_alphabet_hands.npz"


@pytest.fixture
def base_data(shared_data: Path, tmp_path: Path) -> Path:
    """A slice of the real ASL alphabet hands (the first 60 frames of A, B and C)."""
    data = np.load(shared_data / ASL_NPZ)
    keep = np.concatenate([np.flatnonzero(data["y"] == letter)[:60] for letter in "ABC"])
    path = tmp_path / "asl_subset.npz"
    np.savez(path, X=data["X"][keep], y=data["y"][keep], filename=data["filename"][keep])
    return path


@pytest.fixture
def active_classifier(ase, tmp_path, base_data):
    metrics = {"data": {"format": "asl-npz", "path": str(base_data)},
               "test": {"clip1": {"top1": 0.5}}}
    version = services.register_bundle(
        isolated_bundle(tmp_path / "base", glosses=["A", "B", "C"], metrics=metrics), ase)
    services.activate_version(version)
    return version


def test_retrain_registers_a_candidate_from_base_data_and_corrections(
        active_classifier, shared_data, tmp_path, capsys):
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False)
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["C"], held_out=True)
    code = main(["retrain", "--language", "ase", "--task", "isolated", "--epochs", "1",
                 "--steps-per-epoch", "2", "--device", "cpu"])
    assert code == 0, capsys.readouterr().err
    new = ModelVersion.objects.get(name="tiny-letters", version=2)
    assert new.status == "candidate"
    assert selectors.active_model("ase", "isolated") == active_classifier
    assert new.metrics["retrain"]["from_version"] == "tiny-letters@1"
    assert new.metrics["retrain"]["correction_runs"] == 2
    assert new.metrics["retrain"]["held_out_segments"] == 1
    assert new.metrics["retrain"]["base_runs"] > 0
    assert "top1" in new.metrics["test"]["clip1"]
    assert "registered tiny-letters@2 as a candidate" in capsys.readouterr().out
    assert "accepted corrections: 2 segments" in new.card


def test_retrain_on_corrections_alone(active_classifier, shared_data, tmp_path):
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False)
    accepted_annotation(shared_data, tmp_path / "lm", 2, ["C", "A"], held_out=False)
    assert main(["retrain", "--language", "ase", "--no-base-data", "--epochs", "1",
                 "--steps-per-epoch", "1", "--device", "cpu"]) == 0
    new = ModelVersion.objects.get(version=2)
    assert new.metrics["retrain"]["base_runs"] == 0
    assert new.metrics["retrain"]["correction_runs"] == 4


def test_retrain_explains_what_is_missing(ase, tmp_path, capsys):
    assert main(["retrain", "--language", "ase"]) == 1
    assert "no active isolated model" in capsys.readouterr().err
    version = services.register_bundle(isolated_bundle(tmp_path / "b"), ase)
    services.activate_version(version)
    assert main(["retrain", "--language", "ase"]) == 2
    assert "pass --base-data PATH --base-format FORMAT" in capsys.readouterr().err
    assert main(["retrain", "--language", "xyz"]) == 2
    assert main(["retrain", "--language", "ase", "--task", "translation"]) == 1
    assert "no active translation model" in capsys.readouterr().err
