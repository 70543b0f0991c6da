"""MediaPipe Holistic over a video file -> LandmarkSequence.

Output axis order: points (T, 543, 3) = (frames, points, x/y/z), points ordered pose 33, face 468,
left hand 21, right hand 21 (landmarks.layout). x and y are normalised to the upright frame's
width and height (x right, y down), z is MediaPipe's relative depth. "Left hand" is the signer's
own left hand: Holistic assigns hands from the pose's wrists on the unmirrored image, which is what
we feed it (no selfie flip). A part not detected in a frame is NaN and its presence bit is False.

mediapipe is imported lazily so that importing this module (e.g. for EXTRACTOR_VERSION) is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.decode import iter_frames, probe_video
from landmarks.layout import NUM_POINTS, PART_NAMES, PARTS
from landmarks.sequence import LandmarkSequence

# Bump the suffix whenever extraction output changes; the mediapipe pin is part of the version
# so that upgrading it invalidates every cached result (tests check the pin matches).
EXTRACTOR_VERSION = "holistic-mediapipe-0.10.21/1"
PROGRESS_EVERY = 5  # frames between progress callbacks

ProgressCallback = Callable[[int, "int | None"], None]
ChunkCallback = Callable[[LandmarkSequence], None]

NO_PERSON_WARNING = (
    "No person was detected in the video: no body, face or hands were found on any frame."
)
NO_HANDS_WARNING = "No hands were detected in the video."


def extractor_settings(model_complexity: int = 1,
                       sample_fps: float | None = None) -> dict[str, Any]:
    """The settings that change extraction output; part of the cache key."""
    settings: dict[str, Any] = {
        "extractor_version": EXTRACTOR_VERSION,
        "model_complexity": int(model_complexity),
        "refine_face_landmarks": False,
        "smooth_landmarks": True,
    }
    if sample_fps:  # absent when every frame is read, so earlier cache entries stay valid
        settings["sample_fps"] = float(sample_fps)
    return settings


def keep_frame(timestamp: float, first: float, kept: int, sample_fps: float | None) -> bool:
    """Frame sampling by time: keep the first frame at or after each 1/sample_fps tick.

    Ticks count from the first frame's time; a 1 ms slack absorbs timestamp rounding, so 30 fps
    sampled at 15 keeps every other frame exactly."""
    return not sample_fps or timestamp >= first + kept / sample_fps - 1e-3


_POSE_MODEL_FILES = {
    0: "pose_landmark_lite.tflite",
    1: "pose_landmark_full.tflite",
    2: "pose_landmark_heavy.tflite",
}


class ModelUnavailableError(RuntimeError):
    """The pose model for this model_complexity is not installed (and cannot be fetched)."""


def available_model_complexities() -> list[int]:
    """model_complexity values whose pose model ships in the installed mediapipe.

    The wheel carries only the "full" model (1); MediaPipe downloads lite (0) and heavy (2) on
    first use, which fails on machines without internet access.
    """
    import mediapipe

    folder = Path(mediapipe.__file__).parent / "modules" / "pose_landmark"
    return [level for level, name in _POSE_MODEL_FILES.items() if (folder / name).is_file()]


def new_holistic(model_complexity: int = 1) -> Any:
    """A MediaPipe Holistic graph in video (tracking) mode with our settings."""
    try:
        from mediapipe.python.solutions import holistic
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "landmark extraction needs mediapipe==0.10.21 (pip install 'slrweb[holistic]')"
        ) from error
    if model_complexity not in available_model_complexities():
        raise ModelUnavailableError(
            f"model_complexity={model_complexity} needs "
            f"{_POSE_MODEL_FILES.get(model_complexity, 'an unknown model')}, which is not "
            f"installed; available: {available_model_complexities()}"
        )
    return holistic.Holistic(
        static_image_mode=False,
        model_complexity=model_complexity,
        smooth_landmarks=True,
        refine_face_landmarks=False,
    )


def results_to_points(results: Any) -> np.ndarray:
    """One Holistic result -> (543, 3) float32 with NaN for parts not detected."""
    points = np.full((NUM_POINTS, 3), np.nan, dtype=np.float32)
    for name, sl in PARTS.items():
        part = getattr(results, f"{name}_landmarks")
        if part is not None:
            points[sl] = [(lm.x, lm.y, lm.z) for lm in part.landmark]
    return points


def extract_landmarks(
    path: str | os.PathLike[str],
    *,
    model_complexity: int = 1,
    progress: ProgressCallback | None = None,
    start: float = 0.0,
    end: float | None = None,
    on_chunk: ChunkCallback | None = None,
    chunk_seconds: float = 2.0,
    sample_fps: float | None = None,
) -> LandmarkSequence:
    """Run Holistic on every frame of the video (or of [start, end) seconds).

    on_chunk(prefix), if given, is called every `chunk_seconds` of video with the frames read so
    far (a LandmarkSequence sharing this function's buffer: read it, do not keep it), so that
    recognition can start while extraction goes on. With `sample_fps` (below the video's rate)
    Holistic reads only that many frames per second (keep_frame), and the sequence's fps is it.

    progress(done_frames, total_frames) is called every PROGRESS_EVERY frames and once at the end;
    total_frames is the probed frame count (None when unknown). Raises InvalidVideoError for files
    that are not usable videos. A clip with no person gives an all-absent sequence and a warning in
    meta["warnings"].
    """
    info = probe_video(path)
    whole = start <= 0 and end is None
    rate = min(info.fps or 30.0, sample_fps) if sample_fps else (info.fps or 30.0)
    total = info.frame_count if whole else None
    if total is not None and sample_fps and sample_fps < (info.fps or 30.0):
        total = int(np.ceil(total * rate / (info.fps or 30.0)))
    span = (end if end is not None else info.duration) - start
    # Preallocated to the expected length so a long clip never holds two copies of its output.
    points = np.empty((max(1, total or int(span * info.fps) + 8), NUM_POINTS, 3), np.float32)
    timestamps: list[float] = []
    chunk = max(1, int(round(chunk_seconds * rate)))
    first: float | None = None
    with new_holistic(model_complexity) as holistic:
        for frame in iter_frames(path, start=start, end=end):
            first = frame.timestamp if first is None else first
            if not keep_frame(frame.timestamp, first, len(timestamps), sample_fps):
                continue
            if len(timestamps) == len(points):
                points = np.concatenate([points, np.empty_like(points)])
            points[len(timestamps)] = results_to_points(holistic.process(frame.image))
            timestamps.append(frame.timestamp)
            if progress is not None and len(timestamps) % PROGRESS_EVERY == 0:
                progress(len(timestamps), total)
            if on_chunk is not None and len(timestamps) % chunk == 0:
                n = len(timestamps)
                on_chunk(LandmarkSequence.from_points(points[:n], fps=rate,
                                                      timestamps=np.array(timestamps)))
    if progress is not None:
        progress(len(timestamps), total)
    points = points if len(points) == len(timestamps) else points[: len(timestamps)].copy()
    sequence = LandmarkSequence.from_points(points, fps=rate, timestamps=np.array(timestamps))
    sequence.meta.update(
        extractor_settings(model_complexity, sample_fps),
        source={
            "width": info.width,
            "height": info.height,
            "rotation": info.rotation,
            "codec": info.codec,
            "duration": info.duration,
        },
        warnings=detection_warnings(sequence),
    )
    return sequence


def detection_warnings(sequence: LandmarkSequence) -> list[str]:
    """Plain-language warnings about what was not found (empty list when all is well)."""
    if len(sequence) == 0 or not sequence.presence.any():
        return [NO_PERSON_WARNING]
    hands = (
        sequence.presence[:, PART_NAMES.index("left_hand")]
        | sequence.presence[:, PART_NAMES.index("right_hand")]
    )
    return [] if hands.any() else [NO_HANDS_WARNING]
