"""Extraction of one video by several processes sharing its tracking segments.

landmarks.extract restarts tracking at every SEGMENT_SECONDS of video, so a segment's landmarks
depend on its frames alone. Here the calling process and `workers - 1` helper processes take the
next unread segment, in time order, until none is left (a shared counter), and send its frames
back in blocks; the caller joins them in time order (extract.Assembler), so the result is exactly
what `extract_landmarks` gives in one process, and the complete prefix is handed to `on_chunk`
every ~chunk_seconds of video while the others are still reading (streaming keeps working).

The caller reads segments itself: it starts at once (helpers need a few seconds to start and
load their graph), and if a helper dies the caller reads the segments it left unfinished.
`helpers_allowed()`, polled about every `poll_seconds`, lowers how many helpers may take a new
segment (e.g. another job has started on this machine); a helper holding back finishes the
segment it reads and takes no more until allowed again.

Helpers are started with "spawn" (no inherited FFmpeg/MediaPipe threads) as plain processes of
the caller, never tasks in its worker pool, so a job cannot wait on work queued behind itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from landmarks.extract import (
    Assembler,
    ChunkCallback,
    ExtractionPlan,
    ProgressCallback,
    SegmentExtractor,
    extract_landmarks,
)
from landmarks.sequence import LandmarkSequence

log = logging.getLogger(__name__)

BLOCK_FRAMES = 5  # frames per message from a helper
CALLER = 0  # rank of the calling process; helpers are 1..workers-1


def chunk_bounds(duration: float, workers: int) -> list[tuple[float, float | None]]:
    """`workers` equal spans covering [0, duration); the last one is open-ended (benchmarks
    use it for the ceiling: bare loops over equal shares of a clip)."""
    edges = [duration * i / workers for i in range(workers)]
    return [(edges[i], edges[i + 1] if i + 1 < workers else None) for i in range(workers)]


class _Claims:
    """Which process reads which segment: a shared counter of the next one, owner per segment."""

    def __init__(self, context: Any, count: int) -> None:
        self.count = count
        self.next = context.Value("i", 0)
        self.owner = context.Array("i", [-1] * count, lock=False)

    def take(self, rank: int) -> int | None:
        """Index (in plan.segments) of the next unread segment, now `rank`'s; None when none."""
        with self.next.get_lock():
            index = int(self.next.value)
            if index >= self.count:
                return None
            self.next.value = index + 1
            self.owner[index] = rank
            return index

    def left(self) -> bool:
        return int(self.next.value) < self.count


def _helper(plan: ExtractionPlan, model_complexity: int, rank: int, claims: _Claims,
            allowed: Any, out: Any) -> None:
    """A helper process: read segments until none is left, while `rank <= allowed`."""
    try:
        with SegmentExtractor(plan, model_complexity) as extractor:
            while claims.left():
                if rank > allowed.value:
                    time.sleep(0.2)
                    continue
                index = claims.take(rank)
                if index is None:
                    break
                segment = plan.segments[index]
                times: list[float] = []
                block: list[np.ndarray] = []
                for timestamp, points in extractor.frames(segment):
                    times.append(timestamp)
                    block.append(points)
                    if len(times) == BLOCK_FRAMES:
                        out.put(("frames", rank, segment, times, np.stack(block)))
                        times, block = [], []
                if times:
                    out.put(("frames", rank, segment, times, np.stack(block)))
                out.put(("done", rank, segment))
    except BaseException:  # noqa: BLE001 - reported; the caller reads what this one left
        out.put(("failed", rank, traceback.format_exc()))


