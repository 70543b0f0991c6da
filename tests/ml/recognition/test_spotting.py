"""Viterbi spotting: no-sign state, double letters (dip and long hold), determinism, and the
trained no-sign data (real transition frames of SILFA, synthetic ones from training frames)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from recognition.ml.config import IsolatedConfig, SpottingConfig
from recognition.ml.data import Run, split_runs
from landmarks.layout import LEFT_HAND, RIGHT_HAND
from recognition.ml.spotting import NO_SIGN, POSE_WRISTS, Segment, decode, signing_mask, viterbi
from recognition.ml.transitions import transition_mask, with_no_sign

VOCAB = [NO_SIGN, "A", "L", "S"]


def posteriors(spec: str, strength: float = 0.9) -> np.ndarray:
    """One window per character ('_' = no sign), probability `strength` on it."""
    probs = np.full((len(spec), len(VOCAB)), (1 - strength) / (len(VOCAB) - 1))
    for t, ch in enumerate(spec):
        probs[t, VOCAB.index(ch)] = strength
    return probs.astype(np.float32)


def labels(segments: list[Segment], vocab: list[str] = VOCAB) -> str:
    return "".join(vocab[s.label] for s in segments)


def run_decode(probs: np.ndarray, spot: SpottingConfig = SpottingConfig(),
               active: np.ndarray | None = None, vocab: list[str] = VOCAB) -> list[Segment]:
    times = np.arange(len(probs) + 1) * 2 / 30  # stride 2 at 30 fps
    active = np.ones(len(probs), bool) if active is None else active
    return decode(probs, active, vocab, spot, times)


def test_a_no_sign_dip_between_two_runs_is_a_double_letter() -> None:
    segments = run_decode(posteriors("__AAAA__LLLL_LLLL__"))
    assert labels(segments) == "ALL"
    assert [(s.first, s.last) for s in segments] == [(2, 5), (8, 11), (13, 16)]


def test_one_noisy_window_neither_splits_nor_adds_a_letter() -> None:
    assert labels(run_decode(posteriors("_AAAASAAAA_"))) == "A"  # glitch inside one sign
    assert labels(run_decode(posteriors("_AAAA_S_LLLL_"))) == "AL"  # lone window: noise


def test_windows_without_an_active_hand_are_no_sign_whatever_the_model_says() -> None:
    active = np.array([True] * 4 + [False] * 4 + [True] * 4)
    assert labels(run_decode(posteriors("AAAAAAAAAAAA"), active=active)) == "AA"


def test_a_hold_twice_as_long_as_measured_is_a_double_letter() -> None:
    hold = (0.0, 8 * 2 / 30, 8 * 2 / 30, 8 * 2 / 30)  # every letter held 8 windows
    spot = SpottingConfig(hold_seconds=hold, double_hold_ratio=1.7)
    segments = run_decode(posteriors("_AAAAAAAA_" + "L" * 16 + "_SSSSSSSS_"), spot)
    assert labels(segments) == "ALLS"
    assert segments[1].last + 1 == segments[2].first  # the hold is cut in two, no gap
    # Signed slowly (every letter twice as long): the clip's speed absorbs it, no double.
    slow = run_decode(posteriors("_" + "A" * 16 + "_" + "L" * 16 + "_" + "S" * 16 + "_"), spot)
    assert labels(slow) == "ALS"
    off = dataclasses.replace(spot, double_hold_ratio=0.0)
    assert labels(run_decode(posteriors("_AAAAAAAA_" + "L" * 16 + "_SSSSSSSS_"), off)) == "ALS"


def test_a_run_much_briefer_than_its_letter_is_hold_is_no_letter() -> None:
    """A handshape passed through between two letters (or a window across the cut from one
    letter to the next) lasts a fraction of a held letter: min_hold_ratio drops it."""
    hold = (0.0, 8 * 2 / 30, 8 * 2 / 30, 8 * 2 / 30)
    spot = SpottingConfig(hold_seconds=hold, min_hold_ratio=0.4)
    assert labels(run_decode(posteriors("_AAAAAAAA_SSS_LLLLLLLL_"), spot)) == "AL"
    assert labels(run_decode(posteriors("_AAAAAAAASSSAAAAAAAA_"), spot)) == "A"  # inside one
    # The clip's speed scales it: in a fast clip three windows are a letter.
    assert labels(run_decode(posteriors("_AAAA_SSS_LLLL_"), spot)) == "ASL"
    off = dataclasses.replace(spot, min_hold_ratio=0.0)
    assert labels(run_decode(posteriors("_AAAAAAAA_SSS_LLLLLLLL_"), off)) == "ASL"


def test_a_brief_unsure_run_between_two_letters_is_no_letter() -> None:
    """Windows straddling the cut from one letter to the next read as a third letter, briefly
    and unsurely: min_run_prob drops such a run; a sure brief run and an unsure held one stay."""
    hold = (0.0, 8 * 2 / 30, 8 * 2 / 30, 8 * 2 / 30)
    spot = SpottingConfig(hold_seconds=hold, min_run_prob=0.5, switch_cost=0.3)
    unsure = posteriors("_AAAAAAAA_SSSS_LLLLLLLL_")
    unsure[10:14] = [0.2, 0.15, 0.25, 0.4]  # S on top, at 0.4
    assert labels(run_decode(unsure, spot)) == "AL"
    assert labels(run_decode(unsure, dataclasses.replace(spot, min_run_prob=0.0))) == "ASL"
    sure = posteriors("_AAAAAAAA_SSSS_LLLLLLLL_")
    assert labels(run_decode(sure, spot)) == "ASL"  # brief but confident: a quick letter
    held = posteriors("_AAAAAAAA_" + "S" * 8 + "_LLLLLLLL_")
    held[10:18] = [0.2, 0.15, 0.25, 0.4]
    assert labels(run_decode(held, spot)) == "ASL"  # as long as a held letter: kept


def test_a_one_window_no_sign_dip_inside_a_run_is_a_double_letter() -> None:
    """The Viterbi path's switch cost smooths a one-window dip away (two switches cost more than
    one window gains); dip_prob reads it as the release between two holds of one letter, when
    both sides are long enough to be letters and the window says no sign clearly enough."""
    hold = (0.0, 8 * 2 / 30, 8 * 2 / 30, 8 * 2 / 30)
    spot = SpottingConfig(hold_seconds=hold, switch_cost=2.0, double_hold_ratio=3.0,
                          min_hold_ratio=0.3, dip_prob=0.4)
    dip = posteriors("_AAAAAAAA_LLLLLLLLLLLL_SSSSSSSS_")
    dip[16] = [0.6, 0.05, 0.3, 0.05]  # mid-LL: no sign 0.6, L 0.3
    off = dataclasses.replace(spot, dip_prob=0.0)
    assert labels(run_decode(dip, off)) == "ALS"  # smoothed away without the rule
    segments = run_decode(dip, spot)
    assert labels(segments) == "ALLS"
    assert [(s.first, s.last) for s in segments[1:3]] == [(10, 15), (17, 21)]  # dip is no sign
    weak = dip.copy()
    weak[16] = [0.35, 0.3, 0.3, 0.05]  # no sign on top but below dip_prob: one L
    assert labels(run_decode(weak, spot)) == "ALS"
    edge = posteriors("_AAAAAAAA_LLLLLLLLLLLL_SSSSSSSS_")
    edge[11] = [0.6, 0.05, 0.3, 0.05]  # one window into the run: too short a side to be a letter
    assert labels(run_decode(edge, spot)) == "ALS"


def test_decisions_do_not_flip_on_tiny_float_differences() -> None:
    rng = np.random.default_rng(0)
    probs = posteriors("__AAAA_LLLL_LLLLSSSS__", strength=0.5)
    probs[:, 1:] = 0.5 / 3  # every gloss at a tie with the no-sign state's 0.5
    probs[3] = [0.25, 0.25, 0.25, 0.25]  # exact ties between states
    base = labels(run_decode(probs))
    for _ in range(20):
        jitter = probs + rng.uniform(-1e-6, 1e-6, probs.shape).astype(np.float32)
        assert labels(run_decode(jitter)) == base


def test_viterbi_breaks_ties_towards_the_first_state() -> None:
    scores = np.zeros((5, 3), dtype=np.int64)
    assert viterbi(scores, 100).tolist() == [0] * 5


def test_bundles_without_a_no_sign_class_use_the_probability_floor() -> None:
    vocab = ["A", "L"]
    probs = np.array([[0.45, 0.55]] * 3 + [[0.95, 0.05]] * 4 + [[0.4, 0.6]] * 3, np.float32)
    spot = SpottingConfig(min_prob=0.7)
    assert labels(run_decode(probs, spot, vocab=vocab), vocab) == "A"


def test_an_undetected_hand_on_a_raised_arm_still_signs(silfa_runs: list[Run]) -> None:
    frames = next(r for r in silfa_runs if r.label == "N").points[:3].copy()
    frames[:, LEFT_HAND] = np.nan  # only the signing arm matters here
    assert signing_mask(frames, 1.6).all()
    lost = frames.copy()
    lost[:, RIGHT_HAND] = np.nan  # the hand detector lost the hand; the pose still has the arm
    assert signing_mask(lost, 1.6).all()
    lowered = lost.copy()
    lowered[:, POSE_WRISTS[1], 1] += 0.6  # and with the arm down by the hip it rests
    assert not signing_mask(lowered, 1.6).any()
    resting = frames.copy()
    resting[:, RIGHT_HAND, 1] += 0.6  # a detected hand decides by itself, whatever the pose says
    assert not signing_mask(resting, 1.6).any()


@pytest.fixture(scope="module")
def k_recording(shared_data: Path) -> np.ndarray:
    """The real K recording (27 video frames) through Holistic in video mode."""
    from recognition.ml.frames import extract_frames, frame_files

    return extract_frames(frame_files(shared_data / "video" / "silfa_frames" / "K"), None)


def test_transitions_are_the_moving_frames_at_the_ends_of_a_real_recording(
        k_recording: np.ndarray) -> None:
    mask = transition_mask(k_recording)
    assert mask[:2].all() and mask[-2:].all()  # K is formed, then released
    middle = mask[len(mask) // 3 : 2 * len(mask) // 3]
    assert not middle.any()  # the hold is a letter
    assert mask.sum() <= 2 * int(0.25 * len(mask))


def test_no_sign_class_keeps_the_held_out_blocks_and_synthesises_only_for_training(
        k_recording: np.ndarray, silfa_runs: list[Run]) -> None:
    k = Run(k_recording, "K", tuple(f"K/{i}" for i in range(len(k_recording))))
    runs = [k, *[r for r in silfa_runs if r.label in ("C", "U")]]
    cfg = IsolatedConfig()
    splits = split_runs(runs, cfg.train)
    cfg2, vocab, out = with_no_sign(cfg, runs, splits, ["C", "K", "U"])
    assert vocab == ["C", "K", "U", NO_SIGN] and cfg2.model.num_classes == 4
    assert len(cfg2.spotting.hold_seconds) == 4 and cfg2.spotting.hold_seconds[3] == 0.0
    assert cfg2.spotting.hold_seconds[1] == pytest.approx(len(k_recording) / 30, abs=1e-3)
    for name in ("val", "test"):  # the same frames, only relabelled; nothing synthetic
        assert sorted(i for r in out[name] for i in r.ids) == sorted(
            i for r in splits[name] for i in r.ids)
    train_ids = {i for r in splits["train"] for i in r.ids}
    moved = [r for r in out["train"] if r.label == NO_SIGN and r.ids[0] in train_ids]
    assert moved and all(r.ids[0].startswith("K/") or r.label == NO_SIGN for r in moved)
    synthetic = [r for r in out["train"] if r.ids[0].startswith("train/")]
    assert synthetic and all(r.label == NO_SIGN for r in synthetic)


def test_single_frame_runs_keep_their_label(silfa_runs: list[Run]) -> None:
    frame = silfa_runs[0].points[:1]
    assert transition_mask(frame).tolist() == [False]
    assert transition_mask(frame[:0]).tolist() == []


def test_synthetic_no_sign_never_shows_a_raised_arm_without_its_hand(
        silfa_runs: list[Run]) -> None:
    """A hand the detector lost while the arm is raised may be a letter (SILFA's N, Q): the
    synthetic `_` frames drop the arm's pose hand points below the signing space with it, so
    the spotter's signing mask calls them idle, as it does at inference."""
    from recognition.ml.transitions import synthetic_no_sign

    spot = SpottingConfig()
    runs = [r for r in silfa_runs if r.label in ("A", "B", "C", "D")]
    for run in synthetic_no_sign(runs, np.random.default_rng(0), spot.rest_margin, "train"):
        if "/lerp" in run.ids[0]:
            continue
        assert not signing_mask(run.points, spot.rest_margin).any(), run.ids[0]
    no_hands = [r for r in synthetic_no_sign(runs, np.random.default_rng(0), spot.rest_margin,
                                             "train") if "/nohands" in r.ids[0]]
    assert no_hands and all(np.isnan(r.points[:, LEFT_HAND]).all()
                            and np.isnan(r.points[:, RIGHT_HAND]).all() for r in no_hands)


def test_synthetic_transitions_per_letter_follow_the_config(silfa_runs: list[Run]) -> None:
    from recognition.ml.transitions import synthetic_no_sign

    runs = [r for r in silfa_runs if r.label in ("A", "B", "C", "D")]
    for per_letter in (2, 5):
        made = synthetic_no_sign(runs, np.random.default_rng(0), 1.0, "train", per_letter)
        assert sum("/lerp" in r.ids[0] for r in made) == 4 * per_letter
