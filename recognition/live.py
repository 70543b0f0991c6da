"""Live mode (issue 14, item 5): landmark frames from the browser, signs while the person signs.

The page extracts Holistic landmarks from the camera and sends them over the WebSocket as
binary messages: little-endian float32, one row of FRAME_VALUES per frame,

    [t_ms, recovered, x0, y0, z0, x1, ..., z542]     # (n, 2 + 543 * 3)

t_ms: the frame's time in milliseconds from the first frame (whole milliseconds, so that the
times the server reads are the ones the page meant); recovered: which hands MediaPipe Hands
found where Holistic lost them (0 none, 1 left, 2 right, 3 both; the page recovers them for a
language whose models were trained so, as jobs do: landmarks/hands.py), kept as the sequence's
meta so that models trained on Holistic alone drop them again; points in the 543-point Holistic
layout (landmarks.layout), NaN where a part was not detected. A LiveSession checks each message
(shape, finite values, times in order, the frame rate, that the frames do not run ahead of the
clock, the duration limit) and keeps the frames; the growing sequence goes to the same
StreamingSpotter the jobs use (`take_prefix`), and `take_whole` ends the session for the
spotter's `finish`: the non-streaming result of everything received. No Django here: the
consumer (recognition.consumers) speaks the protocol.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from landmarks.hands import RECOVERED_KEY, flagged_without_landmarks, recovered_meta
from landmarks.layout import NUM_POINTS
from landmarks.sequence import LandmarkSequence

FRAME_VALUES = 2 + NUM_POINTS * 3
BYTES_PER_FRAME = 4 * FRAME_VALUES


class LiveError(ValueError):
    """A message the session refused; `code` names the rule, the message is shown to the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LiveLimits:
    fps: float = 15.0  # the rate the page samples the camera at (the jobs' extraction rate)
    max_seconds: float = 120.0  # of landmarks in one live session
    max_frames_per_message: int = 64
    # Frames may be no closer than 1 / (rate_factor * fps): a faster client is refused.
    rate_factor: float = 2.0
    # Frames may not run ahead of the wall clock since the first frame by more than this
    # (None: not checked, for replaying a recorded sequence as fast as the server reads it).
    clock_slack_seconds: float | None = 2.0
    step_seconds: float = 0.5  # recognise again once this much new signing has arrived


