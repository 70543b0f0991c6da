"""Hands that Holistic lost, found again by MediaPipe Hands on the same frame.

Holistic finds a hand only in the region its pose model predicts around that wrist, and on some
handshapes that region misses: on SILFA's real video it loses the signing hand in 13 of N's 17
frames, 12 of Q's 24 and 7 of M's 23 (the pose wrist is right there; a closed fist over the
thumb does not look like a hand from the wrist's crop), so a model never sees those letters'
handshapes. MediaPipe Hands, run on the whole frame, detects palms itself and finds the hand in
every one of those frames.

recover_hands runs Hands only on frames where a hand is missing while its pose wrist is visible
inside the frame (a hand out of the picture costs nothing), and gives a missing side the detected
hand nearest its pose wrist, if that hand is near it (or a little farther when Hands' handedness
also names that side) and is not the hand Holistic already found for the other side (assign).
Hands runs in static-image mode: a frame's result depends on that frame alone, so a clip's
landmarks stay the same whichever process reads which tracking segment (landmarks.extract). Its
landmarks are the same 21 points in the same units as Holistic's hand (Holistic runs the same
hand landmark model on its crop).

Who asks for it: a model trained on recovered landmarks says so in its config (silfa-letters:
features.hand_recovery). `slrweb recognize --model B` extracts as B asks; a job extracts with
recovery when any active model of its language asks for it (registry.selectors), and
SLRWEB_HAND_RECOVERY=1 switches it on for every extraction. extractor_settings records which was
used (the landmark cache keys on it). The hands it filled are listed by timestamp in the
sequence's meta (RECOVERED_KEY), so that a model trained on Holistic alone reads the landmarks it
was trained on (as_trained drops them again); a clip whose hands Holistic keeps costs nothing
more. Measured in bench/RESULTS.md ("Hands Holistic lost", "Spelled words with recovered
hands"): the letters model trained on recovered landmarks reads held-out frames and spelled
words better, while the landmarks->text fingerspelling model, trained without it, reads its
real clips worse when given recovered hands (letters-only CER 0.30 vs 0.25): hence per model.
It costs one Hands run (~50 ms on 2 cores) on each frame that needs it.
The page's privacy mode does the same in the browser for such a language
(frontend/static/frontend/handrecovery.js, a port of missing_sides/assign/handedness_side with
these constants, checked against them in tests/browser/test_hand_recovery_browser.py) and sends
the flags as the npz's `recovered_hands` array (jobs/landmark_uploads.py); live mode's camera
path does the same and sends them with each frame (recognition/live.py).

mediapipe is imported lazily (only when a frame needs it).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from landmarks.layout import LEFT_SHOULDER, PARTS, POSE_POINT_NAMES, RIGHT_SHOULDER

# The pose point of each hand's wrist (the signer's own sides).
POSE_WRIST = {f"{side.lower()}_hand": POSE_POINT_NAMES.index(f"{side}_WRIST")
              for side in ("LEFT", "RIGHT")}
MIN_WRIST_VISIBILITY = 0.5  # the pose model thinks the wrist is in the picture
FRAME_MARGIN = 0.02  # a wrist this close to the border counts as outside (hand mostly cut off)
MAX_WRIST_DISTANCE = 0.6  # shoulder widths between a pose wrist and the detected hand's wrist
LABELLED_WRIST_DISTANCE = 1.5  # the same, for a hand Hands' handedness names that side
MIN_DETECTION_CONFIDENCE = 0.5

SIDES = ("left_hand", "right_hand")
RECOVERED_KEY = "recovered_hands"  # LandmarkSequence.meta: {side: [timestamps]}

_HANDS: Any = None
_HANDS_LOCK = threading.Lock()


def enabled() -> bool:
    """Whether every extraction recovers lost hands (SLRWEB_HAND_RECOVERY=1; off by default:
    then a caller asks for it, as a model's config says)."""
    return os.environ.get("SLRWEB_HAND_RECOVERY", "0").strip() == "1"


def resolve(requested: bool | None) -> bool:
    """A caller's request (None: no opinion) combined with the SLRWEB_HAND_RECOVERY switch."""
    return bool(requested) or enabled()


def recovered_meta(timestamps: np.ndarray, flags: np.ndarray) -> dict[str, list[float]]:
    """meta[RECOVERED_KEY]: per side, the timestamps of the frames whose hand recover_hands
    filled (flags (T, 2) bool, left and right). Timestamps, not frame indices: they stay true
    when a sequence is cut (LandmarkSequence.slice_time)."""
    return {side: [float(t) for t in np.asarray(timestamps)[flags[:, k]]]
            for k, side in enumerate(SIDES)}


def recovered_flags(seq: Any) -> np.ndarray | None:
    """The inverse of recovered_meta: (T, 2) bool, left and right, where the sequence's meta
    lists a recovered hand; None when it lists none."""
    recovered = seq.meta.get(RECOVERED_KEY) or {}
    if not any(recovered.get(side) for side in SIDES):
        return None
    return np.stack([np.isin(seq.timestamps, np.asarray(recovered.get(side, []), np.float64))
                     for side in SIDES], axis=1)


def flagged_without_landmarks(points: np.ndarray, flags: np.ndarray) -> list[str]:
    """The sides that `flags` ((T, 2) bool) mark as recovered in a frame of `points` ((T, 543,
    3)) where that hand has no landmarks: flags from a client that cannot be true."""
    return [side for k, side in enumerate(SIDES)
            if (flags[:, k] & np.isnan(points[:, PARTS[side], 0]).all(axis=1)).any()]


def as_trained(seq: Any, hand_recovery: bool) -> Any:
    """The sequence as a model trained with (True) or without (False) recovered hands reads it:
    without, the hands recover_hands filled are absent again (exactly what Holistic alone
    gives: Hands never feeds Holistic's tracking). A sequence with nothing recovered is
    returned as it is."""
    flags = None if hand_recovery else recovered_flags(seq)
    if flags is None:
        return seq
    points = seq.points.copy()
    for k, side in enumerate(SIDES):
        points[flags[:, k], PARTS[side]] = np.nan
    out = type(seq).from_points(points, fps=seq.fps, timestamps=seq.timestamps)
    out.meta = {k: v for k, v in seq.meta.items() if k != RECOVERED_KEY}
    return out


def _hands_graph() -> Any:
    """This process's MediaPipe Hands graph (static-image mode: no state between frames)."""
    global _HANDS
    with _HANDS_LOCK:
        if _HANDS is None:
            from mediapipe.python.solutions import hands

            _HANDS = hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1,
                                 min_detection_confidence=MIN_DETECTION_CONFIDENCE)
        return _HANDS


