"""The trained "no sign / transition" class `_`: real transition frames plus synthetic ones.

Real: a recording of one letter starts with the hand moving into the handshape and ends with it
leaving (SILFA: up to a third of a letter's frames). `transition_mask` finds them from the
boundaries inwards: frames whose dominant-hand shape (wrist-relative, palm-scaled) still changes
by more than MOTION_THRESHOLD per frame, before the first (after the last) two settled frames,
never more than MAX_FRACTION of the recording per side. Those frames become `_` pieces; the held
frames keep the letter. Splits are made on the whole recording first (contiguous blocks), so the
held-out blocks are exactly those of a model trained without `_`.

Synthetic (training split only, from its own frames, so nothing crosses a held-out block; the
validation and test scores stay about real frames):
- transitions: all 543 points interpolated from a frame of one letter to a frame of another (the
  middle of the path, where neither handshape is formed);
- no hands: a frame with both hands absent and the signing arm's pose hand points (wrist,
  pinky, index, thumb) at rest below the signing space, as a hand the detector missed at rest
  looks (a hand missing with the arm still raised is no evidence of no sign: SILFA's N and Q
  are held with the hand undetected in most frames, and the spotter lets the classifier decide
  those windows);
- resting: the signing hand and its pose hand points moved below the signing space (wrist
  under the shoulders by more than the spotting rest margin).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import numpy as np

from landmarks.layout import (
    LEFT_HAND,
    LEFT_SHOULDER,
    POSE_POINT_NAMES,
    RIGHT_HAND,
    RIGHT_SHOULDER,
)
from landmarks.normalize import normalize_hand
from recognition.ml.config import IsolatedConfig, TrainConfig
from recognition.ml.data import Run
from recognition.ml.features import dominant_hand
from recognition.ml.spotting import NO_SIGN

MOTION_THRESHOLD = 0.4  # palm sizes per frame (63 coordinates, L2); holds move ~0.1-0.2
MAX_FRACTION = 0.25
SETTLED = 2  # consecutive calm frames that mark the hold
# The pose's points of each hand (wrist, pinky, index, thumb), [left, right] like the hands.
POSE_HAND_POINTS = tuple([POSE_POINT_NAMES.index(f"{side}_{p}")
                          for p in ("WRIST", "PINKY", "INDEX", "THUMB")]
                         for side in ("LEFT", "RIGHT"))


def hand_motion(points: np.ndarray) -> np.ndarray:
    """(T,) change of the dominant hand's normalised shape since the previous frame (frame 0 takes
    frame 1's value; NaN where the hand is absent in either frame)."""
    sl = RIGHT_HAND if dominant_hand(points) == "right_hand" else LEFT_HAND
    shape = normalize_hand(points[:, sl]).reshape(len(points), -1)
    step = np.linalg.norm(np.diff(shape, axis=0), axis=1)
    first = step[:1] if len(step) else np.full(1, np.nan)  # frame 0 moves as frame 1 does
    return np.concatenate([first, step])[: len(points)]


def transition_mask(points: np.ndarray) -> np.ndarray:
    """(T,) True on the moving frames at the start and end of a one-letter recording."""
    if len(points) < 2:  # a single frame has no motion to judge: it keeps its label
        return np.zeros(len(points), dtype=bool)
    calm = hand_motion(points) < MOTION_THRESHOLD  # NaN compares False: absent is not calm
    limit = int(MAX_FRACTION * len(points))
    mask = np.zeros(len(points), dtype=bool)
    for order in (np.arange(len(points)), np.arange(len(points))[::-1]):
        for k in range(limit + 1):
            if calm[order[k : k + SETTLED]].all():
                break
        mask[order[:k]] = True
    return mask


def cut_transitions(piece: Run, moving: dict[str, bool]) -> list[Run]:
    """A piece of a letter's recording -> runs of held frames (the letter) and of moving ones."""
    flags = [moving.get(i, False) for i in piece.ids]
    out, start = [], 0
    for k in range(1, len(flags) + 1):
        if k == len(flags) or flags[k] != flags[start]:
            part = piece.piece(start, k)
            out.append(dataclasses.replace(part, label=NO_SIGN) if flags[start] else part)
            start = k
    return out


def interpolate(a: np.ndarray, b: np.ndarray, frames: int) -> np.ndarray:
    """(frames, 543, 3): the middle of a straight path from frame a to frame b (where neither
    handshape is formed; the ends would look like the letters themselves)."""
    alpha = np.linspace(0.35, 0.65, frames)[:, None, None]
    return ((1 - alpha) * a[None] + alpha * b[None]).astype(np.float32)


