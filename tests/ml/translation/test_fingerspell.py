"""Synthetic continuous fingerspelling from single-letter samples, and its features."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from translation.ml.features import FEATURE_DIM, hand_features
from translation.ml.fingerspell import (
    LetterBank,
    SynthesisConfig,
    load_letter_banks,
    spellable,
    split_words,
    synthesize_word,
)


def _toy_bank() -> LetterBank:
    rng = np.random.default_rng(0)
    bank = LetterBank()
    for letter in "ABCLO":
        for _ in range(3):
            bank.add(letter, rng.random((21, 3)).astype(np.float32))
    bank.rest.append(rng.random((21, 3)).astype(np.float32))
    return bank


def test_synthesized_word_has_holds_transitions_and_missing_frames() -> None:
    cfg = SynthesisConfig(miss_prob=0.2, left_handed_prob=0.0, rest_hand_prob=1.0)
    points, fps = synthesize_word("balloo", _toy_bank(), random.Random(0), cfg)
    assert points.dtype == np.float32 and points.shape[1:] == (543, 3)
    assert fps in cfg.fps
    # at least one frame per letter and per transition, at most the slowest timing
    assert 11 <= len(points) <= 6 * 0.4 * 1.5 * fps + 5 * 0.16 * 1.5 * fps + 2 * 0.4 * fps + 2
    right_seen = ~np.isnan(points[:, RIGHT_HAND]).any(axis=(1, 2))
    assert 0 < right_seen.sum() < len(points)  # some detections missed
    assert not np.isnan(points[:, LEFT_HAND]).any()  # resting other hand
    feats = hand_features(points)
    assert feats.shape == (len(points), FEATURE_DIM) and not np.isnan(feats).any()


def test_left_handed_words_use_the_left_slot_with_the_same_features() -> None:
    bank = _toy_bank()
    right_cfg = SynthesisConfig(left_handed_prob=0.0, rest_hand_prob=0.0, miss_prob=0.0)
    left_cfg = SynthesisConfig(left_handed_prob=1.0, rest_hand_prob=0.0, miss_prob=0.0)
    right, _ = synthesize_word("cab", bank, random.Random(5), right_cfg)
    left, _ = synthesize_word("cab", bank, random.Random(5), left_cfg)
    assert np.isnan(left[:, RIGHT_HAND]).all()
    f_right, f_left = hand_features(right), hand_features(left)
    # the mirrored left hand lands in the left block with the same (canonical) handshape
    np.testing.assert_allclose(f_left[:, 63:126], f_right[:, :63], atol=1e-5)


def test_word_splits_are_disjoint_and_spellable() -> None:
    words = ["hello", "world", "zoo", "x-ray", "Jazz", "hello", "día"] + [f"w{i}" for i in range(3)]
    train, test = split_words(words, 0.34)
    assert set(train).isdisjoint(test)
    assert sorted(train + test) == ["hello", "jazz", "world", "zoo"]
    assert spellable("Jazz") == "JAZZ" and spellable("jazz", letters="ABCDEFGHI") == ""


@pytest.mark.slow
def test_real_letter_banks_are_split_and_mirrored(shared_data: Path) -> None:
    train, test = load_letter_banks(shared_data / "isolated", heldout_fraction=0.15)
    assert train.letters() == test.letters() == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    n_train = sum(len(v) for v in train.shapes.values())
    n_test = sum(len(v) for v in test.shapes.values())
    assert 10_508 + 558 - 50 < n_train + n_test <= 10_508 + 558
    assert 0.1 < n_test / (n_train + n_test) < 0.2
    assert len(train.rest) > 100  # SILFA's resting left hands
    # Every shape is wrist-relative and palm-normalised, in the signer's-right-hand convention:
    # a right palm facing an unmirrored camera (B) shows the thumb side, hence the index
    # knuckle, to the image-right of the pinky knuckle; unmirrored ASL alphabet samples fail this.
    b = np.stack(train.shapes["B"])
    assert np.allclose(b[:, 0], 0.0)
    assert np.mean(b[:, 5, 0] > b[:, 17, 0]) > 0.95
