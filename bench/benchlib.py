"""Pieces several benchmarks share (bench/ is on sys.path when a bench script runs).

* extraction_cache: where a bench keeps clips it extracted, by extractor settings;
* bare_loop / bare_ceiling: the reference extraction, PyAV decode + Holistic.process on the
  frames a job reads and nothing else, alone or as N spawned processes over N equal shares of a
  clip (the machine's ceiling, start-up and model load included);
* timed_events: a job's WebSocket events, each with its arrival time; timeline: when the
  milestones of a job arrived (probe running / done, landmarks running, first frames read, first
  segment, result), in seconds from the upload's return;
* wait_worker_ready: wait until a stack's Celery worker takes tasks and its pool process has
  finished warming up (what a `make run` worker has long done when a user uploads).
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def extraction_cache(bench: str, hand_recovery: bool | None = None) -> Path:
    """var/bench/<bench>/<extractor>: a bench's cache of extracted clips, one folder per set of
    extractor settings (version, tracking segments, hand recovery: landmarks.extract)."""
    import hashlib

    from landmarks.extract import EXTRACTOR_VERSION, extractor_settings

    settings = extractor_settings(hand_recovery=hand_recovery)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    folder = (ROOT / "var" / "bench" / bench
              / f"{EXTRACTOR_VERSION.replace('/', '-')}-{digest.hexdigest()[:10]}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def bare_loop(path: str, start: float = 0.0, end: float | None = None,
              fps: float | None = None, hand_recovery: bool = False) -> int:
    """Frames of [start, end) read as a job reads them (at most `fps` per second, keep_frame;
    every frame without it): PyAV decode to RGB and Holistic.process, nothing else; with
    hand_recovery, MediaPipe Hands on the frames where a job's extraction runs it too
    (landmarks.hands: a language whose model was trained on recovered hands)."""
    import av
    from mediapipe.python.solutions import holistic

    from landmarks.extract import keep_frame, results_to_points
    from landmarks.hands import recover_hands

    kept, first = 0, None
    with av.open(path) as container, holistic.Holistic(model_complexity=1) as graph:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start > 0:
            container.seek(int(start / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            t = float(frame.pts * stream.time_base)
            if t < start - 1e-6:
                continue
            if end is not None and t >= end - 1e-6:
                break
            first = t if first is None else first
            if keep_frame(t, first, kept, fps):
                image = frame.to_ndarray(format="rgb24")
                results = graph.process(image)
                if hand_recovery:
                    recover_hands(results_to_points(results), results.pose_landmarks, image)
                kept += 1
    return kept


def bare_ceiling(clip: Path, seconds: float, processes: int, fps: float | None = None,
                 hand_recovery: bool = False) -> tuple[float, list[int]]:
    """Wall seconds of `processes` bare loops over equal shares of the clip at once (spawned
    processes), and the frames each read."""
    from landmarks.parallel import chunk_bounds

    jobs = [(str(clip), s, e, fps, hand_recovery) for s, e in chunk_bounds(seconds, processes)]
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        counts = pool.starmap(bare_loop, jobs, chunksize=1)
    return time.perf_counter() - t0, counts


async def timed_events(url: str, token: str) -> list[tuple[float, dict]]:
    """(arrival time, event) of each WebSocket event until the job's result or error."""
    import websockets  # here, so that the bare loops' processes do not import it

    from tests.integration.helpers import auth

    out = []
    async with websockets.connect(url, additional_headers=auth(token), open_timeout=60) as ws:
        async for message in ws:
            event = json.loads(message)
            out.append((time.perf_counter(), event))
            if event["type"] in ("result", "error"):
                break
    return out


def timeline(events: list[tuple[float, dict]], returned: float) -> dict[str, float | None]:
    """Seconds from `returned` (the upload's return) to the first event of each milestone:
    probe_running, probe_done, landmarks_running (the landmarks stage started), frames (the
    first frames read: the landmarks stage's first progress above 0), first_segment,
    landmarks_done (every frame read and stored), result."""
    marks: dict[str, Any] = dict.fromkeys(
        ("probe_running", "probe_done", "landmarks_running", "frames", "first_segment",
         "landmarks_done", "result"))

    def mark(name: str, t: float) -> None:
        if marks[name] is None:
            marks[name] = round(t - returned, 2)

    for t, event in events:
        kind = event["type"]
        if kind == "progress":
            stage, percent = event.get("stage"), event.get("percent", 0)
            if stage == "probe":
                mark("probe_running", t)
                if percent >= 100:
                    mark("probe_done", t)
            elif stage == "landmarks":
                mark("landmarks_running", t)
                if percent > 0:
                    mark("frames", t)
                if percent >= 100:
                    mark("landmarks_done", t)
        elif kind == "segment":
            mark("first_segment", t)
        elif kind in ("result", "error"):
            mark("result", t)
    return marks


def wait_worker_ready(stack: Any, name: str = "worker", timeout: float = 180.0) -> float:
    """Wait until the worker's log says it is ready and, where the code warms pool processes
    (jobs.warm), that its pool process is warm; returns the seconds waited."""
    warm_line = None  # code from before pool processes were warmed logs none
    if (ROOT / "jobs" / "warm.py").exists():  # the tree the stack runs (ROOT), not an install
        from jobs.warm import WARM_LINE as warm_line
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        text = stack.log(name)
        if " ready." in text and (warm_line is None or warm_line in text):
            return time.perf_counter() - t0
        time.sleep(0.2)
    raise RuntimeError(f"worker {name} not ready after {timeout} s:\n" + stack.log(name)[-3000:])