def extract_landmarks_parallel(
    path: str | os.PathLike[str],
    *,
    workers: int = 2,
    model_complexity: int = 1,
    progress: ProgressCallback | None = None,
    on_chunk: ChunkCallback | None = None,
    chunk_seconds: float = 2.0,
    sample_fps: float | None = None,
    helpers_allowed: Callable[[], int] | None = None,
    poll_seconds: float = 1.0,
) -> LandmarkSequence:
    """extract_landmarks shared by up to `workers` processes (see the module docstring);
    meta["workers"] says how many processes read at least one segment."""
    plan = ExtractionPlan.of(path, sample_fps=sample_fps)
    helpers = min(workers - 1, len(plan.segments) - 1)
    if helpers_allowed is not None and helpers > 0:
        helpers = min(helpers, max(0, helpers_allowed()))
    if helpers <= 0:
        return extract_landmarks(path, model_complexity=model_complexity, progress=progress,
                                 on_chunk=on_chunk, chunk_seconds=chunk_seconds,
                                 sample_fps=sample_fps)
    context = multiprocessing.get_context("spawn")
    claims = _Claims(context, len(plan.segments))
    allowed = context.Value("i", helpers, lock=False)
    messages = context.Queue()
    processes = [
        context.Process(target=_helper, daemon=True, name=f"landmarks-helper-{rank}",
                        args=(plan, model_complexity, rank, claims, allowed, messages))
        for rank in range(1, helpers + 1)
    ]
    for process in processes:
        process.start()
    assembler = Assembler(plan, progress=progress, on_chunk=on_chunk, chunk_seconds=chunk_seconds)
    run = _Run(plan, assembler, claims, allowed, messages, processes, helpers_allowed,
               poll_seconds)
    try:
        with SegmentExtractor(plan, model_complexity) as extractor:
            run.read_own(extractor)
            while not assembler.complete:
                run.receive(timeout=0.25)
                run.read_orphans(extractor)
    finally:
        for process in processes:
            process.join(timeout=1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        messages.close()
    return assembler.sequence(model_complexity, workers=len(run.readers))


class _Run:
    """The caller's side of one split extraction: its own segments, the helpers' messages."""

    def __init__(self, plan: ExtractionPlan, assembler: Assembler, claims: _Claims,
                 allowed: Any, messages: Any, processes: list[Any],
                 helpers_allowed: Callable[[], int] | None, poll_seconds: float) -> None:
        self.plan, self.assembler, self.claims = plan, assembler, claims
        self.allowed, self.messages, self.processes = allowed, messages, processes
        self.helpers_allowed, self.poll_seconds = helpers_allowed, poll_seconds
        self.polled = time.monotonic()
        self.failed: set[int] = set()
        self.readers: set[int] = set()
        self.orphans: list[int] = []  # segments a failed helper left unfinished

    def read_own(self, extractor: SegmentExtractor) -> None:
        while (index := self.claims.take(CALLER)) is not None:
            self._read(extractor, self.plan.segments[index])

    def read_orphans(self, extractor: SegmentExtractor) -> None:
        while self.orphans:
            self._read(extractor, self.orphans.pop(0))

    def _read(self, extractor: SegmentExtractor, segment: int) -> None:
        self.readers.add(CALLER)
        for n, (timestamp, points) in enumerate(extractor.frames(segment), start=1):
            self.assembler.add(segment, [timestamp], points[None])
            if n % BLOCK_FRAMES == 0:
                self.receive()
        self.assembler.finish(segment)

    def receive(self, timeout: float = 0.0) -> None:
        """Take in the helpers' messages (waiting up to `timeout` for the first one)."""
        self._poll()
        try:
            message = self.messages.get(timeout=timeout) if timeout else self.messages.get_nowait()
            while True:
                self._handle(message)
                message = self.messages.get_nowait()
        except queue.Empty:
            pass
        for rank, process in enumerate(self.processes, start=1):
            if rank not in self.failed and not process.is_alive() and process.exitcode != 0:
                self._handle(("failed", rank, f"helper exited with code {process.exitcode}"))

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, rank = message[0], message[1]
        if rank in self.failed:
            return
        if kind == "frames":
            self.readers.add(rank)
            self.assembler.add(message[2], message[3], message[4])
        elif kind == "done":
            self.assembler.finish(message[2])
        elif kind == "failed":
            log.warning("landmark helper %s failed; its segments are read again:\n%s",
                        rank, message[2])
            self.failed.add(rank)
            for index, owner in enumerate(self.claims.owner):
                segment = self.plan.segments[index]
                if owner == rank and segment not in self.assembler.finished:
                    self.assembler.drop(segment)
                    self.orphans.append(segment)

    def _poll(self) -> None:
        if self.helpers_allowed is None or time.monotonic() - self.polled < self.poll_seconds:
            return
        self.polled = time.monotonic()
        try:
            self.allowed.value = max(0, min(len(self.processes), self.helpers_allowed()))
        except Exception:  # noqa: BLE001 - keep the current degree when capacity is unknown
            log.exception("helpers_allowed failed")
