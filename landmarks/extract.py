"""MediaPipe Holistic over a video file -> LandmarkSequence.

Output axis order: points (T, 543, 3) = (frames, points, x/y/z), points ordered pose 33, face 468,
left hand 21, right hand 21 (landmarks.layout). x and y are normalised to the upright frame's
width and height (x right, y down), z is MediaPipe's relative depth. "Left hand" is the signer's
own left hand: Holistic assigns hands from the pose's wrists on the unmirrored image, which is what
we feed it (no selfie flip). A part not detected in a frame is NaN and its presence bit is False.

Tracking (Holistic's state from frame to frame: the regions it follows, landmark smoothing) and
frame sampling restart at the start of every tracking segment: the clip cut into an even number of
equal segments of at most SEGMENT_SECONDS (whole frames at the reading rate; segment_plan). A
segment's landmarks therefore depend on its frames alone, so landmarks.parallel can hand segments
to several processes and give exactly what one process gives (tracking state never converges to
the same values once two runs differ: a run started 3 s earlier still differs by ~1e-3 in pose
x/y 10 s later); equal segments in an even number give two processes equal shares.

A process keeps its Holistic graph between extractions (holistic_graph): building one and its
first frame (model loading) costs ~0.5-1 s, and every segment starts with a reset anyway, so a
reused graph gives the same landmarks as a new one; warm_holistic builds it ahead of the first
job (a Celery pool process at start, jobs.warm).

mediapipe is imported lazily so that importing this module (e.g. for EXTRACTOR_VERSION) is cheap.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from landmarks.decode import VideoInfo, iter_decoded, probe_video, upright_rgb
from landmarks.hands import SIDES, RECOVERED_KEY, recover_hands, recovered_meta, warm_hands
from landmarks.hands import resolve as resolve_hand_recovery
from landmarks.layout import NUM_POINTS, PART_NAMES, PARTS
from landmarks.sequence import LandmarkSequence

# Bump the suffix whenever extraction output changes; the mediapipe pin is part of the version
# so that upgrading it invalidates every cached result (tests check the pin matches).
EXTRACTOR_VERSION = "holistic-mediapipe-0.10.21/3"
PROGRESS_EVERY = 5  # frames between progress callbacks
# Tracking restarts at the start of every segment of at most this many seconds of video, so that
# a clip's landmarks are the same whether one process reads it or several share its segments
# (landmarks.parallel, segment_plan).
SEGMENT_SECONDS = 2.0

ProgressCallback = Callable[[int, "int | None"], None]
ChunkCallback = Callable[[LandmarkSequence], None]

NO_PERSON_WARNING = (
    "No person was detected in the video: no body, face or hands were found on any frame."
)
NO_HANDS_WARNING = "No hands were detected in the video."


def extractor_settings(model_complexity: int = 1, sample_fps: float | None = None,
                       hand_recovery: bool | None = None) -> dict[str, Any]:
    """The settings that change extraction output; part of the cache key. hand_recovery: as
    landmarks.hands.resolve (None: the SLRWEB_HAND_RECOVERY switch alone)."""
    settings: dict[str, Any] = {
        "extractor_version": EXTRACTOR_VERSION,
        "model_complexity": int(model_complexity),
        "refine_face_landmarks": False,
        "smooth_landmarks": True,
        "segments": f"even count, equal, at most {SEGMENT_SECONDS:g} s",
    }
    if resolve_hand_recovery(hand_recovery):  # absent when off: earlier entries stay valid
        settings["hand_recovery"] = True
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


_IDLE_GRAPHS: dict[int, Any] = {}  # model_complexity -> this process's idle graph
_GRAPHS_LOCK = threading.Lock()


@contextmanager
def holistic_graph(model_complexity: int = 1) -> Iterator[Any]:
    """This process's Holistic graph for `model_complexity` (built on first use, then kept
    between extractions), or a new one while another thread of this process uses it; give it
    back by leaving the block. Callers reset it before each tracking run (SegmentExtractor)."""
    with _GRAPHS_LOCK:
        graph = _IDLE_GRAPHS.pop(model_complexity, None)
        if graph is None:  # built under the lock: a thread warming it up is waited for
            graph = new_holistic(model_complexity)
    try:
        yield graph
    except BaseException:
        graph.close()  # the graph may be mid-frame; a later extraction builds a new one
        raise
    with _GRAPHS_LOCK:
        if model_complexity not in _IDLE_GRAPHS:
            _IDLE_GRAPHS[model_complexity] = graph
            graph = None
    if graph is not None:
        graph.close()


def warm_holistic(model_complexity: int = 1, hand_recovery: bool | None = None) -> None:
    """Build this process's graph and run it once on a blank frame (loads its models), so that
    the first extraction starts at full speed."""
    with _GRAPHS_LOCK:
        if model_complexity in _IDLE_GRAPHS:
            return
        graph = new_holistic(model_complexity)
        graph.process(np.zeros((240, 320, 3), np.uint8))
        _IDLE_GRAPHS[model_complexity] = graph
    if resolve_hand_recovery(hand_recovery):
        warm_hands()


def results_to_points(results: Any) -> np.ndarray:
    """One Holistic result -> (543, 3) float32 with NaN for parts not detected."""
    points = np.full((NUM_POINTS, 3), np.nan, dtype=np.float32)
    for name, sl in PARTS.items():
        part = getattr(results, f"{name}_landmarks")
        if part is not None:
            points[sl] = [(lm.x, lm.y, lm.z) for lm in part.landmark]
    return points


def holistic_frame(holistic: Any, image: np.ndarray,
                   hand_recovery: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Holistic on one RGB frame -> ((543, 3) points, (2,) bool: left and right hand recovered),
    the hands it lost found again where the pose says they are in the picture when recovery is
    on (landmarks.hands.resolve). Every extraction reads frames through this."""
    results = holistic.process(image)
    points = results_to_points(results)
    flags = np.zeros(2, dtype=bool)
    if resolve_hand_recovery(hand_recovery):
        filled = recover_hands(points, results.pose_landmarks, image)
        flags[:] = [side in filled for side in SIDES]
    return points, flags


