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
    assert new.metrics["retrain"]["mode"] == "fine-tune"
    assert new.metrics["retrain"]["correction_share"] == 0.5
    assert "top1" in new.metrics["test"]["clip1"]
    assert "registered tiny-letters@2 as a candidate" in capsys.readouterr().out
    assert "accepted corrections: 2 segments" in new.card
    assert ("slrweb retrain --language ase --task isolated --from-version tiny-letters@1 "
            "--epochs 1 --steps-per-epoch 2 --device cpu\n") in new.card


def test_retrain_on_corrections_alone(active_classifier, shared_data, tmp_path):
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False)
    accepted_annotation(shared_data, tmp_path / "lm", 2, ["C", "A"], held_out=False)
    assert main(["retrain", "--language", "ase", "--no-base-data", "--epochs", "1",
                 "--steps-per-epoch", "1", "--device", "cpu"]) == 0
    new = ModelVersion.objects.get(version=2)
    assert new.metrics["retrain"]["base_runs"] == 0
    assert new.metrics["retrain"]["correction_runs"] == 4


def test_fine_tuning_starts_from_the_active_version_and_scratch_does_not(
        active_classifier, shared_data, tmp_path):
    """Fine-tuning (the default) keeps the active version's vocabulary and, with one small
    step, its weights; a retrain from scratch takes the vocabulary of the data it is given."""
    import torch

    from mlcore.bundle import read_bundle

    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False)
    common = ["retrain", "--language", "ase", "--no-base-data", "--device", "cpu",
              "--epochs", "1", "--steps-per-epoch", "1"]
    assert main([*common, "--from-scratch"]) == 0
    assert main(common) == 0
    scratch, tuned = (ModelVersion.objects.get(version=n) for n in (2, 3))
    assert (scratch.metrics["retrain"]["mode"], tuned.metrics["retrain"]["mode"]) == (
        "from scratch", "fine-tune")
    assert read_bundle(scratch.bundle_dir).vocabulary == ["A", "B"]
    assert read_bundle(tuned.bundle_dir).vocabulary == ["A", "B", "C"]
    start = read_bundle(active_classifier.bundle_dir).load_state_dict()
    state = read_bundle(tuned.bundle_dir).load_state_dict()
    # One optimiser step moves a weight by about the learning rate (BatchNorm's running
    # statistics follow the data, not the optimiser: left out).
    moved = max(float((state[k] - start[k]).abs().max()) for k in start
                if start[k].dtype == torch.float32 and "running_" not in k)
    assert 0 < moved < 0.01


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
