"""TranslationPredictor on a landmarks bundle: the contract the web worker calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from landmarks.layout import NUM_POINTS, RIGHT_HAND
from landmarks.sequence import LandmarkSequence
from translation.ml.config import tiny_model_config
from translation.ml.features import FEATURE_DIM, FEATURE_SET
from translation.ml.infer import TranslationPredictor
from translation.ml.model import Translator
from translation.ml.pipeline import write_translation_bundle
from translation.ml.tokenizer import GlossVocab, TextTokenizer


@pytest.fixture(scope="module")
def landmarks_bundle(tiny_spm: TextTokenizer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(1)
    vocab = GlossVocab(list("ABC"))
    cfg = tiny_model_config(input_kind="landmarks", input_dim=FEATURE_DIM, velocity=True,
                            tgt_vocab_size=len(tiny_spm), ctc_vocab_size=len(vocab),
                            ctc_weight=0.5, max_tgt_len=10)
    out = tmp_path_factory.mktemp("lm") / "b"
    return write_translation_bundle(out, model=Translator(cfg), tokenizer=tiny_spm, vocab=vocab,
                                    name="tiny-landmarks", language="ase", metrics={},
                                    card="test", extra_config={"features": {"set": FEATURE_SET}})


def _sequence(frames: int) -> LandmarkSequence:
    rng = np.random.default_rng(0)
    points = np.full((frames, NUM_POINTS, 3), np.nan, dtype=np.float32)
    points[:, RIGHT_HAND] = rng.random((frames, 21, 3))
    return LandmarkSequence.from_points(points, fps=30.0)


def test_translate_returns_the_result_contract_and_streams(landmarks_bundle: Path) -> None:
    predictor = TranslationPredictor.from_bundle(landmarks_bundle)
    streamed: list[tuple[str, float]] = []
    result = predictor.translate(_sequence(20), on_token=lambda p, lp: streamed.append((p, lp)))
    assert set(result) == {"model", "text", "tokens", "glosses", "decode"}
    assert result["decode"] == predictor.decode_settings().to_dict()
    assert result["model"] == "tiny-landmarks"
    assert [(t["piece"], t["logprob"]) for t in result["tokens"]] == [
        (p, round(lp, 4)) for p, lp in streamed]
    assert 1 <= len(result["tokens"]) <= 10
    assert all(isinstance(t["piece"], str) and t["logprob"] <= 0 for t in result["tokens"])
    assert set(result["glosses"]) <= {"A", "B", "C", "<unk>"}
    assert result["text"] == predictor.tokenizer.decode(
        [predictor.tokenizer.sp.piece_to_id(t["piece"]) for t in result["tokens"]])


def test_translate_with_beam_and_empty_clip(landmarks_bundle: Path) -> None:
    predictor = TranslationPredictor.from_bundle(landmarks_bundle)
    pieces: list[str] = []
    result = predictor.translate(_sequence(12), on_token=lambda p, lp: pieces.append(p),
                                 beam_size=3)
    assert pieces == [t["piece"] for t in result["tokens"]]
    empty = predictor.translate(_sequence(0))
    assert empty == {"model": "tiny-landmarks", "text": "", "tokens": [], "glosses": [],
                     "decode": predictor.decode_settings().to_dict()}


def test_input_kind_mismatch_is_an_error(landmarks_bundle: Path) -> None:
    predictor = TranslationPredictor.from_bundle(landmarks_bundle)
    with pytest.raises(ValueError, match="landmarks"):
        predictor.translate_text(["A B"])


def test_a_translator_reads_recovered_hands_only_if_it_was_trained_on_them(
        landmarks_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """landmarks.hands: a bundle whose features say hand_recovery reads the hands MediaPipe
    Hands filled; one trained on Holistic alone reads the clip without them (as_trained)."""
    import json
    import shutil

    import translation.ml.infer as infer
    from landmarks.hands import RECOVERED_KEY
    from translation.ml.chain import Chain, Step, wants_hand_recovery

    seq = _sequence(40)
    filled = seq.timestamps[10:30]
    seq.meta[RECOVERED_KEY] = {"left_hand": [], "right_hand": [float(t) for t in filled]}

    plain = TranslationPredictor.from_bundle(landmarks_bundle)
    recovering_dir = tmp_path / "recovering"
    shutil.copytree(landmarks_bundle, recovering_dir)
    config = json.loads((recovering_dir / "config.json").read_text())
    config["features"]["hand_recovery"] = True
    (recovering_dir / "config.json").write_text(json.dumps(config))
    recovering = TranslationPredictor.from_bundle(recovering_dir)
    assert not plain.hand_recovery and recovering.hand_recovery
    assert not wants_hand_recovery(Chain(text=Step(plain, "plain")))
    assert wants_hand_recovery(Chain(text=Step(plain, "p"), speller=Step(recovering, "r")))

    read: list[np.ndarray] = []
    features = infer.sequence_features
    monkeypatch.setattr(infer, "sequence_features",
                        lambda s, *a: read.append(s.presence[:, 3].copy()) or features(s, *a))
    plain.translate(seq)
    recovering.translate(seq)
    assert read[0].sum() == 20 and not read[0][10:30].any()  # dropped: Holistic alone
    assert read[1].all()  # kept
