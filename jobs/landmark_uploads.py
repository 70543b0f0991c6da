"""Landmarks-only uploads (issue 14, item 4): a `.pose` or `.npz` file instead of a video.

The file is untrusted. It is read into the 543-point Holistic layout by the project's readers
(landmarks.formats), then checked: the layout, at least two frames, finite coordinates (NaN is
only the "part missing" marker; inf is refused), sane fps and timestamps, and the duration
limit. What is kept is a fresh npz written from the checked arrays (never the uploaded bytes),
so the inference stages read it exactly as they read an extracted clip.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from jobs import files
from jobs.stages import StageError, check_duration
from landmarks.hands import RECOVERED_KEY, flagged_without_landmarks, recovered_meta
from landmarks.layout import NUM_POINTS
from landmarks.sequence import LandmarkSequence

SUFFIXES = (".pose", ".npz")
MIN_FRAMES = 2
MIN_FPS, MAX_FPS = 1.0, 240.0
UPLOAD_DIR = "uploads"  # in the landmarks storage, beside the cache's "ab/<key>.npz" entries


class InvalidLandmarks(ValueError):
    """The file is not a usable landmark sequence; the message is shown to the user."""


def landmark_suffix(filename: str) -> str:
    """The upload's format from its name (.pose or .npz), else InvalidLandmarks."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidLandmarks(
            "The landmarks file must be a .pose file (as `slrweb extract` writes it) or an .npz "
            "file of slrweb's landmark format."
        )
    return suffix


def read_uploaded(path: Path, suffix: str) -> LandmarkSequence:
    """Read and check an uploaded landmark file; InvalidLandmarks says what is wrong."""
    sequence = _read_pose(path) if suffix == ".pose" else _read_npz(path)
    check_sequence(sequence)
    return sequence


def _read_pose(path: Path) -> LandmarkSequence:
    from landmarks.formats.pose import load_pose

    try:
        return load_pose(path)
    except ValueError as exc:
        if "not a MediaPipe Holistic" in str(exc):
            raise InvalidLandmarks(
                "The .pose file does not have the MediaPipe Holistic layout (no POSE, FACE or "
                "HAND landmark components)."
            ) from exc
        raise InvalidLandmarks("The .pose file cannot be read (damaged or not a .pose file).") \
            from exc
    except Exception as exc:  # noqa: BLE001 - pose-format fails on garbage in many ways
        raise InvalidLandmarks("The .pose file cannot be read (damaged or not a .pose file).") \
            from exc


