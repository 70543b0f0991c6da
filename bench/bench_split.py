"""One job uses the machine (issue 14 item 2) and what a job costs the server (item 6).

Starts the integration stack (real Redis, PostgreSQL/SQLite, one Celery worker as `make run`
starts it, Daphne, MediaPipe) and uploads a ~15 s real clip (the SILFA signer spelling
--letters, 30 fps, read at SLRWEB_EXTRACT_FPS=15):

* end-to-end: seconds from the upload's return to the `result` event, per clip second, with
  SLRWEB_EXTRACT_WORKERS=1 (unsplit) and =N (the job's extraction shared by helper processes),
  against the ceiling measured in the same run: N bare MediaPipe loops (PyAV decode + Holistic
  on the same sampled frames, nothing else) over N equal shares of the clip, in N spawned
  processes (start-up and model load included), per clip second;
* server cost: CPU seconds (user + system) of the worker's process tree (Celery, its pool
  process, extraction helpers: psutil, children included once reaped) and of Daphne, from just
  before the upload to the result, per clip second, for the video job and for a landmarks-only
  job (POST /api/v1/jobs/ with `landmarks`: the same clip's .npz) on the same stack.

Each upload waits until the worker is ready (and its pool process warm, where jobs.warm warms
it) and idle, as a `make run` worker is when a user uploads; each job also reports its timeline
(benchlib.timeline: probe, landmarks stage start, first frames, first segment, result).

    .venv/bin/python bench/bench_split.py [--workers 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

from benchlib import bare_ceiling, timed_events, timeline, wait_worker_ready  # noqa: E402
from tests.integration.helpers import auth, run_async, upload  # noqa: E402
from tests.integration.live import LiveStack, start_stack  # noqa: E402
from tests.support.videos import make_silfa_video  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
FPS = 15


# The ase jobs' extraction recovers lost hands when the active ase recogniser (the stack's
# default, silfa-letters) was trained on them: the bare loops then do that work too.
JOBS_RECOVER = bool(json.loads((ROOT / "models" / "silfa-letters" / "config.json").read_text())
                    ["features"].get("hand_recovery"))


def ceiling(clip: Path, seconds: float, processes: int) -> float:
    """Wall seconds of `processes` bare loops over equal shares of the clip, at once."""
    return bare_ceiling(clip, seconds, processes, float(FPS), JOBS_RECOVER)[0]


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (reaped children included)."""
    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def run_job(stack: LiveStack, token: str, send: Any) -> dict:
    """Upload with `send()`, follow the job to its result; wall and CPU figures."""
    worker, web = stack.processes["worker"].pid, stack.processes["daphne"].pid
    wait_worker_ready(stack)
    time.sleep(2)  # let the worker go idle (heartbeats only)
    logged = stack.log("worker").count(" read by ")
    cpu_worker, cpu_web = tree_cpu(worker), tree_cpu(web)
    response = send()
    returned = time.perf_counter()
    assert response.status_code == 201, response.text
    events = run_async(timed_events(stack.ws_url + f"/ws/jobs/{response.json()['id']}/", token))
    done = events[-1][0]
    cpu_worker, cpu_web = tree_cpu(worker) - cpu_worker, tree_cpu(web) - cpu_web
    final = events[-1][1]
    segments = [t for t, e in events if e["type"] == "segment"]
    lines = [line for line in stack.log("worker").splitlines() if " read by " in line]
    processes = [line.rsplit(" by ", 1)[1].split()[0] for line in lines[logged:]]  # this job's
    return {"result_s": round(done - returned, 2), "cpu_worker_s": round(cpu_worker, 2),
            "cpu_web_s": round(cpu_web, 2),
            "first_segment_s": round(segments[0] - returned, 2) if segments else None,
            "status": final.get("status", final["type"]),
            "extraction_processes": processes[-1] if processes else None,
            "timeline": timeline(events, returned)}


def upload_landmarks(stack: LiveStack, token: str, npz: Path) -> requests.Response:
    with open(npz, "rb") as fh:
        return requests.post(stack.url + "/api/v1/jobs/", headers=auth(token),
                             files={"landmarks": (npz.name, fh, "application/octet-stream")},
                             data={"language": "ase"}, timeout=120)


def one_stack(base: Path, clip: Path, npz: Path, workers: int, landmarks_job: bool) -> dict:
    stack = start_stack(base, SLRWEB_ALLOW_ANONYMOUS="0", SLRWEB_EXTRACT_FPS=str(FPS),
                        SLRWEB_EXTRACT_WORKERS=str(workers))
    try:
        token = stack.token_for("bench")
        out = {"video": run_job(stack, token, lambda: upload(stack, token, clip, language="ase"))}
        if landmarks_job:
            out["landmarks"] = run_job(stack, token, lambda: upload_landmarks(stack, token, npz))
        return out
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", default="ABCDEFGHIKLMNOPQ")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    from landmarks.extract import extract_landmarks
    from landmarks.formats.npz import save_npz

    with tempfile.TemporaryDirectory() as tmp:
        clip = make_silfa_video(SHARED, args.letters, Path(tmp) / "clip.mp4", size=(426, 240))
        sequence = extract_landmarks(clip, sample_fps=FPS)
        npz = Path(tmp) / "clip.npz"
        save_npz(sequence, npz)
        seconds = sequence.duration
        print(f"clip: {seconds:.2f} s, SILFA spelling {args.letters}, read at {FPS} fps "
              f"({len(sequence)} frames); {os.cpu_count()} CPUs; load avg at start "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        for repeat in range(args.repeats):
            ceil = ceiling(clip, seconds, args.workers)
            unsplit = one_stack(Path(tmp) / f"one{repeat}", clip, npz, 1, landmarks_job=True)
            split = one_stack(Path(tmp) / f"split{repeat}", clip, npz, args.workers,
                              landmarks_job=False)
            ceil_after = ceiling(clip, seconds, args.workers)
            row = {"repeat": repeat, "clip_s": round(seconds, 2),
                   "ceiling_s_per_clip_s": [round(ceil / seconds, 3),
                                            round(ceil_after / seconds, 3)],
                   "ceiling_hand_recovery": JOBS_RECOVER,
                   "unsplit": unsplit, "split": split,
                   "load_avg_end": round(os.getloadavg()[0], 1)}
            for name in ("unsplit", "split"):
                video = row[name]["video"]
                video["result_s_per_clip_s"] = round(video["result_s"] / seconds, 3)
                video["cpu_worker_s_per_clip_s"] = round(video["cpu_worker_s"] / seconds, 3)
            lm = unsplit["landmarks"]
            lm["cpu_worker_s_per_clip_s"] = round(lm["cpu_worker_s"] / seconds, 3)
            best_ceiling = min(ceil, ceil_after) / seconds
            row["split_vs_ceiling_pct"] = round(
                100 * (split["video"]["result_s_per_clip_s"] / best_ceiling - 1), 1)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
