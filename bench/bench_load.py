"""Load: 20 concurrent uploads of real clips against a `make run`-style stack (issue 11 item 9).

For 1 and for N Celery workers (a fresh stack each, so no landmark cache is shared), 20 clients
upload 20 distinct real clips at once over loopback and watch their jobs over the WebSocket.
Reported: every job succeeded, none lost or duplicated (20 ids, 20 rows listed), p50/p95 of the
queue wait (upload returned -> first stage running) and of the total (upload started -> result),
and the makespan. Ceiling in the same run: bare MediaPipe extraction of the same 20 clips in N
parallel processes (no web, no queue, no models), the best any number of workers could do.

    .venv/bin/python bench/bench_load.py [--workers 2] [--clients 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import websockets  # noqa: E402

from tests.integration.helpers import auth, run_async, upload  # noqa: E402
from tests.integration.live import LiveStack, start_stack  # noqa: E402
from tests.support.videos import make_silfa_video  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
WORDS = ["CAB", "DOG", "FISH", "GUM", "HAT", "KIT", "LOW", "MOP", "NUT", "PIG", "QUIT", "RUB",
         "SKY", "VET", "WAX", "YES", "BED", "COW", "EGG", "FOX"]


def real_clips(folder: Path, count: int) -> list[Path]:
    """`count` distinct real clips: the MSL-150 signs, the pose-repo clip, SILFA-spelled words."""
    clips = sorted((SHARED / "video" / "msl150").glob("*.mp4"))
    clips.append(SHARED / "video" / "pose_test_video.mp4")
    for word in WORDS[: max(0, count - len(clips))]:
        clips.append(make_silfa_video(SHARED, word, folder / f"{word}.mp4", size=(426, 240)))
    return clips[:count]


def one_client(stack: LiveStack, token: str, clip: Path) -> dict[str, Any]:
    started = time.perf_counter()
    response = upload(stack, token, clip)
    returned = time.perf_counter()
    if response.status_code != 201:
        return {"clip": clip.name, "status": f"HTTP {response.status_code}", "id": None}
    job_id = response.json()["id"]
    first_running = None
    final: dict[str, Any] = {}
    for event in _events_with_times(stack, token, job_id):
        running = event.get("type") == "progress" or any(
            s.get("status") in ("running", "done") for s in event.get("stages", []))
        if running and first_running is None:
            first_running = event["_t"]
        final = event
    return {"clip": clip.name, "id": job_id, "status": final.get("status"),
            "queue_wait": (first_running or final["_t"]) - returned,
            "total": final["_t"] - started}


def _events_with_times(stack: LiveStack, token: str, job_id: str) -> list[dict[str, Any]]:
    """The job's WebSocket events until its end, each stamped with its arrival time `_t`."""
    return run_async(_collect_timed(stack.ws_url + f"/ws/jobs/{job_id}/", token))


async def _collect_timed(url: str, token: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with websockets.connect(url, additional_headers=auth(token), open_timeout=60) as ws:
        async for message in ws:
            event = {**json.loads(message), "_t": time.perf_counter()}
            events.append(event)
            if event["type"] in ("result", "error") or event.get("status") in (
                    "succeeded", "failed"):
                break
    return events


def run_phase(base: Path, clips: list[Path], workers: int) -> dict[str, Any]:
    stack = start_stack(base, workers=False, SLRWEB_ALLOW_ANONYMOUS="0",
                        SLRWEB_UPLOAD_RATE="10000/m")
    try:
        for i in range(workers):
            stack.start_worker(f"worker{i}")
        token = stack.token_for("load")
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(clips)) as pool:
            rows = list(pool.map(lambda c: one_client(stack, token, c), clips))
        makespan = time.perf_counter() - t0
        listed = requests.get(stack.url + "/api/v1/jobs/", headers=auth(token), timeout=60).json()
        listed_ids = [j["id"] for j in (listed if isinstance(listed, list) else listed["items"])]
    finally:
        stack.stop()
    ids = [r["id"] for r in rows if r["id"]]
    return {"workers": workers, "rows": rows, "makespan": makespan,
            "succeeded": sum(r["status"] == "succeeded" for r in rows),
            "distinct_ids": len(set(ids)), "listed": len(set(listed_ids) & set(ids)),
            "listed_total": len(listed_ids)}


def _bare(clip: Path) -> float:
    from landmarks.extract import extract_landmarks

    return extract_landmarks(clip).duration


def ceiling(clips: list[Path], processes: int) -> tuple[float, float]:
    """Wall seconds and clip seconds of bare extraction of every clip in `processes` loops."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=processes) as pool:
        seconds = sum(pool.map(_bare, clips))
    return time.perf_counter() - t0, seconds


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clips = real_clips(Path(tmp), args.clients)
        bare_wall, clip_seconds = ceiling(clips, args.workers)
        print(f"{len(clips)} clips, {clip_seconds:.1f} clip seconds; ceiling: bare MediaPipe in "
              f"{args.workers} parallel loops {bare_wall:.1f} s")
        print("| workers | succeeded | distinct jobs | listed | queue wait p50/p95 s "
              "| total p50/p95 s | makespan s | makespan / ceiling |")
        print("|---|---|---|---|---|---|---|---|")
        for workers in sorted({1, args.workers}):
            phase = run_phase(Path(tmp) / f"stack{workers}", clips, workers)
            waits = [r["queue_wait"] for r in phase["rows"] if r["id"]]
            totals = [r["total"] for r in phase["rows"] if r["id"]]
            print(f"| {workers} | {phase['succeeded']}/{len(clips)} | {phase['distinct_ids']} | "
                  f"{phase['listed']} | {pct(waits, .5):.1f} / {pct(waits, .95):.1f} | "
                  f"{pct(totals, .5):.1f} / {pct(totals, .95):.1f} | {phase['makespan']:.1f} | "
                  f"{phase['makespan'] / bare_wall:.2f} |", flush=True)
            failed = [r for r in phase["rows"] if r["status"] != "succeeded"]
            for row in failed:
                print(f"  not succeeded: {row}")
        print(f"(median total {statistics.median(totals):.1f} s)")


if __name__ == "__main__":
    main()