def decode_frames(data: bytes, max_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(timestamps in seconds (n,), points (n, 543, 3), recovered hands (n, 2) bool, left and
    right) of one binary message; LiveError."""
    if not data or len(data) % BYTES_PER_FRAME:
        raise LiveError(
            "bad-shape",
            f"A frames message holds whole frames of {FRAME_VALUES} float32 values "
            f"({BYTES_PER_FRAME} bytes: time in ms, recovered hands, then 543 points x, y, z); "
            f"this one has {len(data)} bytes.")
    rows = np.frombuffer(data, dtype="<f4").reshape(-1, FRAME_VALUES)
    if len(rows) > max_frames:
        raise LiveError("too-many-frames",
                        f"At most {max_frames} frames per message; this one has {len(rows)}.")
    stamps, marks, points = rows[:, 0], rows[:, 1], rows[:, 2:].reshape(-1, NUM_POINTS, 3)
    if not np.isfinite(stamps).all() or (stamps < 0).any() or (stamps != np.round(stamps)).any():
        raise LiveError("bad-time", "Frame times must be whole, finite milliseconds from 0 on.")
    if np.isinf(points).any():
        raise LiveError("not-finite",
                        "Landmarks must be finite numbers; only NaN (a part not seen) is allowed.")
    if not np.isin(marks, (0, 1, 2, 3)).all():
        raise LiveError("bad-recovered",
                        "A frame's recovered hands must be 0, 1 (left), 2 (right) or 3 (both).")
    recovered = np.stack([(marks.astype(np.int64) >> k) & 1 for k in range(2)], axis=1) > 0
    wrong = flagged_without_landmarks(points, recovered)
    if wrong:
        raise LiveError("bad-recovered",
                        f"A frame marks the {wrong[0].replace('_', ' ')} as recovered without "
                        "its landmarks.")
    return stamps.astype(np.float64) / 1000.0, points.copy(), recovered


def encode_frames(timestamps: np.ndarray, points: np.ndarray,
                  recovered: np.ndarray | None = None) -> bytes:
    """The binary message for these frames (what the page sends; tests and bench use it);
    recovered: (n, 2) bool, the hands MediaPipe Hands filled (None: none)."""
    stamps_ms = np.round(np.asarray(timestamps, dtype=np.float64) * 1000.0)
    flags = (np.zeros((len(stamps_ms), 2), bool) if recovered is None
             else np.asarray(recovered, bool).reshape(len(stamps_ms), 2))
    marks = flags[:, 0] * 1 + flags[:, 1] * 2
    rows = np.concatenate([stamps_ms.reshape(-1, 1), marks.reshape(-1, 1),
                           np.asarray(points, dtype=np.float32).reshape(len(stamps_ms), -1)],
                          axis=1)
    return rows.astype("<f4").tobytes()


class LiveSession:
    """The frames of one live session and the streaming spotter reading them."""

    def __init__(self, limits: LiveLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self._stamps: list[np.ndarray] = []
        self._points: list[np.ndarray] = []
        self._recovered: list[np.ndarray] = []
        self.frames = 0
        self.last_time = -math.inf
        self.started_at: float | None = None
        self.recognized_frames = 0  # frames the spotter has read
        self.finished = False

    def add(self, data: bytes) -> int:
        """Check and keep one binary message; returns how many frames it held."""
        if self.finished:
            raise LiveError("stopped", "This live session has stopped; start a new one.")
        stamps, points, recovered = decode_frames(data, self.limits.max_frames_per_message)
        gaps = np.diff(np.concatenate([[self.last_time], stamps]))
        if (gaps <= 0).any():
            raise LiveError("bad-time", "Frame times must increase from frame to frame.")
        if (gaps < 1.0 / (self.limits.rate_factor * self.limits.fps) - 1e-6).any():
            raise LiveError("too-fast", f"Frames come faster than {self.limits.rate_factor:g} x "
                                        f"{self.limits.fps:g} per second.")
        if stamps[-1] + 1.0 / self.limits.fps > self.limits.max_seconds:
            raise LiveError("too-long", f"A live session holds at most "
                                        f"{self.limits.max_seconds:g} s; stop and save it.")
        now = self.clock()
        if self.started_at is None:
            self.started_at = now - float(stamps[0])
        slack = self.limits.clock_slack_seconds
        if slack is not None and stamps[-1] > now - self.started_at + slack:
            raise LiveError("ahead-of-clock",
                            "Frames arrive faster than they can have been filmed.")
        self._stamps.append(stamps)
        self._points.append(points)
        self._recovered.append(recovered)
        self.frames += len(stamps)
        self.last_time = float(stamps[-1])
        return len(stamps)

    def sequence(self) -> LandmarkSequence:
        """Every frame received so far (fps: the rate the page samples at)."""
        if not self._stamps:
            return LandmarkSequence.from_points(np.zeros((0, NUM_POINTS, 3), np.float32),
                                                fps=self.limits.fps)
        if len(self._stamps) > 1:  # keep one block: the next call concatenates only new frames
            self._stamps = [np.concatenate(self._stamps)]
            self._points = [np.concatenate(self._points)]
            self._recovered = [np.concatenate(self._recovered)]
        sequence = LandmarkSequence.from_points(self._points[0], fps=self.limits.fps,
                                                timestamps=self._stamps[0])
        if self._recovered[0].any():  # models trained on Holistic alone drop these hands
            sequence.meta[RECOVERED_KEY] = recovered_meta(self._stamps[0], self._recovered[0])
        return sequence

    def due(self) -> bool:
        """Whether enough new signing arrived since the spotter last read the frames."""
        new = self.frames - self.recognized_frames
        return not self.finished and new >= self.limits.step_seconds * self.limits.fps

    def take_prefix(self) -> LandmarkSequence:
        """The frames so far, for the spotter's next `feed` (taken where frames are added: the
        spotter then runs on its own copy in another thread)."""
        prefix = self.sequence()
        self.recognized_frames = len(prefix)
        return prefix

    def take_whole(self) -> LandmarkSequence:
        """Every frame received, for the spotter's `finish`; the session takes no more."""
        whole = self.take_prefix()
        self.finished = True
        return whole

    def npz_bytes(self) -> bytes:
        """The frames received as the project's .npz (what a landmarks-only upload sends)."""
        from landmarks.formats.npz import save_npz

        buffer = io.BytesIO()
        save_npz(self.sequence(), buffer)
        return buffer.getvalue()
