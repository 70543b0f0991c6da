"""Pure conversions of a job's outputs into files people download or pages draw.

- `webvtt_from_result`: recognised glosses and the translation as WebVTT subtitles.
- `overlay_landmarks`: the skeleton points of every frame, compact, for the result page's canvas.
- `landmarks_bytes`: stored landmarks in another file format (.pose, .npz, .parquet).
- `thumbnail_jpeg`: a small still of a clip for the history page.

No Django imports: the annotation tools and command-line scripts reuse these.
"""

from __future__ import annotations

import math
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.layout import FACE, LEFT_HAND, POSE, RIGHT_HAND

# MediaPipe's connection lists (mediapipe.solutions.holistic POSE_CONNECTIONS and
# HAND_CONNECTIONS, face_mesh_connections.FACEMESH_CONTOURS), copied so that the web process
# does not import mediapipe; tests/jobs/test_exports.py checks them against the library.
POSE_CONNECTIONS = (
    (0, 1), (0, 4), (1, 2), (2, 3), (3, 7), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13),
    (11, 23), (12, 14), (12, 24), (13, 15), (14, 16), (15, 17), (15, 19), (15, 21), (16, 18),
    (16, 20), (16, 22), (17, 19), (18, 20), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (27, 31), (28, 30), (28, 32), (29, 31), (30, 32),
)  # fmt: skip
HAND_CONNECTIONS = (
    (0, 1), (0, 5), (0, 17), (1, 2), (2, 3), (3, 4), (5, 6), (5, 9), (6, 7), (7, 8), (9, 10),
    (9, 13), (10, 11), (11, 12), (13, 14), (13, 17), (14, 15), (15, 16), (17, 18), (18, 19),
    (19, 20),
)  # fmt: skip
FACE_CONTOURS = (
    (0, 267), (7, 163), (10, 338), (13, 312), (14, 317), (17, 314), (21, 54), (33, 7), (33, 246),
    (37, 0), (39, 37), (40, 39), (46, 53), (52, 65), (53, 52), (54, 103), (58, 132), (61, 146),
    (61, 185), (63, 105), (65, 55), (66, 107), (67, 109), (70, 63), (78, 95), (78, 191), (80, 81),
    (81, 82), (82, 13), (84, 17), (87, 14), (88, 178), (91, 181), (93, 234), (95, 88), (103, 67),
    (105, 66), (109, 10), (127, 162), (132, 93), (136, 172), (144, 145), (145, 153), (146, 91),
    (148, 176), (149, 150), (150, 136), (152, 148), (153, 154), (154, 155), (155, 133),
    (157, 173), (158, 157), (159, 158), (160, 159), (161, 160), (162, 21), (163, 144), (172, 58),
    (173, 133), (176, 149), (178, 87), (181, 84), (185, 40), (191, 80), (234, 127), (246, 161),
    (249, 390), (251, 389), (263, 249), (263, 466), (267, 269), (269, 270), (270, 409),
    (276, 283), (282, 295), (283, 282), (284, 251), (288, 397), (293, 334), (295, 285),
    (296, 336), (297, 332), (300, 293), (310, 415), (311, 310), (312, 311), (314, 405),
    (317, 402), (318, 324), (321, 375), (323, 361), (324, 308), (332, 284), (334, 296),
    (338, 297), (356, 454), (361, 288), (365, 379), (373, 374), (374, 380), (375, 291),
    (377, 152), (378, 400), (379, 378), (380, 381), (381, 382), (382, 362), (384, 398),
    (385, 384), (386, 385), (387, 386), (388, 387), (389, 356), (390, 373), (397, 365),
    (398, 362), (400, 377), (402, 318), (405, 321), (409, 291), (415, 308), (454, 323),
    (466, 388),
)  # fmt: skip

# Part name -> (its slice of the 543 layout, connections in the part's own point numbers).
SKELETON: dict[str, tuple[slice, tuple[tuple[int, int], ...]]] = {
    "pose": (POSE, POSE_CONNECTIONS),
    "face": (FACE, FACE_CONTOURS),
    "left_hand": (LEFT_HAND, HAND_CONNECTIONS),
    "right_hand": (RIGHT_HAND, HAND_CONNECTIONS),
}
OVERLAY_SCALE = 10_000  # coordinates are sent as integers: 1e-4 of the frame is sub-pixel


def overlay_landmarks(sequence: Any) -> dict[str, Any]:
    """The skeleton of every frame as compact JSON for drawing over the video.

    Returns {"fps", "frames", "scale", "timestamps": [s], "indices": [layout index],
    "connections": {part: [[i, j]]} (positions in `indices`), "points": [[x0, y0, x1, y1, ...]
    per frame, integers of 1/scale of the frame, None where the part was not detected]}.
    Only points some connection uses are sent (the face as its contours, not 468 points).
    """
    used = sorted({sl.start + i for sl, pairs in SKELETON.values() for pair in pairs for i in pair})
    position = {index: k for k, index in enumerate(used)}
    connections = {
        part: [[position[sl.start + a], position[sl.start + b]] for a, b in pairs]
        for part, (sl, pairs) in SKELETON.items()
    }
    xy = np.asarray(sequence.points, dtype=np.float64)[:, used, :2]  # (T, P, 2)
    quantised = np.round(xy * OVERLAY_SCALE)
    frames = []
    for frame in quantised.reshape(len(quantised), -1):
        frames.append([None if math.isnan(v) else int(v) for v in frame.tolist()])
    return {
        "fps": float(sequence.fps),
        "frames": len(frames),
        "scale": OVERLAY_SCALE,
        "timestamps": [round(float(t), 4) for t in sequence.timestamps],
        "indices": used,
        "connections": connections,
        "points": frames,
    }