def holistic_points(holistic: Any, image: np.ndarray,
                    hand_recovery: bool | None = None) -> np.ndarray:
    """holistic_frame's points alone."""
    return holistic_frame(holistic, image, hand_recovery)[0]


def segment_plan(duration: float | None, rate: float) -> tuple[float, int | None]:
    """(segment length in seconds, number of segments) of a clip of `duration` seconds read at
    `rate` frames per second: the fewest segments of at most SEGMENT_SECONDS, made even (two
    processes then read equal shares instead of one reading a whole segment more), of equal
    length in whole frames at `rate` (the last segment also takes the remainder). A clip of one
    segment's length or less, or of unknown duration, has segments of SEGMENT_SECONDS (count None:
    as many as its frames need)."""
    if not duration or duration <= SEGMENT_SECONDS:
        return SEGMENT_SECONDS, None if not duration else 1
    count = int(np.ceil(duration / SEGMENT_SECONDS - 1e-9))
    count += count % 2
    frames = max(1, int(np.floor(duration / count * rate + 1e-6)))
    return frames / rate, count


def segment_index(timestamp: float, length: float, last: int | None = None) -> int:
    """The segment of `length` seconds a frame at `timestamp` falls in (at most `last`)."""
    index = int(np.floor((timestamp + 1e-6) / length))
    return index if last is None else min(index, last)


