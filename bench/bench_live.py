"""Live mode latency (issue 14 item 5): from the end of a sign to its gloss on screen, in Chromium.

Starts the integration stack (real Redis, PostgreSQL, Celery worker, Daphne), opens /live/ in
headless Chromium and sends spelled words made of held-out SILFA letters (never trained on) from
the page at their own pace, with 2 s of rest after the word as a camera would go on filming
(`slrweb.live.replay`: the frames the camera path would send after
in-browser Holistic, here from recorded landmarks of held-out letters, so that each letter's
span is known). Each letter's end is known from how
the word was assembled; its latency is the page time at which its gloss was drawn (the
animation frame after the segment arrived) minus that end, on the same clock as the frames'
times. A letter counts when a drawn segment has its gloss and overlaps its span.

With --camera, each word also goes through the camera path itself: Chromium's fake camera
plays the word's real SILFA frames (a .y4m, 0.8 s a letter, looped), MediaPipe Holistic runs in
the page (holistic.js; on this machine's software WebGL its models run on the CPU) and live.js
sends what it finds at its own pace. Those frames carry the page's capture times, so the
latency is the page time a gloss was drawn minus the end of the segment the server recognised
(no annotated letter spans: where the camera's loop stands when live mode starts is unknown).
The shipped letters model trained on every SILFA frame, so the camera's letters are not
held out: the camera rows measure time, not accuracy.

Baseline in the same run: no live mode. The person records, then uploads the same landmarks as a
landmarks-only job (POST /api/v1/jobs/, field `landmarks`), stopping the recording as soon as
the word ends (no rest after it, the baseline's best case); a letter's gloss is seen when the
job's result arrives: (end of the clip - end of the letter) + the job's time.

    .venv/bin/python bench/bench_live.py [--words PERU MAPA ...] [--camera]
        [--out var/bench/live.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrweb.settings.test")

import requests  # noqa: E402

from landmarks.formats.npz import save_npz  # noqa: E402
from tests.browser.conftest import new_page, sign_up  # noqa: E402
from tests.integration.helpers import auth, collect_events  # noqa: E402
from tests.integration.live import start_stack  # noqa: E402
from tests.support.browser import chromium  # noqa: E402
from tests.support.live import REPLAY_SCRIPT, held_letters, page_clip, spelled_clip  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
WORDS = ("PERU", "MAPA", "FIN", "CUB", "GYM", "WAX", "QUIT", "KNEE")
REST_AFTER = 2.0  # seconds of frames after the word: the camera films on after the last sign
TAIL_SECONDS = 1.0  # after the last frame, before "Stop"
CAMERA_SECONDS = 12.0  # live with the fake camera, per word, after the first frame is sent
CAMERA_FRAMES_PER_LETTER = 24  # 0.8 s a letter at 30 fps


def matches(segment: dict[str, Any], letter: str, start: float, end: float) -> bool:
    gloss = segment.get("gloss") or segment["topk"][0]["gloss"]
    return bool(gloss == letter and segment["start"] < end and segment["end"] > start)


def letter_latencies(spans: list[tuple[str, float, float]], seen: list[dict[str, Any]],
                     seen_at: Any) -> list[float | None]:
    """Per annotated letter: seconds from its end to the first matching segment seen, or None."""
    out: list[float | None] = []
    for letter, start, end in spans:
        hits = [seen_at(s) for s in seen if matches(s, letter, start, end)]
        out.append(min(hits) - end if hits else None)
    return out


def live_word(page: Any, clip: Any, spans: list[tuple[str, float, float]]) -> dict[str, Any]:
    page.goto("/live/")
    page.select_option("#language-select", "ase")
    page.evaluate(REPLAY_SCRIPT, page_clip(clip))
    time.sleep(TAIL_SECONDS)
    log = page.evaluate("() => slrweb.live.log.slice()")
    page.click("#live-stop")
    page.wait_for_function("() => slrweb.live.log.result", timeout=120_000)
    final = page.evaluate("() => slrweb.live.log.result")
    return {
        "latency": letter_latencies(spans, log, lambda s: s["shown_ms"] / 1000),
        "after_recognised_end": [s["shown_ms"] / 1000 - s["end"] for s in log],
        "drawn": [s["gloss"] for s in log],
        "final": [s["topk"][0]["gloss"] for s in final["segments"]],
    }


def camera_word(stack: Any, word: str, folder: Path) -> dict[str, Any]:
    """Live mode on the fake camera playing `word` (see the module docstring)."""
    from tests.support.videos import make_y4m

    y4m = make_y4m(SHARED, word, folder / f"{word}.y4m", fps=30,
                   frames_per_letter=CAMERA_FRAMES_PER_LETTER, size=(640, 360))
    with chromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                   f"--use-file-for-fake-video-capture={y4m}"]) as browser:
        page = new_page(browser, stack.url)
        sign_up(page, f"bench-camera-{word.lower()}")
        page.goto("/live/")
        page.select_option("#language-select", "ase")
        clicked = time.perf_counter()
        page.click("#live-start")
        page.wait_for_function("() => slrweb.live.log.sent >= 1", timeout=300_000, polling=100)
        first_frame_s = time.perf_counter() - clicked  # models loaded, first frame sent
        time.sleep(CAMERA_SECONDS)
        live = page.evaluate("() => ({segments: slrweb.live.log.slice(), sent: slrweb.live.log.sent,"
                             " hands: slrweb.live.log.hands})")
        page.click("#live-stop", timeout=120_000)
        page.wait_for_function("() => slrweb.live.log.result", timeout=120_000)
        final = page.evaluate("() => slrweb.live.log.result")
        inference = page.evaluate("() => slrweb.holistic.softwareWebGL() ? 'cpu' : 'gpu'")
        page.context.close()
    drawn = [s for s in live["segments"] if "shown_ms" in s]
    return {
        "after_recognised_end": [s["shown_ms"] / 1000 - s["end"] for s in drawn],
        "drawn": [s["gloss"] for s in drawn],
        "final": [s["topk"][0]["gloss"] for s in final["segments"]],
        "frames_sent": live["sent"], "frames_with_hands": live["hands"],
        "sent_per_s": round(live["sent"] / CAMERA_SECONDS, 2),
        "start_to_first_frame_s": round(first_frame_s, 2), "inference": inference,
    }


def job_word(stack: Any, token: str, clip: Any, spans: list[tuple[str, float, float]],
             folder: Path) -> dict[str, Any]:
    path = folder / "recording.npz"
    save_npz(clip, path)
    began = time.perf_counter()
    with open(path, "rb") as handle:
        response = requests.post(stack.url + "/api/v1/jobs/", headers=auth(token), timeout=120,
                                 files={"landmarks": (path.name, handle)},
                                 data={"language": "ase"})
    response.raise_for_status()
    events = collect_events(stack, token, response.json()["id"])
    job_seconds = time.perf_counter() - began
    result = events[-1]["result"]["recognition"]
    clip_end = clip.duration
    return {
        "job_seconds": job_seconds,
        "latency": letter_latencies(spans, result["segments"],
                                    lambda s: clip_end + job_seconds),
    }


def model_costs(held: dict[str, Any], words: list[str]) -> dict[str, Any]:
    """Where live recognition could run, in this process (1 torch thread): the spotter's feed on
    growing prefixes of the words spelled one after another, against what shipping the same
    prefix to a Celery worker would add before any model work (the JSON of its points, the
    task serializer's format), each timed as the median of 3."""
    import numpy as np

    from landmarks.sequence import LandmarkSequence
    from recognition.ml.infer import IsolatedPredictor
    from recognition.ml.streaming import StreamingSpotter
    from tests.support.live import LETTERS_BUNDLE

    predictor = IsolatedPredictor.from_bundle(LETTERS_BUNDLE)
    points = np.concatenate([spelled_clip(held, w)[0].points for w in words])
    out = {}
    for seconds in (5, 15, 30, 60):
        frames = min(len(points), int(seconds * 15))
        prefix = LandmarkSequence.from_points(points[:frames], fps=15.0)

        def timed(work: Any) -> float:
            runs = []
            for _ in range(3):
                began = time.perf_counter()
                work()
                runs.append(time.perf_counter() - began)
            return round(1000 * statistics.median(runs), 1)

        feed = timed(lambda p=prefix: StreamingSpotter(predictor).feed(p))
        to_json = timed(lambda p=prefix: json.loads(json.dumps(
            np.nan_to_num(p.points, nan=-1.0).tolist())))
        out[f"{frames / 15:.0f}s"] = {"feed_ms": feed, "json_roundtrip_ms": to_json}
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(latencies: list[float | None]) -> dict[str, Any]:
    found = [v for v in latencies if v is not None]
    return {"letters": len(latencies), "seen": len(found),
            "p50": round(statistics.median(found), 3) if found else None,
            "p95": round(percentile(found, 0.95), 3) if found else None,
            "mean": round(statistics.fmean(found), 3) if found else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", nargs="+", default=list(WORDS))
    parser.add_argument("--camera", action="store_true",
                        help="also live mode on the fake camera, Holistic in the page")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "live.json")
    args = parser.parse_args()
    held = held_letters(SHARED)
    clips = {word: spelled_clip(held, word, rest_after=REST_AFTER) for word in args.words}
    costs = model_costs(held, args.words)
    print("costs", costs, flush=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        stack = start_stack(Path(tmp) / "stack", SLRWEB_ALLOW_ANONYMOUS="0")
        try:
            token = stack.token_for("bench-live")
            live, jobs, camera = {}, {}, {}
            with chromium() as browser:
                page = new_page(browser, stack.url)
                sign_up(page, "bench-live-page")
                for word, (clip, spans) in clips.items():
                    live[word] = live_word(page, clip, spans)
                    print(word, "live", live[word], flush=True)
            for word in args.words if args.camera else []:
                camera[word] = camera_word(stack, word, Path(tmp))
                print(word, "camera", camera[word], flush=True)
            # A first job loads the worker's model: not counted (live mode's load is not either).
            job_word(stack, token, *spelled_clip(held, args.words[0]), Path(tmp))
            for word in args.words:  # recorded up to the word's end: no rest after it
                clip, spans = spelled_clip(held, word)
                jobs[word] = job_word(stack, token, clip, spans, Path(tmp))
                print(word, "job", jobs[word], flush=True)
        finally:
            stack.stop()
    report = {
        "words": args.words, "load_before": load_before, "load_after": os.getloadavg(),
        "live": summary([v for w in live.values() for v in w["latency"]]),
        "live_after_recognised_end": summary([v for w in live.values()
                                              for v in w["after_recognised_end"]]),
        "upload_after_recording": summary([v for w in jobs.values() for v in w["latency"]]),
        "camera_after_recognised_end": summary([v for w in camera.values()
                                                for v in w["after_recognised_end"]]),
        "camera_sent_per_s": [w["sent_per_s"] for w in camera.values()],
        "model_costs": costs,
        "per_word": {w: {"live": live[w], "job": jobs[w], "camera": camera.get(w)}
                     for w in args.words},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "per_word"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
