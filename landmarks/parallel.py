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

Helpers are fresh Python processes (no inherited FFmpeg/MediaPipe threads) started by the
caller itself, never tasks in its worker pool, so a job cannot wait on work queued behind itself;
they take segments through a small locked file and send frames back pickled on a pipe.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from landmarks.extract import (
    Assembler,
    ChunkCallback,
    ExtractionPlan,
    ProgressCallback,
    SegmentExtractor,
    extract_planned,
)
from landmarks.sequence import LandmarkSequence

log = logging.getLogger(__name__)

BLOCK_FRAMES = 5  # frames per message from a helper
CALLER = 0  # rank of the calling process; helpers are 1..workers-1
HOLD = -1  # _Claims.take: segments are left, but this helper may not take one now


def chunk_bounds(duration: float, workers: int) -> list[tuple[float, float | None]]:
    """`workers` equal spans covering [0, duration); the last one is open-ended (benchmarks
    use it for the ceiling: bare loops over equal shares of a clip)."""
    edges = [duration * i / workers for i in range(workers)]
    return [(edges[i], edges[i + 1] if i + 1 < workers else None) for i in range(workers)]


class _Claims:
    """Which process reads which segment: a small JSON file every process locks (flock) to take
    the next unread segment; the caller also writes there how many helpers may take one."""

    def __init__(self, path: Path, count: int, allowed: int) -> None:
        self.path, self.count = path, count
        path.write_text(json.dumps({"next": 0, "owner": [-1] * count, "allowed": allowed}))

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        with open(self.path, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            state = json.load(handle)
            result = change(state)
            handle.seek(0)
            handle.truncate()
            json.dump(state, handle)
            return result

    def take(self, rank: int) -> int | None:
        """Index (in plan.segments) of the next unread segment, now `rank`'s; None when none is
        left; HOLD when `rank` is a helper beyond the number allowed."""

        def change(state: dict[str, Any]) -> int | None:
            index = state["next"]
            if index >= self.count:
                return None
            if rank > state["allowed"]:
                return HOLD
            state["next"], state["owner"][index] = index + 1, rank
            return int(index)

        return cast("int | None", self._update(change))

    def owners(self) -> list[int]:
        return cast("list[int]", self._update(lambda state: list(state["owner"])))

    def allow(self, helpers: int) -> None:
        self._update(lambda state: state.update(allowed=helpers))


def helper_main() -> None:
    """A helper process (started by extract_landmarks_parallel): its job arrives pickled on
    stdin; its messages leave pickled on the stdout it was given (stray output of libraries goes
    to stderr instead)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    plan, model_complexity, rank, claims = pickle.load(sys.stdin.buffer)

    def send(message: tuple[Any, ...]) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        with SegmentExtractor(plan, model_complexity) as extractor:
            while (index := claims.take(rank)) is not None:
                if index == HOLD:
                    time.sleep(0.2)
                    continue
                segment = plan.segments[index]
                times: list[float] = []
                block: list[np.ndarray] = []
                for timestamp, points in extractor.frames(segment):
                    times.append(timestamp)
                    block.append(points)
                    if len(times) == BLOCK_FRAMES:
                        send(("frames", rank, segment, times, np.stack(block)))
                        times, block = [], []
                if times:
                    send(("frames", rank, segment, times, np.stack(block)))
                send(("done", rank, segment))
    except BaseException:  # noqa: BLE001 - reported; the caller reads what this one left
        send(("failed", rank, traceback.format_exc()))
        raise


def _start_helper(rank: int, job: tuple[Any, ...], messages: queue.Queue[Any]
                  ) -> subprocess.Popen[bytes]:
    """A helper as a plain child process (a Celery pool process is daemonic and may not use
    multiprocessing's children) and a thread passing its messages on to `messages`."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    process = subprocess.Popen(
        [sys.executable, "-c", "from landmarks.parallel import helper_main; helper_main()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert process.stdin is not None and process.stdout is not None
    pickle.dump(job, process.stdin)
    process.stdin.close()

    def forward(stream: Any) -> None:
        try:
            while True:
                messages.put(pickle.load(stream))
        except EOFError:
            pass
        except Exception as error:  # noqa: BLE001 - a torn message: the helper died mid-write
            messages.put(("failed", rank, f"unreadable message: {error!r}"))
        messages.put(("exit", rank))

    threading.Thread(target=forward, args=(process.stdout,), daemon=True,
                     name=f"landmarks-helper-{rank}").start()
    return process

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
        return extract_planned(plan, model_complexity=model_complexity, progress=progress,
                               on_chunk=on_chunk, chunk_seconds=chunk_seconds)
    messages: queue.Queue[Any] = queue.Queue()
    with tempfile.TemporaryDirectory(prefix="landmarks-split-") as folder:
        claims = _Claims(Path(folder) / "claims.json", len(plan.segments), helpers)
        processes = [_start_helper(rank, (plan, model_complexity, rank, claims), messages)
                     for rank in range(1, helpers + 1)]
        assembler = Assembler(plan, progress=progress, on_chunk=on_chunk,
                              chunk_seconds=chunk_seconds)
        run = _Run(plan, assembler, claims, messages, processes, helpers_allowed, poll_seconds)
        try:
            with SegmentExtractor(plan, model_complexity) as extractor:
                run.read_own(extractor)
                while not assembler.complete:
                    run.receive(timeout=0.25)
                    run.read_orphans(extractor)
        finally:
            for process in processes:
                try:
                    process.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
    return assembler.sequence(model_complexity, workers=len(run.readers))


class _Run:
    """The caller's side of one split extraction: its own segments, the helpers' messages."""

    def __init__(self, plan: ExtractionPlan, assembler: Assembler, claims: _Claims,
                 messages: queue.Queue[Any], processes: list[subprocess.Popen[bytes]],
                 helpers_allowed: Callable[[], int] | None, poll_seconds: float) -> None:
        self.plan, self.assembler, self.claims = plan, assembler, claims
        self.messages, self.processes = messages, processes
        self.helpers_allowed, self.poll_seconds = helpers_allowed, poll_seconds
        self.polled = time.monotonic()
        self.gone: set[int] = set()  # helpers that exited or failed
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

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, rank = message[0], message[1]
        if rank in self.gone:
            return
        if kind == "frames":
            self.readers.add(rank)
            self.assembler.add(message[2], message[3], message[4])
        elif kind == "done":
            self.assembler.finish(message[2])
        elif kind in ("failed", "exit"):
            self.gone.add(rank)
            code = self.processes[rank - 1].wait()
            if kind == "failed" or code != 0:
                log.warning("landmark helper %s stopped (exit code %s); its unfinished "
                            "segments are read again. %s", rank, code, message[2:])
            for index, owner in enumerate(self.claims.owners()):
                segment = self.plan.segments[index]
                if owner == rank and segment not in self.assembler.finished:
                    self.assembler.drop(segment)
                    self.orphans.append(segment)

    def _poll(self) -> None:
        if self.helpers_allowed is None or time.monotonic() - self.polled < self.poll_seconds:
            return
        self.polled = time.monotonic()
        try:
            self.claims.allow(max(0, min(len(self.processes), self.helpers_allowed())))
        except Exception:  # noqa: BLE001 - keep the current degree when capacity is unknown
            log.exception("helpers_allowed failed")