def _read_npz(path: Path) -> LandmarkSequence:
    """An npz as landmarks.formats.npz writes it, its arrays' shapes checked before use."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("points", "presence", "timestamps", "fps",
                                                 "recovered_hands") if key in data}
    except Exception as exc:  # noqa: BLE001 - zip and numpy errors alike
        raise InvalidLandmarks("The .npz file cannot be read (damaged or not an .npz file).") \
            from exc
    points = arrays.get("points")
    if points is None:
        raise InvalidLandmarks("The .npz file has no `points` array.")
    if points.ndim != 3 or points.shape[1:] != (NUM_POINTS, 3):
        raise InvalidLandmarks(
            f"`points` must have the shape (frames, {NUM_POINTS}, 3) of the MediaPipe Holistic "
            f"layout; this file's is {tuple(points.shape)}."
        )
    if not np.issubdtype(points.dtype, np.floating):
        raise InvalidLandmarks("`points` must hold floating-point numbers.")
    fps = _scalar(arrays.get("fps"), default=30.0)
    timestamps = arrays.get("timestamps")
    if timestamps is not None and timestamps.shape != (len(points),):
        raise InvalidLandmarks("`timestamps` must have one value per frame.")
    # presence is derived from the points: a file's own could disagree with them.
    sequence = LandmarkSequence.from_points(
        points, fps=fps, timestamps=None if timestamps is None else timestamps.astype(np.float64)
    )
    recovered = _recovered_hands(arrays.get("recovered_hands"), sequence.points)
    if recovered is not None:
        sequence.meta[RECOVERED_KEY] = recovered_meta(sequence.timestamps, recovered)
    return sequence


def _recovered_hands(flags: Any, points: np.ndarray) -> np.ndarray | None:
    """The optional `recovered_hands` array ((frames, 2) bool: the left / right hand of a frame
    was found by MediaPipe Hands, not Holistic; landmarks/hands.py), checked against the points:
    a model trained on Holistic alone drops those hands again (landmarks.hands.as_trained)."""
    if flags is None:
        return None
    if flags.dtype != np.bool_ or flags.shape != (len(points), 2):
        raise InvalidLandmarks(
            f"`recovered_hands` must be booleans of the shape (frames, 2): left and right hand "
            f"of each of the {len(points)} frames."
        )
    wrong = flagged_without_landmarks(points, flags)
    if wrong:
        raise InvalidLandmarks(
            f"`recovered_hands` marks the {wrong[0].replace('_', ' ')} as recovered in a frame "
            "where that hand has no landmarks."
        )
    return flags if flags.any() else None


def _scalar(value: Any, default: float) -> float:
    if value is None:
        return default
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError) as exc:
        raise InvalidLandmarks("`fps` must be one number.") from exc


def check_sequence(sequence: LandmarkSequence) -> None:
    """Frame count, finite values, fps, timestamps and duration of an uploaded sequence."""
    if len(sequence) < MIN_FRAMES:
        raise InvalidLandmarks(
            f"The landmarks file has {len(sequence)} frame(s); at least {MIN_FRAMES} are needed."
        )
    if np.isinf(sequence.points).any():
        raise InvalidLandmarks(
            "The landmarks contain infinite values; only NaN (a part not detected) is allowed."
        )
    if np.isnan(sequence.points).all():
        raise InvalidLandmarks("The landmarks file holds no detected point in any frame.")
    fps = sequence.fps
    if not math.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise InvalidLandmarks(
            f"The frame rate {fps:g} fps is not plausible (allowed {MIN_FPS:g}-{MAX_FPS:g})."
        )
    stamps = sequence.timestamps
    if not np.isfinite(stamps).all() or (np.diff(stamps) < 0).any() or stamps[0] < 0:
        raise InvalidLandmarks("The frame timestamps must be finite, from 0 on, and in order.")
    try:
        check_duration(sequence.duration)
    except StageError as exc:
        raise InvalidLandmarks(str(exc)) from exc


def clean_sequence(sequence: LandmarkSequence, suffix: str) -> LandmarkSequence:
    """The checked arrays with only the metadata we set (nothing of the upload's meta but the
    checked `recovered_hands` flags)."""
    source = sequence.meta.get("source") or {}
    meta: dict[str, Any] = {"uploaded_format": suffix.lstrip(".")}
    if suffix == ".npz" and sequence.meta.get(RECOVERED_KEY):  # set by _read_npz, checked
        meta[RECOVERED_KEY] = sequence.meta[RECOVERED_KEY]
    width, height = source.get("width"), source.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        meta["source"] = {"width": width, "height": height}  # the overlay's aspect ratio
    return LandmarkSequence(points=sequence.points, presence=sequence.presence,
                            timestamps=sequence.timestamps, fps=sequence.fps, meta=meta)


def store_sequence(sequence: LandmarkSequence, folder: str = UPLOAD_DIR) -> str:
    """Save the sequence as npz in the landmarks storage, under `folder` (registry reference
    clips keep theirs apart from jobs'); its content-addressed name there."""
    from landmarks.formats.npz import save_npz

    fd, temporary = tempfile.mkstemp(suffix=".npz")
    os.close(fd)
    try:
        save_npz(sequence, temporary)
        digest = hashlib.sha256(Path(temporary).read_bytes()).hexdigest()
        name = f"{folder}/{digest[:2]}/{digest}.npz"

        def copy(path: Path) -> None:
            shutil.copyfile(temporary, path)

        return files.landmark_entries().write(name, copy)
    finally:
        Path(temporary).unlink(missing_ok=True)
