"""Synthetic continuous fingerspelling from single-letter samples, and its features."""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from landmarks.layout import LEFT_HAND, RIGHT_HAND
from translation.ml.features import FEATURE_DIM, hand_features
from translation.ml.letterbank import add_video_letters
from translation.ml.fingerspell import (
    VIDEO,
    WORD_GAP,
    LetterBank,
    SynthesisConfig,
    load_letter_banks,
    silfa_samples,
    spellable,
    split_words,
    synthesize_phrase,
    synthesize_word,
)

REPO = Path(__file__).resolve().parents[3]
# The shipped bundle reads these 12 two-word phrases with a letter CER of 0.171 (measured when it
# was trained); the bound catches a broken reader or bundle (a random model is near 1.0).
MAX_SHORT_PHRASE_LETTER_CER = 0.3


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
    # at least one frame per letter, at most the slowest timing
    slowest = cfg.tempo[1] * fps * (6 * cfg.hold[1] + 5 * cfg.transition[1]) + 2 * cfg.lead[1] * fps
    assert 6 <= len(points) <= slowest + 2
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


def _right_seen(points: np.ndarray) -> np.ndarray:
    return ~np.isnan(points[:, RIGHT_HAND]).any(axis=(1, 2))


@pytest.mark.parametrize("kind", ["down", "rest", "none"])
def test_phrases_have_the_pauses_between_words(kind: str) -> None:
    cfg = SynthesisConfig(miss_prob=0.0, left_handed_prob=0.0, rest_hand_prob=0.0,
                          lead=(0.0, 0.0), gap=(0.5, 0.5), rotation_deg=0.0,
                          gap_kinds=((kind, 1.0),))
    points, fps, labels = synthesize_phrase(["cab", "ol", "ball"], _toy_bank(), random.Random(1),
                                            cfg)
    gaps = labels.count(WORD_GAP)
    assert [g for g in labels if g != WORD_GAP] == list("CABOLBALL")
    assert gaps == (0 if kind == "none" else 2)
    seen = _right_seen(points)
    # a pause of 0.5 s: the hand leaves the picture ("down"), or rests visibly lower ("rest")
    runs = np.diff(np.flatnonzero(np.diff(np.r_[1, seen.astype(int), 1]) != 0))[::2]
    if kind == "down":
        assert (runs >= round(0.5 * fps)).sum() == 2
    else:
        assert seen.all()
    if kind == "rest":
        wrist_y = points[:, RIGHT_HAND][:, 0, 1]
        low = wrist_y > np.median(wrist_y) + 1.0 * cfg.palm_size[0]
        assert low.sum() >= 2 * round(0.5 * fps)


