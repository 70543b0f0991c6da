"""`slrweb export-dataset`: accepted corrections become data the training commands read."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import torch

from annotation import services
from annotation.cli import register
from annotation.dataset import export_dataset
from annotation.models import Annotation
from landmarks.formats import read_landmarks
from tests.annotation.factories import letter_clips, make_job, recognition, spelled_word, translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def annotate_word(shared_data, owner, annotator, reviewer, word: str, *, accept: bool = True,
                  flags: tuple[str, ...] = ()):  # noqa: ANN001
    """A job spelling `word` with real letter clips; the model misreads the last letter and the
    annotator corrects it; the reviewer accepts (or it stays submitted)."""
    sequence, spans = spelled_word(shared_data, word)
    guesses = [(*span, [(letter if i < len(word) - 1 else "Z", 0.6), (letter, 0.3)])
               for i, (span, letter) in enumerate(zip(spans, word, strict=True))]
    job = make_job(owner, sequence, result={"recognition": recognition(guesses),
                                            "translation": translation(word.lower()[::-1])})
    annotation = services.open_annotation(job, annotator)
    segments = [{**s, "gloss": letter}
                for s, letter in zip(annotation.segments, word, strict=True)]
    annotation = services.save_draft(annotation, annotator, segments=segments,
                                     translation=word.lower(), flags=list(flags), revision=0)
    annotation = services.submit_annotation(annotation, annotator, annotation.revision)
    if accept:
        services.accept_annotation(annotation, reviewer, annotation.revision)
    return job


@pytest.fixture
def corpus(shared_data, owner, annotator, admin_user, ase):  # noqa: ANN001
    args = (shared_data, owner, annotator, admin_user)
    jobs = {
        "CAB": annotate_word(*args, "CAB"),
        "FED": annotate_word(*args, "FED"),
        "ACE": annotate_word(*args, "ACE", accept=False),  # submitted, not accepted
        "BAD": annotate_word(*args, "BAD", flags=("bad_extraction",)),
        "DAB": annotate_word(*args, "DAB", flags=("wrong_language",)),
        "OLD": annotate_word(*args, "OLD"),
    }
    Annotation.objects.filter(job=jobs["OLD"]).update(
        reviewed=datetime.now(UTC) - timedelta(days=30))
    return jobs


def test_export_is_read_by_the_training_loaders(tmp_path, shared_data, corpus):
    from recognition.ml.data import load_runs
    from translation.ml.data import load_parallel

    since = datetime.now(UTC) - timedelta(days=1)
    summary = export_dataset("ase", tmp_path / "out", since=since)
    assert summary.annotations == 3  # CAB, FED, BAD (ACE not accepted, DAB wrong language)
    assert summary.isolated_samples == 6  # BAD's landmarks are flagged: no clips from it

    runs = load_runs("npz-dir", tmp_path / "out" / "isolated")
    assert sorted(run.label for run in runs) == sorted("CABFED")
    clips = letter_clips(shared_data)
    for run in runs:
        original = read_landmarks(clips[run.label]).points
        assert run.points.shape == original.shape
        np.testing.assert_array_equal(np.isnan(run.points), np.isnan(original))
        np.testing.assert_allclose(np.nan_to_num(run.points), np.nan_to_num(original))

    translation_dir = tmp_path / "out" / "translation"
    pairs = [p for split in ("train", "dev")
             for p in load_parallel(translation_dir / f"{split}.gloss",
                                    translation_dir / f"{split}.text")]
    assert sorted(pairs) == [("B A D", "bad"), ("C A B", "cab"), ("F E D", "fed")]
    assert summary.translation_pairs["dev"] >= 1 and summary.translation_pairs["train"] >= 1

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {a["reviewer"] for a in manifest["annotations"]} == {"ada"}
    assert all(a["corrects"]["recognition"] == "asl-letters@2" for a in manifest["annotations"])
    assert any("bad extraction" in reason for reason in summary.skipped)


def test_export_without_since_includes_older_reviews(tmp_path, corpus):
    assert export_dataset("ase", tmp_path / "all").annotations == 4


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="slrweb")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli(tmp_path, corpus, capsys):
    today = datetime.now(UTC).date().isoformat()
    out = tmp_path / "cli"
    assert run_cli("export-dataset", "--language", "ASL", "--since", today, "-o", str(out)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["annotations"] == 3 and printed["language"] == "ase"
    assert (out / "isolated" / "index.csv").is_file()
    assert run_cli("export-dataset", "--language", "ase", "-o", str(out)) == 2  # not empty
    assert run_cli("export-dataset", "--language", "gsg", "-o", str(tmp_path / "none")) == 1
    assert "no accepted annotations for gsg" in capsys.readouterr().err
