"""New versions are scored on the language's held-out corrections, beside the active one."""

from __future__ import annotations

import pytest

from corpus.evaluation import evaluate_on_corrections
from registry import services
from tests.registry.corrections import accepted_annotation

pytestmark = pytest.mark.django_db


def test_without_corrections_there_is_no_evaluation(ase, make_bundle):
    version = services.register_bundle(make_bundle(), ase)
    assert version.evaluation == {}
    assert evaluate_on_corrections(version) == {}


def test_translation_is_scored_on_held_out_clips_only(ase, make_bundle, shared_data, tmp_path):
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=True,
                        translation="ab")
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["C"], held_out=False,
                        translation="c")
    active = services.register_bundle(make_bundle("a"), ase)
    services.activate_version(active)
    candidate = services.register_bundle(make_bundle("b", seed=1), ase)
    for version in (candidate, active):
        version.refresh_from_db()
        assert version.evaluation["clips"] == 1
        assert set(version.evaluation) >= {"bleu4", "chrf", "ctc_gloss_wer", "bleu_signature"}
        assert 0.0 <= version.evaluation["chrf"] <= 100.0


def test_isolated_versions_are_scored_per_corrected_segment(ase, shared_data, tmp_path):
    from tests.registry.bundles import isolated_bundle

    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=True)
    accepted_annotation(shared_data, tmp_path / "lm", 3, ["C"], held_out=True)
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["D"], held_out=False)
    version = services.register_bundle(isolated_bundle(tmp_path / "b"), ase)
    assert version.evaluation["segments"] == 3 and version.evaluation["clips"] == 2
    assert 0.0 <= version.evaluation["top1"] <= version.evaluation["top5"] <= 1.0