def test_a_held_letter_replays_consecutive_frames_of_one_recording() -> None:
    bank = LetterBank()
    for i in range(10):
        bank.add("A", np.full((21, 3), i, np.float32) + np.eye(21, 3, dtype=np.float32) * i,
                 new_run=i in (0, 5))
    # normalize_hand makes every sample wrist-relative: tell them apart by their scale
    index = {id(s): k for k, s in enumerate(bank.shapes["A"])}
    for seed in range(10):
        frames = [index[id(s)] for s in bank.hold("A", 12, random.Random(seed))]
        assert all(abs(a - b) in (1, 2) for a, b in zip(frames, frames[1:], strict=False))
        assert len({k // 5 for k in frames}) == 1  # never crosses into the other recording


def _scaled_bank() -> tuple[LetterBank, dict[int, int]]:
    """Letter A: 6 samples of an image recording, then 10 video frames (told apart by scale:
    normalize_hand makes every sample wrist-relative); id(shape) -> frame number."""
    bank = LetterBank()
    for i in range(16):
        bank.add("A", np.full((21, 3), i, np.float32) + np.eye(21, 3, dtype=np.float32) * i,
                 new_run=i in (0, 6), source=VIDEO if i >= 6 else "")
    return bank, {id(s): k for k, s in enumerate(bank.shapes["A"])}


def test_a_letter_clip_plays_one_video_run_straight_through() -> None:
    bank, index = _scaled_bank()
    assert bank.has_source("A", VIDEO) and not bank.has_source("B", VIDEO)
    for seed in range(10):
        frames = [index[id(s)] for s in bank.clip("A", 4, random.Random(seed), VIDEO, stride=2)]
        assert len(frames) == 4 and all(b - a == 2 for a, b in zip(frames, frames[1:], strict=False))
        assert min(frames) >= 6  # the video run only
        held = [index[id(s)] for s in bank.hold("A", 8, random.Random(seed), source=VIDEO)]
        assert min(held) >= 6
    # never past the run's end, however long the clip asked for
    assert [index[id(s)] for s in bank.clip("A", 50, random.Random(0), VIDEO)] == list(range(6, 16))


def test_clip_phrases_spell_from_video_runs_with_cuts() -> None:
    bank, index = _scaled_bank()
    cfg = SynthesisConfig(clip_prob=1.0, clip_cut_prob=1.0, clip_playback=((30.0, 1, 1),),
                          clip_len=(0.1, 0.1), miss_prob=0.0, lead=(0.0, 0.0),
                          rest_hand_prob=0.0, left_handed_prob=0.0, noise=0.0,
                          gap_kinds=(("none", 1.0),))
    points, fps, labels = synthesize_phrase(["aa", "a"], bank, random.Random(3), cfg)
    assert fps == 30.0 and labels == ["A", "A", "A"] and len(points) == 3 * 3
    # a slowed-down video: each frame shown 3 times
    video = LetterBank()
    for i, shape in enumerate(np.random.default_rng(0).random((10, 21, 3)).astype(np.float32)):
        video.add("A", shape, new_run=i == 0, source=VIDEO)
    slow = replace(cfg, clip_playback=((15.0, 1, 3),))
    points, fps, _ = synthesize_phrase(["a"], video, random.Random(3), slow)
    assert fps == 15.0 and len(points) == 3 * 3
    hand = points[:, RIGHT_HAND]
    assert np.array_equal(hand[0], hand[2]) and not np.array_equal(hand[2], hand[3])
    # clip_prob 0 (the default) draws nothing more: the same phrases as before the option
    plain = synthesize_phrase(["aa"], bank, random.Random(4), SynthesisConfig())
    off = synthesize_phrase(["aa"], bank, random.Random(4), SynthesisConfig(clip_prob=0.0))
    np.testing.assert_array_equal(plain[0], off[0])


def test_video_letters_split_at_the_held_out_block(tmp_path: Path) -> None:
    points = np.full((10, 543, 3), np.nan, np.float32)
    points[:, RIGHT_HAND] = np.random.default_rng(0).random((10, 21, 3))
    points[2, RIGHT_HAND] = np.nan  # no hand found: skipped
    np.savez(tmp_path / "v.npz", A=points, A_heldout=np.array(7))
    for all_frames, n_train in ((False, 6), (True, 9)):
        train, test = LetterBank(), LetterBank()
        add_video_letters(train, test, tmp_path / "v.npz", all_frames)
        assert len(train.shapes["A"]) == n_train and len(test.shapes["A"]) == 3
        assert train.sources["A"] == test.sources["A"] == [VIDEO]


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
    # SILFA: the held-out samples of each letter are the last block of its recording
    for letter, samples in silfa_samples(str(shared_data / "isolated" / "silfa_fingerspelling")).items():
        held = [s.sequence_id for s in samples if s.heldout]
        kept = [s.sequence_id for s in samples if not s.heldout]
        assert held and kept and max(kept) < min(held), letter
    assert len(train.rest) > 100  # SILFA's resting left hands
    # Every shape is wrist-relative and palm-normalised, in the signer's-right-hand convention:
    # a right palm facing an unmirrored camera (B) shows the thumb side, hence the index
    # knuckle, to the image-right of the pinky knuckle; unmirrored ASL alphabet samples fail this.
    b = np.stack(train.shapes["B"])
    assert np.allclose(b[:, 0], 0.0)
    assert np.mean(b[:, 5, 0] > b[:, 17, 0]) > 0.95


@pytest.mark.slow
def test_bundle_reads_short_held_out_spelled_phrases(shared_data: Path) -> None:
    """The shipped bundle, through TranslationPredictor.translate (what jobs call), reads
    held-out words spelled two in a row with held-out letter samples, in overlapping windows."""
    from landmarks.sequence import LandmarkSequence
    from translation.ml.evaluate import char_error_rate
    from translation.ml.fingerspell import heldout_phrases
    from translation.ml.infer import TranslationPredictor

    predictor = TranslationPredictor.from_bundle(REPO / "models" / "fingerspelling-ase-transformer")
    args = argparse.Namespace(isolated_dir=str(shared_data / "isolated"), heldout_fraction=0.15,
                              words=None, dev_sequences=1)
    phrases = heldout_phrases(args, 2, count=12)
    hyps = []
    for p in phrases:
        streamed: list[str] = []
        out = predictor.translate(LandmarkSequence.from_points(p.points, fps=p.fps),
                                  on_token=lambda piece, _lp: streamed.append(piece))
        assert out["decode"]["reader"]["kind"] == "ctc-windows"
        assert [t["piece"] for t in out["tokens"]] == streamed
        frames = [t["frame"] for t in out["tokens"]]
        assert frames == sorted(frames) and all(0 <= f < len(p.points) for f in frames)
        hyps.append(out["text"])
    letters = char_error_rate([h.replace(" ", "") for h in hyps],
                              [p.text.replace(" ", "") for p in phrases])
    assert letters < MAX_SHORT_PHRASE_LETTER_CER, (letters, hyps)


def test_synth_noise_reaches_the_synthesis_and_the_bundle_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`train-translation --synth-noise` sets SynthesisConfig.noise for the training and dev
    phrases, and the bundle's config.json and card record it."""
    import json

    from slrweb.cli import build_parser
    from translation.ml import fingerspell
    from translation.ml.config import TranslationBundleConfig

    words = tmp_path / "words.txt"
    words.write_text(" ".join(["cab", "ball", "call", "cool", "lab", "cob", "cola", "coco",
                               "local", "cabal", "alba", "bolo", "loco", "boca", "labo", "calc"]))
    base = ["train-translation", "--input-kind", "landmarks", "--out", str(tmp_path / "b"),
            "--name", "t", "--isolated-dir", str(tmp_path), "--words", str(words),
            "--spm-model", str(REPO / "models" / "fingerspelling-ase-transformer" / "spm.model"),
            "--dev-sequences", "2", "--sequences-per-epoch", "2", "--heldout-fraction", "0.2"]
    parser = build_parser()
    assert fingerspell.synthesis_config(parser.parse_args(base)) == SynthesisConfig()
    args = parser.parse_args([*base, "--synth-noise", "0.01"])
    assert fingerspell.synthesis_config(args) == SynthesisConfig(noise=0.01)

    monkeypatch.setattr(fingerspell, "load_letter_banks",
                        lambda *a, **k: (_toy_bank(), _toy_bank()))
    data = fingerspell.prepare_fingerspelling_data(args, tmp_path)
    saved = json.loads(json.dumps({"synthesis": data.extra_config["synthesis"]}))
    recorded = TranslationBundleConfig.from_dict(saved).synthesis  # config.json reads back
    assert SynthesisConfig.from_dict(recorded) == SynthesisConfig(noise=0.01)
    assert "jitter of sd 0.01 palm sizes" in data.data_card
    assert len(data.dev) == 2


def test_a_model_trained_on_recovered_letter_videos_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """bench/fingerspelling_clips.py --write-letters records whether the letter videos were read
    with the hands Holistic lost recovered; the bundle's features then carry it."""
    import numpy as np

    from translation.ml.fingerspell import letter_video_recovered

    for flag in (True, False):
        np.savez(tmp_path / f"{flag}.npz", hand_recovery=np.array(flag), A=np.zeros((1, 543, 3)))
        assert letter_video_recovered(tmp_path / f"{flag}.npz") is flag
    np.savez(tmp_path / "older.npz", A=np.zeros((1, 543, 3)))  # written before it was recorded
    assert letter_video_recovered(tmp_path / "older.npz") is False
    assert letter_video_recovered(None) is False
