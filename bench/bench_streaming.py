"""Time to the first recognised sign, streaming vs waiting for the result (issue 14 items 1, 3).

Starts the integration stack (real Redis, database, Celery worker, Daphne, MediaPipe), uploads a
~15 s real clip (the SILFA signer spelling --letters at 30 fps) and watches the job's WebSocket:
seconds from the upload's return to the first `segment` event (streamed while the video is read)
and to the `result`, per extraction rate (SLRWEB_EXTRACT_FPS: 0 = every frame). Baseline in the
same run: the first segment as the final result delivers it (what a page saw before streaming),
and bare in-process extraction of the same clip at the same rate. The upload waits until the
worker is ready (and its pool process warm, where jobs.warm warms it), as a `make run` worker is
when a user uploads; each row also prints the job's timeline (benchlib.timeline: when the probe
ran, the landmarks stage started, the first frames were read, the first segment and the result
arrived).

    .venv/bin/python bench/bench_streaming.py [--rates 0 15 10] [--chunks 1 0.5] [--repeats N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchlib import timed_events, timeline, wait_worker_ready  # noqa: E402
from landmarks.extract import extract_landmarks  # noqa: E402
from tests.integration.helpers import run_async, upload  # noqa: E402
from tests.integration.live import start_stack  # noqa: E402
from tests.support.videos import make_silfa_video  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def one_run(base: Path, clip: Path, rate: int, chunk: float) -> dict:
    stack = start_stack(base, SLRWEB_ALLOW_ANONYMOUS="0", SLRWEB_EXTRACT_FPS=str(rate),
                        SLRWEB_STREAM_CHUNK_SECONDS=str(chunk))
    try:
        token = stack.token_for("bench")
        wait_worker_ready(stack)
        time.sleep(1)  # idle, as a worker is between uploads
        response = upload(stack, token, clip, language="ase")
        returned = time.perf_counter()
        events = run_async(timed_events(stack.ws_url + f"/ws/jobs/{response.json()['id']}/",
                                         token))
    finally:
        stack.stop()
    segments = [t for t, e in events if e["type"] == "segment"]
    end_t, final = events[-1]
    return {"first_segment": (segments[0] - returned) if segments else None,
            "streamed": len(segments), "result": end_t - returned,
            "final_segments": len(((final.get("result") or {}).get("recognition") or {})
                                  .get("segments", [])),
            "status": final.get("status", final["type"]), "timeline": timeline(events, returned)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", default="ABCDEFGHIKLMNOPQ")
    parser.add_argument("--rates", type=int, nargs="*", default=[0, 15, 10])
    parser.add_argument("--chunks", type=float, nargs="*", default=[1.0],
                        help="SLRWEB_STREAM_CHUNK_SECONDS values, alternated in each repeat")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_silfa_video(SHARED, args.letters, Path(tmp) / "clip.mp4", size=(426, 240))
        seconds = extract_landmarks(clip).duration
        print(f"clip: {seconds:.1f} s, SILFA spelling {args.letters}")
        print("| extract fps | chunk s | bare extraction s | first segment s (streamed) | result s "
              "(= first segment without streaming) | result s per clip s | segments streamed "
              "/ final |")
        print("|---|---|---|---|---|---|---|")
        for repeat in range(args.repeats):
            for rate in args.rates:
                t0 = time.perf_counter()
                extract_landmarks(clip, sample_fps=rate or None)
                bare = time.perf_counter() - t0
                for chunk in args.chunks:
                    # a stack of its own each time: a landmark cache hit would skip extraction
                    run = one_run(Path(tmp) / f"stack{rate}-{chunk}-{repeat}", clip, rate, chunk)
                    first = (f"{run['first_segment']:.2f}" if run["first_segment"] is not None
                             else "none")
                    print(f"| {rate or 'all (30)'} | {chunk:g} | {bare:.1f} | {first} | "
                          f"{run['result']:.2f} | {run['result'] / seconds:.3f} | "
                          f"{run['streamed']} / {run['final_segments']} ({run['status']}) |",
                          flush=True)
                    print(f"  timeline (s after the upload returned): {run['timeline']}",
                          flush=True)


if __name__ == "__main__":
    main()
