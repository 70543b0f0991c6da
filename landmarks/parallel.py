"""Extraction of one video by several processes sharing its tracking segments.

landmarks.extract restarts tracking at every segment (ExtractionPlan.segments: an even number of
equal segments of at most 2 s), so a segment's landmarks depend on its frames alone. Here the
calling process and `workers - 1` helper processes take the next unread segment, in time order,
until none is left (a shared counter), and send its frames back in blocks; the caller joins them
in time order (extract.Assembler), so the result is exactly what `extract_landmarks` gives in one
process, and the complete prefix is handed to `on_chunk` every ~chunk_seconds of video while the
others are still reading (streaming keeps working).

The caller reads segments itself: it starts at once (helpers need a few seconds to start and
load their graph), and if a helper dies the caller reads the segments it left unfinished.
`helpers_allowed()`, polled about every `poll_seconds`, lowers how many helpers may take a new
segment (e.g. another job has started on this machine); a helper holding back finishes the
segment it reads and takes no more until allowed again.

Helpers are fresh Python processes (no inherited FFmpeg/MediaPipe threads) started by the
caller's process itself, never tasks in its worker pool, so a job cannot wait on work queued
behind itself; they take segments through a small locked file and send frames back pickled on a
pipe. They are kept between jobs (HelperPool, one per process: a new one costs seconds to start,
import MediaPipe and load its graph) and warmed ahead of the first job where the process knows
it will extract (start_helpers: a Celery pool process at start, jobs.warm); a helper that dies
is replaced, and a job that fails while a helper still reads stops that helper.
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
    warm_holistic,
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


def helper_main(warm_complexity: int | None = None, warm_hands: bool = False) -> None:
    """A helper process (HelperPool starts it): warms its graph, then reads the extraction jobs
    arriving pickled on stdin one after the other until stdin closes; its messages leave pickled
    on the stdout it was given (stray output of libraries goes to stderr instead). After its
    part of a job it says "idle" and waits for the next one."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)

    def send(message: tuple[Any, ...]) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    if warm_complexity is not None:
        warm_holistic(warm_complexity, hand_recovery=warm_hands)
    while True:
        try:
            plan, model_complexity, rank, claims = pickle.load(sys.stdin.buffer)
        except EOFError:  # the process that started it is gone or closed the pool
            return
        try:
            _read_claimed(plan, model_complexity, rank, claims, send)
        except BaseException:  # noqa: BLE001 - reported; the caller reads what this one left
            send(("failed", rank, traceback.format_exc()))
            raise
        send(("idle", rank))


def _read_claimed(plan: ExtractionPlan, model_complexity: int, rank: int, claims: _Claims,
                  send: Callable[[tuple[Any, ...]], None]) -> None:
    """A helper's part of one job: the segments it claims, in blocks of BLOCK_FRAMES frames."""
    with SegmentExtractor(plan, model_complexity) as extractor:
        while (index := claims.take(rank)) is not None:
            if index == HOLD:
                time.sleep(0.2)
                continue
            segment = plan.segments[index]
            times: list[float] = []
            block: list[np.ndarray] = []
            flags: list[np.ndarray] = []
            for timestamp, points, recovered in extractor.frames(segment):
                times.append(timestamp)
                block.append(points)
                flags.append(recovered)
                if len(times) == BLOCK_FRAMES:
                    send(("frames", rank, segment, times, np.stack(block), np.stack(flags)))
                    times, block, flags = [], [], []
            if times:
                send(("frames", rank, segment, times, np.stack(block), np.stack(flags)))
            send(("done", rank, segment))


