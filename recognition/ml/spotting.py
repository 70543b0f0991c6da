"""Sign spotting from per-window class posteriors: Viterbi segmentation with a no-sign state.

    decode(probs, active, vocabulary, spot, times) -> [Segment(first, last, label), ...]

A bundle trained with the no-sign class `_` (recognition.ml.transitions) gives every sliding
window a posterior over {no sign, glosses}; an older bundle without it gets a constant no-sign
score of log(min_prob), which is the old probability rule written as an HMM state. Windows where
too few frames show a hand in signing space are no-sign whatever the model says.

Decoding is a Viterbi path over the states with a penalty for every change of state, so one
noisy window cannot split or flip a sign (hysteresis). Scores are integers (milli-nats of
probabilities rounded to 3 decimals) and ties go to the lowest state index, so the path is the
same on every CPU: a 1e-6 difference in a probability cannot flip a decision unless two whole
paths tie to within a milli-nat.

Double letters: the same gloss twice is read when (a) a no-sign dip (a bounce or a short
release) separates two runs, in the Viterbi path or as one window inside a run whose no-sign
probability beats the gloss's (spot.dip_prob: the path's switch cost smooths a one-window dip
away), or (b) one run lasts clearly longer than that gloss's measured hold (spot.hold_seconds,
from the training recordings), relative to the clip's own signing speed.
A run far briefer than its gloss's hold at that speed (spot.min_hold_ratio) is no sign, and so is
a run briefer than that hold that its windows give little probability (spot.min_run_prob: a
handshape passed through between two letters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from landmarks.layout import LEFT_HAND, POSE_POINT_NAMES, RIGHT_HAND
from recognition.ml.config import SpottingConfig
from recognition.ml.features import active_hand_mask

NO_SIGN = "_"
SCALE = 1000  # integer score units per nat
FLOOR = 1e-3  # probabilities are rounded to 3 decimals and floored here before the log
FORCED = -10 * SCALE  # score of a gloss in a window without an active hand


@dataclass(frozen=True)
class Segment:
    """Windows [first, last] read as `label` (an index into the vocabulary)."""

    first: int
    last: int
    label: int


def window_starts(n: int, window: int, stride: int) -> list[int]:
    """Start frames of windows covering n frames (a last window ends exactly at n)."""
    if n == 0:
        return []
    last = max(0, n - window)
    starts = list(range(0, last + 1, max(1, stride)))
    if starts[-1] != last:
        starts.append(last)
    return starts


def ownership_bounds(starts: list[int], window: int, n: int) -> list[int]:
    """Frame boundaries: window k owns the frames nearest its centre, [b[k], b[k+1])."""
    centres = [s + min(window, n) / 2 for s in starts]
    inner = [int(round((a + b) / 2)) for a, b in zip(centres, centres[1:], strict=False)]
    return [0, *inner, n]


POSE_WRISTS = (POSE_POINT_NAMES.index("LEFT_WRIST"), POSE_POINT_NAMES.index("RIGHT_WRIST"))


def signing_mask(points: np.ndarray, rest_margin: float) -> np.ndarray:
    """(T,) True where a hand is in signing space. A detected hand decides by its own wrist
    (features.active_hand_mask); where the hand detector lost a hand, the pose's wrist on that
    side decides (an arm raised into signing space still signs: SILFA's N and Q are held with
    the hand undetected in most frames)."""
    by_hand = active_hand_mask(points, rest_margin)  # (T, 2)
    pose_only = points.copy()
    for side, (sl, wrist) in enumerate(zip((LEFT_HAND, RIGHT_HAND), POSE_WRISTS, strict=True)):
        missing = np.isnan(points[:, sl.start, 0])
        pose_only[:, sl] = np.nan
        pose_only[missing, sl.start] = points[missing, wrist]
    by_arm = active_hand_mask(pose_only, rest_margin)
    hand_missing = np.stack([np.isnan(points[:, sl.start, 0]) for sl in (LEFT_HAND, RIGHT_HAND)],
                            axis=1)
    return (by_hand | (hand_missing & by_arm)).any(axis=1)


def emission_scores(probs: np.ndarray, active: np.ndarray, vocabulary: list[str],
                    spot: SpottingConfig) -> tuple[np.ndarray, int]:
    """(W, S) integer scores and the no-sign state's index.

    With a trained no-sign class the states are the vocabulary; without one a no-sign state
    with the constant score log(min_prob) is appended."""
    rounded = np.maximum(np.round(probs.astype(np.float64), 3), FLOOR)
    scores = np.rint(SCALE * np.log(rounded)).astype(np.int64)
    if NO_SIGN in vocabulary:
        blank = vocabulary.index(NO_SIGN)
    else:
        blank = scores.shape[1]
        constant = int(round(SCALE * np.log(max(spot.min_prob, FLOOR))))
        scores = np.concatenate([scores, np.full((len(scores), 1), constant, np.int64)], 1)
    idle = ~active
    scores[idle] = FORCED
    scores[idle, blank] = 0
    return scores, blank


def viterbi(scores: np.ndarray, switch: int) -> np.ndarray:
    """Best state path (W,) of integer scores (W, S) with `switch` paid per change of state.

    Integer arithmetic and first-index argmax: the same input gives the same path anywhere."""
    n, states = scores.shape
    back = np.zeros((n, states), dtype=np.int64)
    total = scores[0].copy()
    for t in range(1, n):
        best_prev = int(np.argmax(total))
        stay = total
        move = total[best_prev] - switch
        back[t] = np.where(stay >= move, np.arange(states), best_prev)
        total = np.maximum(stay, move) + scores[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmax(total))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def fill_short(path: np.ndarray, blank: int, min_windows: int) -> np.ndarray:
    """Runs of a gloss shorter than min_windows become their neighbours' state when both
    neighbours agree (a glitch inside one sign), else no-sign (noise between signs)."""
    short = [seg for seg in runs_of(path, blank) if seg.last - seg.first + 1 < min_windows]
    return fill(path, blank, short)


def fill(path: np.ndarray, blank: int, segments: list[Segment]) -> np.ndarray:
    """The path with each of these runs taken over by its neighbours' state where both agree,
    else by no-sign."""
    path = path.copy()
    for seg in segments:
        left = path[seg.first - 1] if seg.first > 0 else blank
        right = path[seg.last + 1] if seg.last + 1 < len(path) else blank
        path[seg.first : seg.last + 1] = left if left == right else blank
    return path


def clip_speed(segments: list[Segment], times: np.ndarray, hold: np.ndarray) -> float | None:
    """How slowly the clip is signed: the duration-weighted median of duration / measured hold
    over its runs of glosses with a measured hold (None without one). Weighted by duration, the
    held letters decide: brief runs (a handshape passed through, a detector glitch) barely
    count, however many there are."""
    pairs = sorted(((times[s.last + 1] - times[s.first]) / hold[s.label],
                    times[s.last + 1] - times[s.first]) for s in segments if hold[s.label] > 0)
    total = sum(d for _, d in pairs)
    seen = 0.0
    for rel, duration in pairs:
        seen += duration
        if 2 * seen >= total:
            return float(rel)
    return None


def drop_runs(path: np.ndarray, blank: int, times: np.ndarray, hold: np.ndarray,
              weak: Callable[[Segment, float, float], bool]) -> np.ndarray:
    """The path with each run of a gloss with a measured hold for which weak(run, its duration,
    the clip's speed) is true filled as short runs are (fill). A run's expected hold is its
    gloss's measured hold x the clip's speed (clip_speed)."""
    segments = runs_of(path, blank)
    speed = clip_speed(segments, times, hold)
    if speed is None:
        return path
    return fill(path, blank, [s for s in segments if hold[s.label] > 0
                              and weak(s, times[s.last + 1] - times[s.first], speed)])


def drop_brief(path: np.ndarray, blank: int, times: np.ndarray, hold: np.ndarray,
               ratio: float) -> np.ndarray:
    """Runs lasting less than `ratio` x their gloss's expected hold are not letters: a hand
    passing through a handshape between two letters, or a window that straddles the cut from one
    letter to the next."""
    if ratio <= 0:
        return path
    return drop_runs(path, blank, times, hold,
                     lambda run, duration, speed: duration < ratio * speed * hold[run.label])


def drop_unsure(path: np.ndarray, blank: int, probs: np.ndarray, times: np.ndarray,
                hold: np.ndarray, min_prob: float) -> np.ndarray:
    """Runs shorter than their gloss's expected hold whose windows give that gloss a mean
    probability below `min_prob` are not letters: a window straddling two letters reads as a
    third one, briefly and with little confidence. A held letter keeps its run however unsure
    the model is. Probabilities are rounded to 3 decimals first (as emission_scores does), so
    the decision is the same on every CPU."""
    if min_prob <= 0:
        return path

    def unsure(run: Segment, duration: float, speed: float) -> bool:
        mean = float(np.mean(np.round(probs[run.first : run.last + 1, run.label], 3)))
        return duration < speed * hold[run.label] and mean < min_prob

    return drop_runs(path, blank, times, hold, unsure)


def runs_of(path: np.ndarray, blank: int) -> list[Segment]:
    """Maximal runs of one non-blank state."""
    out: list[Segment] = []
    start = 0
    for t in range(1, len(path) + 1):
        if t == len(path) or path[t] != path[start]:
            if path[start] != blank:
                out.append(Segment(start, t - 1, int(path[start])))
            start = t
    return out


def split_dips(segments: list[Segment], probs: np.ndarray, blank: int, times: np.ndarray,
               hold: np.ndarray, min_prob: float, ratio: float) -> list[Segment]:
    """A run with a window inside it that gives no sign at least `min_prob` and more than the
    run's gloss is that gloss twice (a double letter's release and re-forming), when both sides
    of the window last at least `ratio` x the gloss's expected hold (the shortest run that
    counts as a letter: drop_brief). The first such window splits; the window itself is no
    sign. Probabilities rounded to 3 decimals, as everywhere in decoding."""
    if min_prob <= 0:
        return segments
    speed = clip_speed(segments, times, hold)
    if speed is None:
        return segments
    rounded = np.round(probs.astype(np.float64), 3)
    out = []
    for seg in segments:
        need = ratio * speed * hold[seg.label]
        dips = [k for k in range(seg.first + 1, seg.last) if hold[seg.label] > 0
                and rounded[k, blank] >= min_prob and rounded[k, blank] > rounded[k, seg.label]
                and times[k] - times[seg.first] >= need
                and times[seg.last + 1] - times[k + 1] >= need]
        if dips:
            out += [Segment(seg.first, dips[0] - 1, seg.label),
                    Segment(dips[0] + 1, seg.last, seg.label)]
        else:
            out.append(seg)
    return out


def split_long_holds(segments: list[Segment], times: np.ndarray, hold: np.ndarray,
                     ratio: float) -> list[Segment]:
    """A run lasting >= ratio x its gloss's expected hold is that gloss signed twice (a double
    letter; spelled words hardly ever hold one letter three times, and how long a held letter
    lasts says too little to count further: repeats beyond two need a dip between them).

    The expected hold is the measured hold (seconds) times the clip's speed (clip_speed: a clip
    signed slowly holds every letter longer)."""
    speed = clip_speed(segments, times, hold)
    if speed is None or ratio <= 0:
        return segments
    out = []
    for seg in segments:
        length = (times[seg.last + 1] - times[seg.first]) / max(speed * hold[seg.label], 1e-9)
        count = 2 if hold[seg.label] > 0 and length >= ratio else 1
        windows = seg.last - seg.first + 1
        count = min(count, windows)
        cuts = [seg.first + (windows * k) // count for k in range(count + 1)]
        out += [Segment(a, b - 1, seg.label) for a, b in zip(cuts, cuts[1:], strict=False)]
    return out


def decode(probs: np.ndarray, active: np.ndarray, vocabulary: list[str], spot: SpottingConfig,
           times: np.ndarray) -> list[Segment]:
    """Segments of glosses in a clip's windows (probs (W, C), active (W,) bool).

    times (W + 1,): start second of each window's owned frames, then the clip's end."""
    if len(probs) == 0:
        return []
    scores, blank = emission_scores(probs, active, vocabulary, spot)
    path = fill_short(viterbi(scores, int(round(SCALE * spot.switch_cost))), blank,
                      spot.min_windows)
    hold = np.zeros(scores.shape[1])
    hold[: len(spot.hold_seconds)] = spot.hold_seconds
    path = drop_brief(path, blank, times, hold, spot.min_hold_ratio)
    path = drop_unsure(path, blank, probs, times, hold, spot.min_run_prob)
    segments = split_dips(runs_of(path, blank), probs, blank, times, hold, spot.dip_prob,
                          spot.min_hold_ratio)
    return split_long_holds(segments, times, hold, spot.double_hold_ratio)
