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