def format_timestamp(seconds: float) -> str:
    """WebVTT time: HH:MM:SS.mmm."""
    millis = max(0, int(round(seconds * 1000)))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _cue_text(text: str) -> str:
    # A cue ends at a blank line and "-->" starts a timing line: neither may appear inside.
    text = re.sub(r"\s*\n\s*", " ", text.strip()).replace("-->", "->")
    return text.replace("&", "&amp;").replace("<", "&lt;")


def result_duration(result: Mapping[str, Any], video_duration: float | None = None) -> float:
    """The clip's length for subtitles: the video's, else the landmarks', else the last segment."""
    segments = (result.get("recognition") or {}).get("segments") or []
    candidates = [
        video_duration,
        (result.get("landmarks") or {}).get("duration"),
        max((float(s.get("end", 0)) for s in segments), default=None),
    ]
    for value in candidates:
        if value and math.isfinite(float(value)) and float(value) > 0:
            return float(value)
    return 0.0


def webvtt_from_result(result: Mapping[str, Any], video_duration: float | None = None) -> str:
    """Subtitles of a job result: one cue per recognised segment (its most likely gloss) and one
    cue with the translated text over the whole clip (the translator gives no word timings)."""
    cues: list[tuple[float, float, str, str]] = []
    segments = (result.get("recognition") or {}).get("segments") or []
    for number, segment in enumerate(segments, start=1):
        topk = segment.get("topk") or []
        if not topk:
            continue
        start, end = float(segment["start"]), float(segment["end"])
        cues.append((start, max(end, start + 0.001), f"gloss-{number}", str(topk[0]["gloss"])))
    text = ((result.get("translation") or {}).get("text") or "").strip()
    if text:
        duration = result_duration(result, video_duration) or 1.0
        cues.append((0.0, duration, "translation", text))
    lines = ["WEBVTT", ""]
    if not cues:
        lines += ["NOTE No recognition or translation model ran for this job.", ""]
    for start, end, identifier, body in sorted(cues, key=lambda cue: (cue[0], cue[1])):
        lines += [identifier, f"{format_timestamp(start)} --> {format_timestamp(end)}"]
        lines += [_cue_text(body), ""]
    return "\n".join(lines)


def landmarks_bytes(sequence: Any, suffix: str) -> bytes:
    """The sequence written in the format of `suffix` (".pose", ".npz", ".parquet")."""
    from landmarks.formats import write_landmarks

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"landmarks{suffix}"
        write_landmarks(sequence, path)
        return path.read_bytes()


def thumbnail_jpeg(video: str | Path, width: int = 320, at_seconds: float = 0.5) -> bytes:
    """A JPEG still of the clip `at_seconds` in (or its last frame when shorter), `width` wide."""
    import cv2

    from landmarks.decode import iter_frames

    chosen = None
    for frame in iter_frames(video, end=at_seconds + 1e-3):
        chosen = frame.image
    if chosen is None:
        raise ValueError(f"no frame could be decoded from {video}")
    height = max(1, round(chosen.shape[0] * width / chosen.shape[1]))
    small = cv2.resize(chosen, (width, height), interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [
        cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def download_name(original_name: str, suffix: str, fallback: str = "slrweb") -> str:
    """A safe attachment file name from the uploaded name's stem: "My clip.mp4" -> "My-clip.vtt"."""
    stem = Path(original_name or "").stem
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:80]
    return f"{stem or fallback}{suffix}"


CONTROL_PIECES = frozenset({"<s>", "</s>", "<pad>"})  # not text: SentencePiece decode drops them


def low_confidence_words(
    tokens: Iterable[Mapping[str, Any]], threshold: float = 0.5
) -> list[tuple[str, float, bool]]:
    """Group SentencePiece pieces into words ("▁" starts a word): (word, probability of its least
    likely piece, below `threshold`). The result page marks the same words."""
    words: list[tuple[str, float]] = []
    for token in tokens:
        piece, prob = str(token.get("piece", "")), math.exp(float(token.get("logprob", 0.0)))
        if piece in CONTROL_PIECES:
            continue
        if piece.startswith("\u2581") or not words:
            words.append((piece.lstrip("\u2581"), prob))
        else:
            text, lowest = words[-1]
            words[-1] = (text + piece, min(lowest, prob))
    return [(text, prob, prob < threshold) for text, prob in words if text]
