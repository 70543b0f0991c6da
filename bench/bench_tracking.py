"""Why extraction restarts tracking at segments of at most 2 s (landmarks.extract.SEGMENT_SECONDS).

Two continuous-tracking runs over the same frames (tracking never restarted: SEGMENT_SECONDS set
out of reach), one from the clip's start and one started --lead seconds before its middle: if
MediaPipe's tracking state (followed regions, landmark smoothing) converged, the second run's
landmarks would become equal to the first's after a while, and a clip cut among processes with a
warm-up lead would give the one-process landmarks. Prints the median absolute difference per part
and axis in 1 s blocks after the middle. Real clip: the SILFA signer spelling --letters.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_tracking.py [--lead 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import landmarks.extract as extract  # noqa: E402
from landmarks.layout import PARTS  # noqa: E402
from tests.support.videos import make_silfa_video  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", default="ABCDEFGHIKLMNOPQ")
    parser.add_argument("--lead", type=float, default=3.0)
    parser.add_argument("--fps", type=float, default=15.0)
    args = parser.parse_args()
    extract.SEGMENT_SECONDS = 1e9  # continuous tracking, as extractor /1 read
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_silfa_video(ROOT.parent / "shared" / "data", args.letters,
                                Path(tmp) / "clip.mp4", size=(426, 240))
        whole = extract.extract_landmarks(clip, sample_fps=args.fps)
        middle = float(whole.timestamps[len(whole) // 2])
        late = extract.extract_landmarks(clip, sample_fps=args.fps, start=middle - args.lead)
    ref = whole.points[whole.timestamps >= middle - 1e-6]
    got = late.points[late.timestamps >= middle - 1e-6]
    again = np.array_equal(ref, got, equal_nan=True)
    print(f"clip {whole.duration:.1f} s at {args.fps:g} fps; second run from {middle:.2f} - "
          f"{args.lead:g} s; equal after the middle: {again}")
    block = int(round(args.fps))
    for name, sl in PARTS.items():
        for axis in range(3):
            diff = np.abs(ref[:, sl, axis] - got[:, sl, axis])
            medians = [np.nanmedian(diff[i:i + block]) if np.isfinite(diff[i:i + block]).any()
                       else float("nan") for i in range(0, len(diff), block)]
            print(f"{name:10s} {'xyz'[axis]}  " + " ".join(f"{m:.1e}" for m in medians))


if __name__ == "__main__":
    main()
