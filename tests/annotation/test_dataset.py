"""`slrweb export-dataset`: accepted corrections become data the training commands read, and
the held-out clips (corpus.split) never do."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import torch

from annotation import services
from annotation.models import Annotation
from corpus.cli import register
from corpus.dataset import export_dataset
from corpus.evaluation import held_out_annotations
from landmarks.formats import read_landmarks
from tests.annotation.factories import letter_clips, make_job, recognition, spelled_word, translation
from tests.corpus.keys import put_in_split

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def annotate_word(shared_data, owner, annotator, reviewer, word: str, *, accept: bool = True,
                  flags: tuple[str, ...] = (), split: str = "train"):  # noqa: ANN001
    """A job spelling `word` with real letter clips; the model misreads the last letter and the
    annotator corrects it; the reviewer accepts (or it stays submitted)."""
    sequence, spans = spelled_word(shared_data, word)
    guesses = [(*span, [(letter if i < len(word) - 1 else "Z", 0.6), (letter, 0.3)])
               for i, (span, letter) in enumerate(zip(spans, word, strict=True))]
    job = make_job(owner, sequence, result={"recognition": recognition(guesses),
                                            "translation": translation(word.lower()[::-1])})
    put_in_split(job, split, word)  # type: ignore[arg-type]
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
        "FED": annotate_word(*args, "FED", split="dev"),
        "BED": annotate_word(*args, "BED", split="held_out"),  # accepted, kept for evaluation
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
    # CAB, FED, BAD (ACE not accepted, DAB wrong language, BED held out)
    assert summary.annotations == 3 and summary.held_out_clips == 1
    assert summary.isolated_samples == 6  # BAD's landmarks are flagged: no clips from it

    with open(tmp_path / "out" / "isolated" / "index.csv", newline="") as handle:
        splits = {(row["job"], row["split"]) for row in csv.DictReader(handle)}
    assert splits == {(str(corpus["CAB"].id), "train"), (str(corpus["FED"].id), "dev")}
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
    assert summary.translation_pairs == {"train": 2, "dev": 1}  # FED is the dev clip
    assert (translation_dir / "dev.text").read_text() == "fed\n"

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
    assert printed["held_out_clips"] == 1
    assert (out / "isolated" / "index.csv").is_file()
    assert run_cli("export-dataset", "--language", "ase", "-o", str(out)) == 2  # not empty
    assert run_cli("export-dataset", "--language", "gsg", "-o", str(tmp_path / "none")) == 1
    assert "no accepted annotations for gsg" in capsys.readouterr().err


def _exported_jobs(out) -> set[str]:  # noqa: ANN001
    """Every job id an export folder mentions: indexes, manifest, landmark files."""
    jobs: set[str] = set()
    for index in (out / "isolated" / "index.csv", out / "translation" / "index.csv"):
        with open(index, newline="", encoding="utf-8") as handle:
            jobs |= {row["job"] for row in csv.DictReader(handle)}
    manifest = json.loads((out / "manifest.json").read_text())
    jobs |= {a["job"] for a in manifest["annotations"]}
    jobs |= {p.stem for p in (out / "translation" / "landmarks").glob("*.npz")}
    return jobs


def test_held_out_jobs_never_reach_the_training_data(tmp_path, shared_data, owner, annotator,
                                                     admin_user, ase):
    """Exported (trained on) and held out (evaluated on) are disjoint and cover every clip."""
    args = (shared_data, owner, annotator, admin_user)
    splits = {"CAB": "train", "FED": "dev", "BED": "held_out", "DAB": "held_out", "ACE": "train"}
    jobs = {word: annotate_word(*args, word, split=split) for word, split in splits.items()}
    held_out = {str(jobs[w].id) for w, split in splits.items() if split == "held_out"}

    out = tmp_path / "export"
    assert run_cli("export-dataset", "--language", "ase", "-o", str(out)) == 0
    exported = _exported_jobs(out)
    assert exported and not exported & held_out
    assert exported == {str(jobs[w].id) for w, split in splits.items() if split != "held_out"}
    lines = [(out / "translation" / f"{split}.text").read_text() for split in ("train", "dev")]
    assert not {"bed", "dab"} & set("".join(lines).split())

    evaluated = {str(a.job_id) for a in held_out_annotations("ase")}
    assert evaluated == held_out