@dataclass(frozen=True)
class ExtractionPlan:
    """What one extraction reads: the probed clip, its [start, end) window, the rate Holistic
    reads at, and the tracking segments covering the window (the last one open-ended, so frames
    past a probed duration that was too short are still read, in that segment)."""

    path: str
    info: VideoInfo
    start: float
    end: float | None
    sample_fps: float | None
    rate: float
    total: int | None  # frames Holistic will read, when known in advance
    segments: tuple[int, ...]
    segment_seconds: float = SEGMENT_SECONDS  # segment_plan's length (the last one open-ended)
    hand_recovery: bool = False  # landmarks.hands, resolved when the plan is made

    def segment_of(self, timestamp: float) -> int:
        """The tracking segment a frame at `timestamp` seconds belongs to: the one rule both the
        single-process and the split readers use, so their borders agree."""
        return segment_index(timestamp, self.segment_seconds, self.segments[-1])

    @classmethod
    def of(cls, path: str | os.PathLike[str], *, start: float = 0.0, end: float | None = None,
           sample_fps: float | None = None, hand_recovery: bool | None = None) -> ExtractionPlan:
        info = probe_video(path)
        source_fps = info.fps or 30.0
        rate = min(source_fps, sample_fps) if sample_fps else source_fps
        total = info.frame_count if start <= 0 and end is None else None
        if total is not None and sample_fps and sample_fps < source_fps:
            total = int(np.ceil(total * rate / source_fps))
        stop = end if end is not None else info.duration
        length, count = segment_plan(info.duration, rate)
        cap = None if count is None else count - 1
        first = segment_index(max(0.0, start), length, cap)
        last = max(first, segment_index(max(start, stop - 1e-3), length, cap))
        return cls(str(path), info, start, end, sample_fps, rate, total,
                   tuple(range(first, last + 1)), length, resolve_hand_recovery(hand_recovery))

    def expected_frames(self) -> int:
        span = (self.end if self.end is not None else self.info.duration) - self.start
        return max(1, self.total or int(span * (self.info.fps or 30.0)) + 8)


class _SegmentReader:
    """Decoded frames of one clip by tracking segment, for one process.

    Segments are asked for in increasing order; the decoder stays open between them, skipping
    (decoding only) the frames of segments other processes read, and seeks when the next one
    starts more than SEEK_AHEAD_SEGMENTS segments ahead or behind where it is.
    """

    SEEK_AHEAD_SEGMENTS = 2

    def __init__(self, plan: ExtractionPlan) -> None:
        self.plan = plan
        self.last = plan.segments[-1]
        self._frames: Iterator[tuple[float, Any]] | None = None
        self._next: tuple[float, Any] | None = None  # read ahead: the first frame of a later segment
        self._at = -1  # segment of the next frame (or of the last one read)

    def _open(self, segment: int) -> None:
        begin = segment * self.plan.segment_seconds - 0.05  # a little before: segment_of decides
        start = self.plan.start if begin <= self.plan.start else begin
        self._frames = iter_decoded(self.plan.path, start=start, end=self.plan.end)
        self._next, self._at = None, segment

    def frames(self, segment: int) -> Iterator[tuple[float, Any]]:
        """(timestamp, decoded frame) of `segment`, in order."""
        if (self._frames is None or segment < self._at
                or segment - self._at > self.SEEK_AHEAD_SEGMENTS):
            self._open(segment)
        assert self._frames is not None
        while True:
            if self._next is None:
                item = next(self._frames, None)
                if item is None:
                    self._at = self.last + 1
                    return
            else:
                item, self._next = self._next, None
            self._at = self.plan.segment_of(item[0])
            if self._at < segment:
                continue
            if self._at > segment:
                self._next = item
                return
            yield item


class SegmentExtractor:
    """One process's Holistic graph (holistic_graph) and decoder: landmarks of whole tracking
    segments.

    Every segment starts a new tracking run (Holistic.reset) and its own sampling ticks, so a
    segment's landmarks depend only on its own frames: which process reads it, and what its
    graph read before, changes nothing.
    """

    def __init__(self, plan: ExtractionPlan, model_complexity: int = 1) -> None:
        self.plan = plan
        self.reader = _SegmentReader(plan)
        self._graph = holistic_graph(model_complexity)

    def __enter__(self) -> SegmentExtractor:
        self.holistic = self._graph.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._graph.__exit__(*exc)

    def frames(self, segment: int) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
        """(timestamp, (543, 3) points, (2,) hands recovered) for each frame Holistic reads in
        `segment`."""
        self.holistic.reset()
        first: float | None = None
        kept = 0
        for timestamp, frame in self.reader.frames(segment):
            first = timestamp if first is None else first
            if not keep_frame(timestamp, first, kept, self.plan.sample_fps):
                continue
            kept += 1
            yield (timestamp, *holistic_frame(self.holistic, upright_rgb(frame),
                                              self.plan.hand_recovery))