class _Helper:
    """One helper process, kept between jobs, and the thread passing its messages on to the
    queue of the job it is lent to (`sink`)."""

    def __init__(self, warm_complexity: int | None, warm_hands: bool = False) -> None:
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        # A plain child process, not multiprocessing's: a Celery pool process is daemonic.
        self.process = subprocess.Popen(
            [sys.executable, "-c",
             "from landmarks.parallel import helper_main; "
             f"helper_main({warm_complexity!r}, {bool(warm_hands)!r})"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.rank = 0
        self.sink: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._forward, daemon=True,
                         name=f"landmarks-helper-{self.process.pid}").start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def lend(self, job: tuple[Any, ...], rank: int, sink: queue.Queue[Any]) -> None:
        """Send the helper a job; its messages (with `rank`) go to `sink` until it is idle."""
        assert self.process.stdin is not None
        self.rank, self.sink = rank, sink
        try:
            pickle.dump(job, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except OSError:  # it died while idle: the job reads its segments without it
            sink.put(("exit", rank))

    def _forward(self) -> None:
        assert self.process.stdout is not None
        try:
            while True:
                message = pickle.load(self.process.stdout)  # then the sink lent to now
                self.sink.put(message)
        except EOFError:
            pass
        except Exception as error:  # noqa: BLE001 - a torn message: the helper died mid-write
            self.sink.put(("failed", self.rank, f"unreadable message: {error!r}"))
        self.sink.put(("exit", self.rank))

    def stop(self) -> None:
        """End the process (closing its stdin ends an idle one; a busy one is killed)."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)


class HelperPool:
    """This process's idle helper processes, kept warm between extractions (starting a Python
    process, importing MediaPipe and loading its graph costs seconds, every job). A job takes
    idle helpers (new ones are started for the rest), and gives back those that finished their
    part of it; dead ones are replaced at once so the next job finds them warm again."""

    def __init__(self) -> None:
        self._idle: list[_Helper] = []
        self._lock = threading.Lock()
        self.size = 0  # helpers kept: the most any extraction of this process asked for
        self.warm_hands = False  # new helpers also load MediaPipe Hands (landmarks.hands)

    def start(self, count: int, model_complexity: int = 1, warm_hands: bool = False) -> None:
        """Keep at least `count` helpers, starting (and warming) the missing ones now."""
        with self._lock:
            self.size = max(self.size, count)
            self.warm_hands = self.warm_hands or warm_hands
            self._idle = [h for h in self._idle if h.alive]
            while len(self._idle) < self.size:
                self._idle.append(_Helper(model_complexity, self.warm_hands))

    def take(self, count: int, model_complexity: int = 1) -> list[_Helper]:
        with self._lock:
            self.size = max(self.size, count)
            self._idle = [h for h in self._idle if h.alive]
            taken, self._idle = self._idle[:count], self._idle[count:]
        return taken + [_Helper(model_complexity, self.warm_hands)
                        for _ in range(count - len(taken))]

    def give_back(self, helpers: list[_Helper], model_complexity: int = 1) -> None:
        """Helpers done with a job (idle, or gone); the pool is topped up to its size."""
        with self._lock:
            self._idle.extend(h for h in helpers if h.alive)
            while len(self._idle) > self.size:
                self._idle.pop().stop()
        self.start(0, model_complexity)

    def close(self) -> None:
        with self._lock:
            idle, self._idle, self.size = self._idle, [], 0
        for helper in idle:
            helper.stop()


POOL = HelperPool()


def start_helpers(count: int, model_complexity: int = 1, warm_hands: bool = False) -> None:
    """Start (and warm) `count` helper processes for this process's later extractions;
    warm_hands: they load MediaPipe Hands too (a language's jobs recover lost hands)."""
    POOL.start(count, model_complexity, warm_hands)


def extract_landmarks_parallel(
    path: str | os.PathLike[str],
    *,
    workers: int = 2,
    model_complexity: int = 1,
    progress: ProgressCallback | None = None,
    on_chunk: ChunkCallback | None = None,
    chunk_seconds: float = 2.0,
    sample_fps: float | None = None,
    hand_recovery: bool | None = None,
    helpers_allowed: Callable[[], int] | None = None,
    poll_seconds: float = 1.0,
) -> LandmarkSequence:
    """extract_landmarks shared by up to `workers` processes (see the module docstring);
    meta["workers"] says how many processes read at least one segment."""
    plan = ExtractionPlan.of(path, sample_fps=sample_fps, hand_recovery=hand_recovery)
    helpers = min(workers - 1, len(plan.segments) - 1)
    if helpers_allowed is not None and helpers > 0:
        helpers = min(helpers, max(0, helpers_allowed()))
    if helpers <= 0:
        return extract_planned(plan, model_complexity=model_complexity, progress=progress,
                               on_chunk=on_chunk, chunk_seconds=chunk_seconds)
    messages: queue.Queue[Any] = queue.Queue()
    lent = POOL.take(helpers, model_complexity)
    with tempfile.TemporaryDirectory(prefix="landmarks-split-") as folder:
        claims = _Claims(Path(folder) / "claims.json", len(plan.segments), helpers)
        for rank, helper in enumerate(lent, start=1):
            helper.lend((plan, model_complexity, rank, claims), rank, messages)
        assembler = Assembler(plan, progress=progress, on_chunk=on_chunk,
                              chunk_seconds=chunk_seconds)
        run = _Run(plan, assembler, claims, messages, lent, helpers_allowed, poll_seconds)
        try:
            with SegmentExtractor(plan, model_complexity) as extractor:
                run.read_own(extractor)
                while not assembler.complete:
                    run.receive(timeout=0.25)
                    run.read_orphans(extractor)
            run.wait_idle()
        finally:
            for helper in lent:  # one still busy (this job failed) is not lent again
                if helper.rank not in run.idle:
                    helper.stop()
            POOL.give_back(lent, model_complexity)
    return assembler.sequence(model_complexity, workers=len(run.readers))


class _Run:
    """The caller's side of one split extraction: its own segments, the helpers' messages."""

    IDLE_WAIT_SECONDS = 10.0  # for the helpers' "idle" once every segment is in

    def __init__(self, plan: ExtractionPlan, assembler: Assembler, claims: _Claims,
                 messages: queue.Queue[Any], helpers: list[_Helper],
                 helpers_allowed: Callable[[], int] | None, poll_seconds: float) -> None:
        self.plan, self.assembler, self.claims = plan, assembler, claims
        self.messages, self.helpers = messages, helpers
        self.helpers_allowed, self.poll_seconds = helpers_allowed, poll_seconds
        self.polled = time.monotonic()
        self.gone: set[int] = set()  # helpers that exited or failed
        self.idle: set[int] = set()  # helpers done with this job
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
        for n, (timestamp, points, recovered) in enumerate(extractor.frames(segment), start=1):
            self.assembler.add(segment, [timestamp], points[None], recovered[None])
            if n % BLOCK_FRAMES == 0:
                self.receive()
        self.assembler.finish(segment)

    def wait_idle(self) -> None:
        """Wait (bounded) until every helper has said it is done with this job, so none still
        holds its claims or sends its messages when it is lent to the next one."""
        deadline = time.monotonic() + self.IDLE_WAIT_SECONDS
        while (len(self.idle | self.gone) < len(self.helpers)
               and (left := deadline - time.monotonic()) > 0):
            self.receive(timeout=min(0.25, left))

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
            self.assembler.add(message[2], message[3], message[4], message[5])
        elif kind == "done":
            self.assembler.finish(message[2])
        elif kind == "idle":
            self.idle.add(rank)
        elif kind in ("failed", "exit"):
            self.gone.add(rank)
            code = self.helpers[rank - 1].process.wait()
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
            self.claims.allow(max(0, min(len(self.helpers), self.helpers_allowed())))
        except Exception:  # noqa: BLE001 - keep the current degree when capacity is unknown
            log.exception("helpers_allowed failed")
