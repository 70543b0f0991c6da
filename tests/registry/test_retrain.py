"""Corrections -> training runs for `slrweb retrain` (held-out jobs and foreign glosses left out)."""

from __future__ import annotations

import pytest

from corpus.retrain import base_version, correction_runs
from tests.registry.corrections import accepted_annotation

pytestmark = pytest.mark.django_db


def test_correction_runs_leave_out_held_out_jobs_and_unknown_glosses(ase, shared_data,
                                                                     tmp_path):
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False)
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["C"], held_out=True)
    accepted_annotation(shared_data, tmp_path / "lm", 2, ["HELLO"], held_out=False)
    data = correction_runs(ase, tmp_path / "export")
    assert sorted(run.label for run in data.runs) == ["A", "B"]
    # Whole clips in corpus.split's split: the trainer must not cut them into blocks again.
    assert [run.split for run in data.runs] == ["train", "train"]
    assert all(len(run) > 0 and run.points.shape[1:] == (543, 3) for run in data.runs)
    assert data.held_out == 1
    assert data.unknown_glosses == ["HELLO"]


def test_no_corrections_give_no_runs(ase, tmp_path):
    data = correction_runs(ase, tmp_path / "export")
    assert (data.runs, data.held_out, data.unknown_glosses) == ([], 0, [])


def test_retrain_needs_a_version_to_start_from(ase):
    with pytest.raises(ValueError, match="no active isolated model"):
        base_version(ase, "isolated", None)
    with pytest.raises(ValueError, match="no isolated version 'x@3'"):
        base_version(ase, "isolated", "x@3")


def test_base_frames_are_read_as_the_version_was_trained(shared_data, tmp_path):
    """A retrain reads its base video frames with the base config's compressed copies (and hand
    recovery), as train-isolated did, not as plain Holistic frames."""
    import shutil

    from corpus.retrain import load_base_runs
    from recognition.ml.config import IsolatedConfig, TrainConfig

    (tmp_path / "B").mkdir()
    for source in sorted((shared_data / "video" / "silfa_frames" / "B").glob("frame_*.jpg"))[:4]:
        shutil.copy(source, tmp_path / "B" / source.name)
    config = IsolatedConfig(train=TrainConfig(recoded=("mpeg4-300k",))).to_dict()
    runs = load_base_runs(config, "frames", tmp_path)
    assert [r.augmented for r in runs] == [False, True]
    plain = load_base_runs(IsolatedConfig().to_dict(), "frames", tmp_path)
    assert [r.augmented for r in plain] == [False]
