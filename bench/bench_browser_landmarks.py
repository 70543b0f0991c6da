"""Privacy mode (issue 14 item 4): landmarks found in Chromium vs the server's, on real clips.

Each clip is read twice: by the page's own code (frontend/static/frontend/holistic.js,
extractVideo: MediaPipe Holistic from the npm package the site serves, `slrweb vendor`, with
handrecovery.js's MediaPipe Hands when --model was trained on recovered hands, as the page does
for such a language) in
Debian's headless Chromium driven by Playwright with the browser tests' flags, and by the server
(landmarks.extract.extract_landmarks, what `slrweb extract --fps` and jobs run), both at the
jobs' rate (--fps, SLRWEB_EXTRACT_FPS). Reported per clip and per part:

- frames: sampled frame count and the largest timestamp difference (the same frames?);
- found: the fraction of frames where browser and server agree that the part is present;
- dist_xy / dist_xyz: mean Euclidean distance of the points (image-normalised x, y; z is
  MediaPipe's relative depth) over frames where both found the part;
- motion_xy: the reference scale from the same run: the server's mean frame-to-frame
  displacement of those points (how far they move between two sampled frames).

Kept-back clips: spelled words assembled from the SILFA test-block frames that the letters model
never trained on (bench/bench_spelling.py's held-out words). Both landmark sets go through the same
recognizer (--model, IsolatedPredictor.recognize, what `slrweb recognize` prints) and the read
letters are compared. The page is a bare page that loads the same static files as the site's home
page, served from a local HTTP server (the site adds login and upload, which tests/browser/
test_privacy_mode.py covers).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_browser_landmarks.py \
        [--words CUB FIN] [--out var/bench/browser_landmarks.json]
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from frontend import vendor  # noqa: E402
from landmarks.extract import extract_landmarks  # noqa: E402
from landmarks.hands import RECOVERED_KEY, SIDES, recovered_meta  # noqa: E402
from landmarks.layout import PARTS  # noqa: E402
from landmarks.sequence import LandmarkSequence  # noqa: E402
from tests.support.browser import chromium  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
PAGE = """<!doctype html><meta charset="utf-8"><title>bench</title>
<script src="/static/frontend/holistic.js"></script><script src="/static/frontend/npz.js"></script>
<script src="/static/frontend/handrecovery.js"></script>
"""
EXTRACT_JS = """async ([url, fps, recover]) => {
  const blob = await (await fetch(url)).blob();
  const started = performance.now();
  const holistic = await slrweb.holistic.createHolistic({baseUrl: "/static/vendor/holistic/"});
  const recovery = recover
    ? await slrweb.hands.createHandRecovery({baseUrl: "/static/vendor/hands/"}) : null;
  const ready = performance.now();
  const clip = await slrweb.holistic.extractVideo(blob, {holistic, fps, recovery});
  if (recovery) await recovery.close();
  const done = performance.now();
  await holistic.close();
  const bytes = new Uint8Array(clip.points.buffer); let text = "";
  for (let i = 0; i < bytes.length; i += 8192)
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  return {points: btoa(text), timestamps: clip.timestamps, fps: clip.fps,
          recovered: clip.recovered ? Array.from(clip.recovered) : null,
          init_ms: ready - started, extract_ms: done - ready, mode: holistic.timestampMode,
          inference: holistic.inference};
}"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A local HTTP server of folder (static files and clips) on a free port."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def site_folder(tmp: Path) -> Path:
    """The page, the site's static files (frontend/static) and the vendored Holistic."""
    (tmp / "static").mkdir()
    (tmp / "static" / "frontend").symlink_to(ROOT / "frontend" / "static" / "frontend")
    (tmp / "static" / "vendor").symlink_to(vendor.VENDOR_DIR)
    (tmp / "index.html").write_text(PAGE)
    (tmp / "clips").mkdir()
    return tmp


def browser_extraction(page: Any, url: str, fps: float,
                       recover: bool) -> tuple[LandmarkSequence, dict]:
    """The page's extraction (with the page's hand recovery when `recover`)."""
    out = page.evaluate(EXTRACT_JS, [url, fps, recover])
    points = np.frombuffer(base64.b64decode(out["points"]), np.float32).reshape(-1, 543, 3)
    seq = LandmarkSequence.from_points(points.copy(), fps=float(out["fps"]),
                                       timestamps=np.array(out["timestamps"]))
    if out["recovered"] is not None:
        flags = np.array(out["recovered"], bool).reshape(-1, 2)
        seq.meta[RECOVERED_KEY] = recovered_meta(seq.timestamps, flags)
    frames = max(1, len(seq))
    return seq, {"init_s": round(out["init_ms"] / 1000, 1),
                 "ms_per_frame": round(out["extract_ms"] / frames), "clock": out["mode"],
                 "inference": out["inference"]}


