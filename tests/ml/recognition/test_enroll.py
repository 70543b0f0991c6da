"""Enrollment: reference choice, threshold, vocabulary files, K-shot protocol, CLI round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recognition.ml.data import Run
from recognition.ml.enroll import (
    UNKNOWN,
    Vocabulary,
    build_vocabulary,
    choose_references,
    few_shot_accuracy,
    scores_to_topk,
)


def _runs(spec: list[tuple[str, str]]) -> list[Run]:
    return [Run(np.zeros((2, 543, 3), np.float32), label, (f"{who}/{label}/{k}",) * 2,
                participant=who) for k, (who, label) in enumerate(spec)]


def test_references_spread_over_people_and_respect_exclusions() -> None:
    runs = _runs([(p, g) for p in "abc" for g in ("x", "y") for _ in range(3)])
    refs = choose_references(runs, 3, seed=1, exclude={"c"})
    for g in ("x", "y"):
        people = [r.participant for r in refs if r.label == g]
        assert len(people) == 3 and set(people) == {"a", "b"}  # both people, never c
    assert choose_references(runs, 3, seed=1) == choose_references(runs, 3, seed=1)


def test_vocabulary_round_trip_and_unknown_threshold(tmp_path: Path) -> None:
    emb = np.array([[1, 0], [0.96, 0.28], [0, 1], [0.28, 0.96]], np.float32)
    runs = _runs([("a", "x"), ("b", "x"), ("a", "y"), ("b", "y")])
    vocab = build_vocabulary(emb, runs, model="m")
    # Leave-one-out: each reference's similarity to its other reference is 0.96.
    assert vocab.threshold == pytest.approx(0.96 - 0.05)
    loaded = Vocabulary.load(vocab.save(tmp_path / "v"))
    assert loaded.glosses == ["x", "y"] and np.allclose(loaded.means, vocab.means)
    meta = json.loads((tmp_path / "v" / "vocabulary.json").read_text())
    assert meta["participants"] == ["a", "b"] and meta["shots"] == {"x": 2, "y": 2}
    far = np.array([0.7, 0.7]) @ vocab.means.T  # halfway between the signs: unknown
    assert scores_to_topk(far, vocab.glosses, vocab.threshold, 2)[0]["gloss"] == UNKNOWN
    near = np.array([1.0, 0.1]) @ vocab.means.T
    assert scores_to_topk(near, vocab.glosses, vocab.threshold, 2)[0]["gloss"] == "x"


def test_few_shot_never_uses_the_query_persons_references() -> None:
    # Person q's own clips point the "wrong" way: only if its references came from q itself
    # would its queries be right, so top-1 0 proves they never do.
    spec = [(p, g) for p in ("a", "b") for g in ("x", "y") for _ in range(2)]
    spec += [("q", "x"), ("q", "y")]
    runs = _runs(spec)
    emb = np.array([[1.0, 0.0] if r.label == "x" else [0.0, 1.0] for r in runs])
    emb[-2:] = [[0.0, 1.0], [1.0, 0.0]]
    result = few_shot_accuracy(emb, runs, {"q"}, {"a", "b", "q"}, ["x", "y"], 2, repeats=3)
    assert result["top1"] == 0.0 and result["n"] == 6
    fair = few_shot_accuracy(emb, runs, {"a"}, {"a", "b"}, ["x", "y"], 2, repeats=3)
    assert fair["top1"] == 1.0


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """An embedding bundle trained 2 steps on 3 MP_Data people (the other 4 stay unseen)."""
    import dataclasses

    from mlcore.bundle import write_bundle
    from recognition.ml.embedding import EmbeddingTrainConfig, embedding_config, train_embedding
    from recognition.ml.participants import load_sources, prepare_for_config
    from tests.ml.recognition.conftest import tiny_config

    cfg = dataclasses.replace(tiny_config(max_frames=12), aliases={"thanks": "thankyou"},
                              name="tiny-emb")
    runs = prepare_for_config(load_sources([("gislr", str(shared_data / "isolated" /
                                                            "mpdata_multi"))]), cfg)
    trained = sorted({r.participant for r in runs})[:3]
    ecfg = EmbeddingTrainConfig(dim=8, steps=2, classes_per_batch=3, clips_per_class=2)
    model, info = train_embedding(cfg, [r for r in runs if r.participant in trained], ecfg,
                                  log=lambda _: None)
    out = tmp_path_factory.mktemp("emb") / "tiny-emb"
    write_bundle(out, task="embedding", language="ase", name="tiny-emb",
                 config=embedding_config(cfg, 8).to_dict(), state_dict=model.state_dict(),
                 metrics={"embedding": {**info, "train_participants": trained}}, card="# t",
                 vocabulary=info["labels"])
    return out


def test_enroll_and_evaluate_cli_keep_people_apart(tiny_bundle: Path, shared_data: Path,
                                                   tmp_path: Path) -> None:
    from slrweb.cli import main

    data = str(shared_data / "isolated" / "mpdata_multi")
    common = ["--data-format", "gislr", "--data", data]
    assert main(["enroll", "--model", str(tiny_bundle), *common, "--shots", "2",
                 "--out", str(tmp_path / "vocab"), "--participants",
                 "akashcodes23-realtime-sign-languagedetection,mujster-sign-language-dl,"
                 "prakhar-1401-sign_detection_project"]) == 0
    meta = json.loads((tmp_path / "vocab" / "vocabulary.json").read_text())
    trained = set(json.loads((tiny_bundle / "metrics.json").read_text())
                  ["embedding"]["train_participants"])
    assert meta["glosses"] == ["hello", "iloveyou", "thankyou"]  # thanks read as thankyou
    assert meta["shots"] == {"hello": 2, "iloveyou": 2, "thankyou": 2}
    assert set(meta["participants"]) <= {"mujster-sign-language-dl",
                                         "prakhar-1401-sign_detection_project"}  # not akash
    assert main(["evaluate-isolated", "--model", str(tiny_bundle), *common, "--vocabulary",
                 str(tmp_path / "vocab"), "--out", str(tmp_path / "ev")]) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    queried = {p["participant"] for p in metrics["predictions"]}
    assert queried and not queried & (set(meta["participants"]) | trained)
    assert metrics["n"] == len(metrics["predictions"]) and 0.0 <= metrics["top1"] <= 1.0


def test_enrolled_predictor_has_the_isolated_interface(tiny_bundle: Path, tmp_path: Path,
                                                       shared_data: Path) -> None:
    from landmarks.formats.parquet import load_parquet
    from recognition.ml.embedding import embed_runs, load_embedder
    from recognition.ml.enroll import EnrolledPredictor
    from recognition.ml.participants import load_sources, prepare_for_config

    model, cfg, _ = load_embedder(tiny_bundle)
    runs = prepare_for_config(load_sources([("gislr", str(shared_data / "isolated" /
                                                            "mpdata_multi"))]), cfg)
    refs = choose_references(runs, 3, seed=0)
    build_vocabulary(embed_runs(model, cfg, refs), refs).save(tmp_path / "v")
    predictor = EnrolledPredictor.from_paths(tiny_bundle, tmp_path / "v")
    clip = next((shared_data / "isolated" / "mpdata_multi").glob("*/hello/*.parquet"))
    seq = load_parquet(clip)
    top = predictor.predict_clip(seq, top_k=2)
    assert len(top) == 2 and {t["gloss"] for t in top} <= {*predictor.vocabulary, UNKNOWN}
    result = predictor.recognize(seq, top_k=2)
    assert result["model"] == "tiny-emb" and isinstance(result["segments"], list)


def test_reference_embeddings_are_cached_by_clip(tiny_bundle: Path, tmp_path: Path,
                                                 shared_data: Path) -> None:
    from landmarks.formats.parquet import load_parquet
    from recognition.ml.embedding import load_embedder
    from recognition.ml.enroll import EnrolledPredictor, embed_references

    model, cfg, _ = load_embedder(tiny_bundle)
    empty = Vocabulary(["x"], np.zeros((1, 8), np.float32), ["x"], 0.0, [])
    predictor = EnrolledPredictor(model, cfg, empty, "tiny-emb")
    root = shared_data / "isolated" / "mpdata_multi"
    clips = [(g, load_parquet(p)) for g in ("hello", "iloveyou")
             for p in sorted(root.glob(f"mujster-sign-language-dl/{g}/*.parquet"))[:3]]
    first = embed_references(predictor, clips, tmp_path / "cache", "weights-a")
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 6
    again = embed_references(predictor, clips, tmp_path / "cache", "weights-a")
    assert np.array_equal(first.references, again.references)  # read back, same vectors
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 6  # nothing embedded twice
    embed_references(predictor, clips[:2], tmp_path / "cache", "weights-b")
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 8  # another model: new keys
    assert first.glosses == ["hello", "iloveyou"] and first.threshold <= 1.0


def test_enrolled_segments_replace_the_classifier_segments_they_overlap() -> None:
    from recognition.ml.enroll import extend_with_enrolled

    def seg(start: float, end: float, gloss: str) -> dict[str, Any]:
        return {"start": start, "end": end, "topk": [{"gloss": gloss, "prob": 0.9}]}

    classified = {"model": "letters@1", "segments": [seg(0.0, 0.5, "A"), seg(0.6, 1.2, "B"),
                                                     seg(1.9, 2.5, "C")]}
    enrolled = {"segments": [seg(0.7, 1.6, "hello")], "signs": ["hello", "iloveyou"]}
    out = extend_with_enrolled(classified, enrolled, "emb@2")
    assert [(s["topk"][0]["gloss"], s["source"]) for s in out["segments"]] == [
        ("A", "classifier"), ("hello", "enrolled"), ("C", "classifier")]  # B: 0.5 of 0.6 s shared
    assert out["model"] == "letters@1"
    assert out["enrolled"] == {"model": "emb@2", "signs": ["hello", "iloveyou"], "found": 1}
    # A short brush (under half the shorter segment) keeps the classifier's segment.
    brush = extend_with_enrolled(classified, {"segments": [seg(0.48, 0.68, "hello")],
                                              "signs": ["hello"]}, "emb@2")
    assert [s["topk"][0]["gloss"] for s in brush["segments"]] == ["A", "hello", "B", "C"]
    alone = extend_with_enrolled(None, enrolled, "emb@2")  # no classifier active
    assert alone["model"] == "emb@2" and len(alone["segments"]) == 1
    assert classified["segments"][1].get("source") is None  # the inputs are not changed
