"""Extraction of one long video by several processes, one time chunk each.

The clip is cut into `workers` equal time spans [start, end); each process seeks to its span (it
decodes from the keyframe before `start` and drops the frames before it, so borders are exact)
and runs its own Holistic graph. Tracking therefore restarts at every chunk border: the first
frame of a chunk is detected from scratch and landmark smoothing does not carry over, so a few
frames around each border can differ slightly from a single-process run. Chunks are concatenated
in time order.

Processes are started with "spawn" (no inherited FFmpeg/MediaPipe threads); counters in shared
memory carry per-chunk progress back to the caller's progress callback.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from landmarks.decode import probe_video
from landmarks.extract import detection_warnings, extract_landmarks
from landmarks.sequence import LandmarkSequence

_done_counters: Any = None  # per-worker-process handle on the shared progress counters


def _init_worker(counters: Any) -> None:
    global _done_counters
    _done_counters = counters


def _extract_chunk(
    job: tuple[str, int, float, float | None, int, float | None],
) -> LandmarkSequence:
    path, chunk, start, end, model_complexity, sample_fps = job

    def report(done: int, _total: int | None) -> None:
        _done_counters[chunk] = done

    return extract_landmarks(
        path, model_complexity=model_complexity, progress=report, start=start, end=end,
        sample_fps=sample_fps,
    )


def chunk_bounds(duration: float, workers: int) -> list[tuple[float, float | None]]:
    """`workers` equal spans covering [0, duration); the last one is open-ended."""
    edges = [duration * i / workers for i in range(workers)]
    return [(edges[i], edges[i + 1] if i + 1 < workers else None) for i in range(workers)]


def extract_landmarks_parallel(
    path: str | os.PathLike[str],
    *,
    workers: int = 2,
    model_complexity: int = 1,
    progress: Callable[[int, int | None], None] | None = None,
    poll_seconds: float = 0.25,
    sample_fps: float | None = None,
) -> LandmarkSequence:
    """extract_landmarks split over `workers` processes (see the module docstring)."""
    if workers <= 1:
        return extract_landmarks(path, model_complexity=model_complexity, progress=progress,
                                 sample_fps=sample_fps)
    info = probe_video(path)
    bounds = chunk_bounds(info.duration, workers)
    context = multiprocessing.get_context("spawn")
    counters = context.Array("q", workers, lock=False)
    jobs = [(str(path), i, s, e, model_complexity, sample_fps) for i, (s, e) in enumerate(bounds)]
    with context.Pool(workers, initializer=_init_worker, initargs=(counters,)) as pool:
        pending = pool.map_async(_extract_chunk, jobs, chunksize=1)
        while not pending.ready():
            if progress is not None:
                progress(int(sum(counters)), info.frame_count)
            time.sleep(poll_seconds)
        chunks: list[LandmarkSequence] = pending.get()
    sequence = concatenate(chunks, fps=chunks[0].fps)
    if progress is not None:
        progress(len(sequence), info.frame_count)
    sequence.meta.update({k: v for k, v in chunks[0].meta.items() if k != "warnings"})
    sequence.meta["chunks"] = [
        {"start": s, "end": e, "frames": len(c)} for (s, e), c in zip(bounds, chunks)
    ]
    sequence.meta["warnings"] = detection_warnings(sequence)
    return sequence


def concatenate(chunks: list[LandmarkSequence], fps: float) -> LandmarkSequence:
    """Join sequences in order (timestamps are already absolute)."""
    return LandmarkSequence(
        points=np.concatenate([c.points for c in chunks]),
        presence=np.concatenate([c.presence for c in chunks]),
        timestamps=np.concatenate([c.timestamps for c in chunks]),
        fps=fps,
    )