def rest_hand(frame: np.ndarray, rng: np.random.Generator, rest_margin: float,
              hide: bool = False) -> np.ndarray:
    """The frame with the dominant hand and its pose hand points dropped below the signing
    space; hide: the hand itself undetected (NaN) there, as a detector misses a resting hand."""
    out = frame.copy()
    side = 1 if not np.isnan(frame[RIGHT_HAND.start, 0]) else 0
    sl, arm = (LEFT_HAND, RIGHT_HAND)[side], list(POSE_HAND_POINTS[side])
    shoulders = frame[[LEFT_SHOULDER, RIGHT_SHOULDER]]
    if np.isnan(shoulders).any():
        out[sl] = np.nan
        return out
    width = float(np.linalg.norm(shoulders[0, :2] - shoulders[1, :2]))
    target = shoulders[:, 1].mean() + (rest_margin + rng.uniform(0.2, 1.0)) * width
    wrist = frame[sl.start, 1] if not np.isnan(frame[sl.start, 1]) else frame[arm[0], 1]
    out[sl, 1] += target - wrist
    out[arm, 1] += target - wrist
    if hide:
        out[sl] = np.nan
    return out


def synthetic_no_sign(runs: list[Run], rng: np.random.Generator, rest_margin: float,
                      tag: str, per_letter: int = TrainConfig.synthetic_transitions
                      ) -> list[Run]:
    """Synthetic `_` runs from the frames of `runs` (one split's letters only): `per_letter`
    interpolated transitions from each letter, and resting / hand-less frames."""
    by_label: dict[str, list[np.ndarray]] = defaultdict(list)
    for run in runs:
        if run.label != NO_SIGN:
            by_label[run.label].extend(run.points)
    labels = sorted(by_label)
    out: list[Run] = []
    if len(labels) < 2:
        return out
    for n, label in enumerate(labels * per_letter):
        other = labels[(labels.index(label) + 1 + rng.integers(len(labels) - 1)) % len(labels)]
        a = by_label[label][rng.integers(len(by_label[label]))]
        b = by_label[other][rng.integers(len(by_label[other]))]
        points = interpolate(a, b, int(rng.integers(4, 9)))
        out.append(Run(points, NO_SIGN, tuple(f"{tag}/lerp{n}/{k}" for k in range(len(points)))))
    frames = [f for label in labels for f in by_label[label]]
    for n in range(len(labels) // 2):
        frame = frames[rng.integers(len(frames))]
        idle = np.repeat(rest_hand(frame, rng, rest_margin, hide=True)[None], 4, axis=0)
        idle[:, LEFT_HAND] = idle[:, RIGHT_HAND] = np.nan
        rest = np.repeat(rest_hand(frame, rng, rest_margin)[None], 4, axis=0)
        out.append(Run(idle, NO_SIGN, tuple(f"{tag}/nohands{n}/{k}" for k in range(4))))
        out.append(Run(rest, NO_SIGN, tuple(f"{tag}/rest{n}/{k}" for k in range(4))))
    return out


def measured_holds(runs: list[Run], vocab: list[str]) -> tuple[float, ...]:
    """Seconds each label lasts in its recordings, mean over runs; 0 for `_` and labels without
    a recording. The whole recording, not only its calm frames: where the detector jitters
    (SILFA's M, N, P, Q) the calm count says more about the detector than about the hold."""
    held: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        held[run.label].append(len(run) / run.fps)
    return tuple(round(float(np.mean(held[g])), 3) if g in held and g != NO_SIGN else 0.0
                 for g in vocab)


def with_no_sign(cfg: IsolatedConfig, runs: list[Run], splits: dict[str, list[Run]],
                 vocab: list[str]) -> tuple[IsolatedConfig, list[str], dict[str, list[Run]]]:
    """Add the `_` class: transition pieces cut out of every split, synthetic `_` runs made from
    the training frames, the measured holds in the spotting config."""
    from recognition.ml.train import complete_config

    moving: dict[str, bool] = {}
    for run in runs:
        moving.update(zip(run.ids, transition_mask(run.points).tolist(), strict=True))
    rng = np.random.default_rng(cfg.train.seed)
    out: dict[str, list[Run]] = {}
    for name, pieces in splits.items():
        cut = [part for piece in pieces for part in cut_transitions(piece, moving)]
        extra = synthetic_no_sign(cut, rng, cfg.spotting.rest_margin, name,
                                  cfg.train.synthetic_transitions)
        out[name] = cut + (extra if name == "train" else [])
    vocab = sorted({*vocab, NO_SIGN})
    spotting = dataclasses.replace(cfg.spotting, hold_seconds=measured_holds(runs, vocab))
    cfg = complete_config(dataclasses.replace(cfg, spotting=spotting), vocab)
    return cfg, vocab, out