def warm_hands() -> None:
    """Build the Hands graph and run it once on a blank frame (loads its models)."""
    graph = _hands_graph()
    with _HANDS_LOCK:
        graph.process(np.zeros((240, 320, 3), np.uint8))


def missing_sides(points: np.ndarray, pose: Any) -> list[str]:
    """The hands absent from `points` whose pose wrist is visible inside the frame."""
    if pose is None:
        return []
    sides = []
    for side, index in POSE_WRIST.items():
        wrist = pose.landmark[index]
        inside = (FRAME_MARGIN <= wrist.x <= 1 - FRAME_MARGIN
                  and FRAME_MARGIN <= wrist.y <= 1 - FRAME_MARGIN)
        visible = wrist.visibility >= MIN_WRIST_VISIBILITY
        if np.isnan(points[PARTS[side]]).all() and inside and visible:
            sides.append(side)
    return sides


def assign(points: np.ndarray, pose_xy: dict[str, np.ndarray],
           detected: list[tuple[np.ndarray, str | None]], sides: list[str], scale: np.ndarray,
           shoulder_width: float) -> dict[str, int]:
    """Which detected hand (index into `detected`: (21, 3) points and the side Hands' handedness
    names, or None) fills which missing side.

    Distances are in pixels (x and y times `scale`, the frame's width and height, so a wide
    frame's x is not squeezed), in shoulder widths. A detected hand whose wrist is within
    MAX_WRIST_DISTANCE of a hand Holistic kept is that hand, never a second one. A free hand fills
    a missing side when its wrist is within MAX_WRIST_DISTANCE of that side's pose wrist, or
    within LABELLED_WRIST_DISTANCE when Hands also names that side (the pose model sometimes
    loses the forearm of a raised hand: its wrist then sits half an arm below the hand); each
    detected hand fills one side at most, nearest pairs first."""

    def distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm((a[:2] - b[:2]) * scale)) / shoulder_width

    kept = [points[PARTS[side]][0] for side in POSE_WRIST if side not in sides
            and not np.isnan(points[PARTS[side]]).all()]
    free = [i for i, (hand, _) in enumerate(detected)
            if all(distance(hand[0], wrist) > MAX_WRIST_DISTANCE for wrist in kept)]
    pairs = sorted((distance(detected[i][0][0], pose_xy[side]), side, i)
                   for side in sides for i in free)
    chosen: dict[str, int] = {}
    for d, side, i in pairs:
        near = d <= MAX_WRIST_DISTANCE
        named = detected[i][1] == side and d <= LABELLED_WRIST_DISTANCE
        if (near or named) and side not in chosen and i not in chosen.values():
            chosen[side] = i
    return chosen


def _xy(pose: Any, index: int) -> np.ndarray:
    return np.array([pose.landmark[index].x, pose.landmark[index].y], np.float32)


def handedness_side(label: str) -> str | None:
    """Hands' handedness label -> the signer's own side. Hands assumes a mirrored (selfie)
    image; we feed it the unmirrored frame (as Holistic), so its "Left" is the signer's right."""
    return {"Left": "right_hand", "Right": "left_hand"}.get(label)


def recover_hands(points: np.ndarray, pose: Any, image: np.ndarray) -> list[str]:
    """Fill the hands Holistic missed in `points` ((543, 3), changed in place) from MediaPipe
    Hands on `image` (the RGB frame Holistic read); `pose` is Holistic's pose_landmarks.
    Returns the sides filled."""
    sides = missing_sides(points, pose)
    if not sides:
        return []
    height, width = image.shape[:2]
    scale = np.array([width, height], np.float32)
    shoulder_width = float(np.linalg.norm((_xy(pose, LEFT_SHOULDER) - _xy(pose, RIGHT_SHOULDER))
                                          * scale))
    if shoulder_width <= 1.0:
        return []
    graph = _hands_graph()
    with _HANDS_LOCK:  # one graph per process; a graph is not safe to share between threads
        found = graph.process(image)
    detected = [(np.array([(lm.x, lm.y, lm.z) for lm in hand.landmark], np.float32),
                 handedness_side(label.classification[0].label))
                for hand, label in zip(found.multi_hand_landmarks or [],
                                       found.multi_handedness or [], strict=True)]
    pose_xy = {side: _xy(pose, i) for side, i in POSE_WRIST.items()}
    chosen = assign(points, pose_xy, detected, sides, scale, shoulder_width)
    for side, i in chosen.items():
        points[PARTS[side]] = detected[i][0]
    return sorted(chosen)