def compare(ours: LandmarkSequence, server: LandmarkSequence) -> dict[str, Any]:
    """Per-part agreement of two extractions of the same clip (see the module docstring)."""
    n = min(len(ours), len(server))
    row: dict[str, Any] = {
        "frames": [len(ours), len(server)],
        "max_dt_ms": round(1000 * float(np.abs(ours.timestamps[:n] - server.timestamps[:n]).max()),
                           2) if n else None,
    }
    for name, part in PARTS.items():
        a, b = ours.points[:n, part], server.points[:n, part]
        found_a, found_b = ~np.isnan(a[..., 0]).any(-1), ~np.isnan(b[..., 0]).any(-1)
        both = found_a & found_b
        motion = np.linalg.norm(np.diff(b[..., :2], axis=0), axis=-1)
        still = both[1:] & both[:-1]
        row[name] = {
            "found": [int(found_a.sum()), int(found_b.sum())],
            "agree": round(float((found_a == found_b).mean()), 3) if n else None,
            "dist_xy": round(float(np.linalg.norm(a[both][..., :2] - b[both][..., :2],
                                                  axis=-1).mean()), 4) if both.any() else None,
            "dist_xyz": round(float(np.linalg.norm(a[both] - b[both], axis=-1).mean()), 4)
            if both.any() else None,
            "motion_xy": round(float(motion[still].mean()), 4) if still.any() else None,
        }
    return row


def kept_back_words(words: list[str], predictor: Any, tmp: Path, fps: float,
                    repeat: int) -> dict[str, Path]:
    """Held-out spelled-word videos (bench_spelling's test blocks), written under tmp/clips."""
    import bench_spelling
    from recognition.ml.data import load_runs
    from tests.support.videos import read_rgb, write_video

    runs = [r for r in load_runs("frames", bench_spelling.FRAMES)
            if r.label in set(predictor.vocabulary)]
    held = bench_spelling.held_frames(runs, predictor.config.train)
    out = {}
    for word in words:
        paths = bench_spelling.word_frames(word, held, full=False)
        out[word] = write_video((read_rgb(p) for p in paths for _ in range(repeat)),
                                tmp / "clips" / f"{word}.mp4", fps=fps)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fps", type=float, default=15.0, help="extraction rate (jobs' default)")
    parser.add_argument("--words", nargs="*", default=["CUB", "FIN"])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "silfa-letters")
    parser.add_argument("--word-fps", type=float, default=15.0)
    parser.add_argument("--repeat", type=int, default=3, help="video frames per held-out frame")
    parser.add_argument("--no-signing-clip", action="store_true",
                        help="skip ../shared/data/video/pose_test_video.mp4")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import torch

    from recognition.ml.infer import IsolatedPredictor

    torch.set_num_threads(1)
    if not vendor.is_installed():
        sys.exit("run `slrweb vendor` first (the browser's Holistic is not installed)")
    results: dict[str, Any] = {"fps": args.fps, "clips": {}}
    with tempfile.TemporaryDirectory() as name:
        tmp = site_folder(Path(name))
        clips: dict[str, Path] = {}
        if not args.no_signing_clip:
            clips["pose_test_video"] = SHARED / "video" / "pose_test_video.mp4"
        predictor = IsolatedPredictor.from_bundle(args.model)
        words = kept_back_words(args.words, predictor, tmp, args.word_fps, args.repeat)
        clips.update(words)
        server, base = serve(tmp)
        with chromium() as browser:
            page = browser.new_page()
            page.goto(base + "/index.html")
            for label, path in clips.items():
                target = tmp / "clips" / path.name
                if not target.exists():
                    target.symlink_to(path)
                started = time.perf_counter()
                # As a job of the model's language reads it (recovered hands if it asks), and
                # as the page does for such a language (handrecovery.js).
                recover = predictor.config.features.hand_recovery
                server_seq = extract_landmarks(path, sample_fps=args.fps, hand_recovery=recover)
                server_s = time.perf_counter() - started
                ours, timing = browser_extraction(page, f"{base}/clips/{path.name}", args.fps,
                                                  recover)
                row = compare(ours, server_seq)
                row["recovered_frames"] = {
                    who: {side: len((seq.meta.get(RECOVERED_KEY) or {}).get(side, []))
                          for side in SIDES}
                    for who, seq in (("browser", ours), ("server", server_seq))}
                row.update(timing, server_ms_per_frame=round(1000 * server_s / len(server_seq)))
                if label in words:
                    read = {k: "".join(s["topk"][0]["gloss"]
                                       for s in predictor.recognize(seq)["segments"])
                            for k, seq in (("browser", ours), ("server", server_seq))}
                    row["read"] = {"word": label, **read, "same": read["browser"] == read["server"]}
                results["clips"][label] = row
                print(label, json.dumps(row), flush=True)
        server.shutdown()
    same = [r["read"]["same"] for r in results["clips"].values() if "read" in r]
    results["kept_back_same_result"] = f"{sum(same)}/{len(same)}"
    print(json.dumps({"kept_back_same_result": results["kept_back_same_result"]}))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
