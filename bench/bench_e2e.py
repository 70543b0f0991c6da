"""End-to-end seconds per clip second on the live stack (upload -> landmarks -> models -> result).

Starts the same stack as the integration tests (real Redis, database, Celery worker, Daphne),
uploads real clips and reads the stage timings the job reports. Baseline in the same run: the
bare extraction time of the same clip with `landmarks.extract.extract_landmarks` in-process.

    .venv/bin/python bench/bench_e2e.py [--letters CABBAGE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landmarks.extract import extract_landmarks  # noqa: E402
from tests.integration.helpers import collect_events, upload  # noqa: E402
from tests.integration.live import start_stack  # noqa: E402
from tests.support.videos import make_silfa_video  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def time_job(stack, token: str, clip: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    job_id = upload(stack, token, clip).json()["id"]
    events = collect_events(stack, token, job_id, timeout=900)
    return time.perf_counter() - start, events[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", default="CABBAGE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clips = {
            "pose_test_video.mp4": SHARED / "video" / "pose_test_video.mp4",
            f"silfa-{args.letters}.mp4": make_silfa_video(
                SHARED, args.letters, Path(tmp) / "silfa.mp4"),
        }
        stack = start_stack(Path(tmp) / "stack", SLRWEB_ALLOW_ANONYMOUS="0")
        try:
            token = stack.token_for("bench")
            print("| clip | clip s | bare extraction s | end-to-end s | e2e s per clip s | stages |")
            print("|---|---|---|---|---|---|")
            for name, clip in clips.items():
                t0 = time.perf_counter()
                seq = extract_landmarks(clip)
                bare = time.perf_counter() - t0
                total, final = time_job(stack, token, clip)
                stages = ", ".join(s["name"] for s in final["stages"])
                print(f"| {name} | {seq.duration:.2f} | {bare:.2f} | {total:.2f} | "
                      f"{total / seq.duration:.2f} | {stages} ({final['status']}) |")
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