class Assembler:
    """Frames arriving per segment, segments in any order (several processes), joined in time
    order into one preallocated buffer. The complete prefix is handed to `on_chunk` at every
    multiple of `chunk_frames` frames (a LandmarkSequence sharing the buffer: read it, do not
    keep it); progress(frames received, total) is called every PROGRESS_EVERY frames received."""

    def __init__(self, plan: ExtractionPlan, *, progress: ProgressCallback | None = None,
                 on_chunk: ChunkCallback | None = None, chunk_seconds: float = 2.0) -> None:
        self.plan, self.progress, self.on_chunk = plan, progress, on_chunk
        self.chunk_frames = max(1, int(round(chunk_seconds * plan.rate)))
        self.points = np.empty((plan.expected_frames(), NUM_POINTS, 3), np.float32)
        self.recovered = np.zeros((len(self.points), 2), bool)  # hands landmarks.hands filled
        self.timestamps: list[float] = []
        self.frontier = 0  # index in plan.segments of the first segment not yet complete
        self._frontier_start = 0  # where its frames begin in the buffer
        self.pending: dict[int, list[tuple[list[float], np.ndarray, np.ndarray]]] = {}
        self.finished: set[int] = set()
        self.received = 0
        self._chunked = 0

    @property
    def complete(self) -> bool:
        return self.frontier >= len(self.plan.segments)

    def add(self, segment: int, timestamps: list[float], points: np.ndarray,
            recovered: np.ndarray | None = None) -> None:
        """Frames of `segment`, in order after the ones added before for it; recovered (n, 2)
        bool: which of their hands landmarks.hands filled (None: none)."""
        if self.complete or segment < self.plan.segments[self.frontier]:
            raise ValueError(f"segment {segment} is already complete")
        flags = (np.zeros((len(timestamps), 2), bool) if recovered is None
                 else np.asarray(recovered, bool).reshape(len(timestamps), 2))
        if segment == self.plan.segments[self.frontier]:
            self._append(timestamps, points, flags)
        else:
            self.pending.setdefault(segment, []).append((list(timestamps), np.array(points),
                                                         flags))
        before, self.received = self.received, self.received + len(timestamps)
        if self.progress is not None and before // PROGRESS_EVERY != self.received // PROGRESS_EVERY:
            self.progress(self.received, self.plan.total)
        self._maybe_chunk()

    def finish(self, segment: int) -> None:
        """`segment` has no more frames."""
        self.finished.add(segment)
        while not self.complete and self.plan.segments[self.frontier] in self.finished:
            self.frontier += 1
            self._frontier_start = len(self.timestamps)
            if not self.complete:
                for timestamps, points, flags in self.pending.pop(
                        self.plan.segments[self.frontier], []):
                    self._append(timestamps, points, flags)
        self._maybe_chunk()

    def drop(self, segment: int) -> None:
        """Forget what arrived for an unfinished segment (its reader died; it is read again)."""
        if segment in self.finished:
            raise ValueError(f"segment {segment} is complete")
        if not self.complete and segment == self.plan.segments[self.frontier]:
            kept = self._frontier_start
            self.received -= len(self.timestamps) - kept
            del self.timestamps[kept:]
            # Prefixes already handed on stay valid: a segment read again gives the same frames.
        else:
            self.received -= sum(len(t) for t, _, _ in self.pending.pop(segment, []))

    def _append(self, timestamps: list[float], points: np.ndarray, flags: np.ndarray) -> None:
        n, m = len(self.timestamps), len(timestamps)
        while n + m > len(self.points):
            self.points = np.concatenate([self.points, np.empty_like(self.points)])
            self.recovered = np.concatenate([self.recovered, np.zeros_like(self.recovered)])
        self.points[n:n + m] = points
        self.recovered[n:n + m] = flags
        self.timestamps.extend(timestamps)

    def _maybe_chunk(self) -> None:
        """Hand on the prefix at each multiple of chunk_frames it reached, in order, so the
        prefixes are the same however many processes read (one reader grows it frame by frame;
        with several, a helper's segment joins at once)."""
        if self.on_chunk is None:
            return
        while len(self.timestamps) >= self._chunked + self.chunk_frames:
            self._chunked += self.chunk_frames
            self.on_chunk(self._sequence(self.points[:self._chunked], self._chunked))

    def _sequence(self, points: np.ndarray, n: int) -> LandmarkSequence:
        """The first n frames (points: those frames' buffer), with the hands recovered."""
        timestamps = np.array(self.timestamps[:n])
        sequence = LandmarkSequence.from_points(points, fps=self.plan.rate, timestamps=timestamps)
        if self.plan.hand_recovery:
            sequence.meta[RECOVERED_KEY] = recovered_meta(timestamps, self.recovered[:n])
        return sequence

    def sequence(self, model_complexity: int, workers: int = 1) -> LandmarkSequence:
        """The whole extraction (every segment finished), with its meta."""
        if not self.complete:
            raise RuntimeError("extraction is not complete")
        n = len(self.timestamps)
        if self.progress is not None:
            self.progress(n, self.plan.total)
        sequence = self._sequence(self.points if len(self.points) == n
                                  else self.points[:n].copy(), n)
        info = self.plan.info
        sequence.meta.update(
            extractor_settings(model_complexity, self.plan.sample_fps, self.plan.hand_recovery),
            source={
                "width": info.width,
                "height": info.height,
                "rotation": info.rotation,
                "codec": info.codec,
                "duration": info.duration,
            },
            warnings=detection_warnings(sequence),
            segments=len(self.plan.segments),
            workers=workers,
        )
        return sequence


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
    hand_recovery: bool | None = None,
) -> LandmarkSequence:
    """Run Holistic on every frame of the video (or of [start, end) seconds), in this process.

    on_chunk(prefix), if given, is called every `chunk_seconds` of video with the frames read so
    far (a LandmarkSequence sharing this function's buffer: read it, do not keep it), so that
    recognition can start while extraction goes on. With `sample_fps` (below the video's rate)
    Holistic reads only that many frames per second (keep_frame), and the sequence's fps is it.
    landmarks.parallel gives the same result with several processes.

    progress(done_frames, total_frames) is called every PROGRESS_EVERY frames and once at the end;
    total_frames is the expected frame count (None when unknown). Raises InvalidVideoError for
    files that are not usable videos. A clip with no person gives an all-absent sequence and a
    warning in meta["warnings"].
    """
    plan = ExtractionPlan.of(path, start=start, end=end, sample_fps=sample_fps,
                             hand_recovery=hand_recovery)
    return extract_planned(plan, model_complexity=model_complexity, progress=progress,
                           on_chunk=on_chunk, chunk_seconds=chunk_seconds)


def extract_planned(
    plan: ExtractionPlan,
    *,
    model_complexity: int = 1,
    progress: ProgressCallback | None = None,
    on_chunk: ChunkCallback | None = None,
    chunk_seconds: float = 2.0,
) -> LandmarkSequence:
    """extract_landmarks of an already probed clip (`plan`), in this process."""
    assembler = Assembler(plan, progress=progress, on_chunk=on_chunk, chunk_seconds=chunk_seconds)
    with SegmentExtractor(plan, model_complexity) as extractor:
        for segment in plan.segments:
            for timestamp, points, recovered in extractor.frames(segment):
                assembler.add(segment, [timestamp], points[None], recovered[None])
            assembler.finish(segment)
    return assembler.sequence(model_complexity)


def detection_warnings(sequence: LandmarkSequence) -> list[str]:
    """Plain-language warnings about what was not found (empty list when all is well)."""
    if len(sequence) == 0 or not sequence.presence.any():
        return [NO_PERSON_WARNING]
    hands = (
        sequence.presence[:, PART_NAMES.index("left_hand")]
        | sequence.presence[:, PART_NAMES.index("right_hand")]
    )
    return [] if hands.any() else [NO_HANDS_WARNING]
