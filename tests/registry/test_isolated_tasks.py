"""Worker tasks of the isolated-sign task: the admin's retrain and a shadow evaluation of an
isolated classifier (spotting on the jobs' cached landmarks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.files import read_landmarks
from recognition.ml.infer import IsolatedPredictor
from registry import services
from registry.background import start
from registry.models import RegistryTask
from tests.registry.bundles import isolated_bundle
from tests.registry.corrections import accepted_annotation
from tests.registry.tasks_support import unlabelled_job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture
def classifiers(ase, tmp_path):  # noqa: ANN001, ANN201
    active = services.register_bundle(isolated_bundle(tmp_path / "a"), ase)
    services.activate_version(active)
    return active, services.register_bundle(isolated_bundle(tmp_path / "b", seed=7), ase)


def spotted(version, job) -> str:  # noqa: ANN001
    predictor = IsolatedPredictor.from_bundle(version.bundle_dir)
    segments = predictor.recognize(read_landmarks(job.landmarks_file), top_k=1)["segments"]
    return " ".join(s["topk"][0]["gloss"] for s in segments)


def test_shadow_of_an_isolated_classifier(ase, classifiers, shared_data, tmp_path):
    active, candidate = classifiers
    jobs = [unlabelled_job(shared_data, tmp_path / "jobs", i) for i in (4, 5)]
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=True)
    row = start("shadow", language=ase, task="isolated", version=candidate, params={"jobs": 9})
    row.refresh_from_db()
    assert row.status == "succeeded", row.error
    agree = sum(spotted(candidate, j) == spotted(active, j) for j in jobs)
    assert (row.result["jobs"]["compared"], row.result["jobs"]["agree"]) == (2, agree)
    for side in ("candidate", "active"):
        assert row.result["corrections"][side]["segments"] == 2
        assert 0.0 <= row.result["corrections"][side]["top1"] <= 1.0


def test_the_admin_retrain_of_isolated_signs_uses_the_corrections(ase, classifiers,
                                                                  shared_data, tmp_path):
    active, _ = classifiers
    accepted_annotation(shared_data, tmp_path / "lm", 0, ["A", "B"], held_out=False)
    accepted_annotation(shared_data, tmp_path / "lm", 1, ["C"], held_out=True)
    row = start("retrain", language=ase, task="isolated",
                params={"epochs": 1, "base_data": False, "correction_share": None})
    row.refresh_from_db()
    assert (row.status, row.percent) == ("succeeded", 100), row.error
    assert row.result["from_version"] == active.label
    assert (row.result["metrics"]["mode"], row.result["metrics"]["correction_share"]) == (
        "fine-tune", None)
    assert row.result["metrics"]["correction_runs"] == 2
    assert row.result["metrics"]["held_out_segments"] == 1
    assert row.version.status == "candidate"
    # The card names the retrain as the admin ran it (not the worker's command line).
    card = (Path(row.version.bundle_dir) / "MODEL_CARD.md").read_text()
    assert (f"slrweb retrain --language ase --task isolated --from-version {active.label} "
            "--no-base-data --epochs 1\n") in card


def test_a_retrain_without_a_model_to_start_from_fails_with_the_reason(ase):
    row = start("retrain", language=ase, task="translation", params={})
    row.refresh_from_db()
    assert row.status == RegistryTask.Status.FAILED
    assert "no active translation model" in row.error
