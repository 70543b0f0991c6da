"""`slrweb extract`: landmarks of a video file written as .pose, .npz or GISLR .parquet."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXTRACT_HELP = """\
Run MediaPipe Holistic on every frame of VIDEO and write the 543 landmarks per frame
(pose 33, face 468, left hand 21, right hand 21; the signer's left/right; NaN where missing)
in the format named by OUT's suffix: .pose (pose-format), .npz (slrweb storage) or .parquet
(Kaggle GISLR rows). Tracking restarts at every segment of the video (an even number of equal
segments of at most 2 s); with --workers N, N processes share the segments and
the result is exactly what one process gives.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `extract` subcommand to the slrweb CLI."""
    parser = subparsers.add_parser(
        "extract",
        help="extract MediaPipe Holistic landmarks from a video",
        description=EXTRACT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("video", metavar="VIDEO", help="video file (mp4, webm, mov, ...)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="OUT.pose, OUT.npz or OUT.parquet"
    )
    parser.add_argument(
        "--model-complexity",
        type=int,
        default=1,
        choices=(0, 1, 2),
        help="Holistic pose model: 0 lite, 1 full (default, the only one in the wheel), 2 heavy",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes sharing the clip's tracking segments (same result, sooner)",
    )
    parser.add_argument("--fps", type=float, default=None,
                        help="read at most this many frames per second (default: every frame)")
    parser.add_argument("--hand-recovery", action="store_true",
                        help="find the hands Holistic loses again with MediaPipe Hands, as for "
                             "a model trained that way (landmarks/hands.py)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_extract)


def run_extract(args: argparse.Namespace) -> int:
    """Handler of `slrweb extract`; returns the exit code."""
    from landmarks.decode import InvalidVideoError
    from landmarks.extract import ModelUnavailableError
    from landmarks.formats import SUFFIXES, write_landmarks

    if not str(args.output).lower().endswith(SUFFIXES):
        print(f"error: OUT must end in one of {', '.join(SUFFIXES)}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        sequence = _extract_with_bar(args)
    except (InvalidVideoError, ModelUnavailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_landmarks(sequence, args.output)
    for warning in sequence.meta.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    print(json.dumps(sequence.summary()))
    return 0


def _extract_with_bar(args: argparse.Namespace) -> Any:
    from tqdm import tqdm

    from landmarks.parallel import extract_landmarks_parallel

    with tqdm(unit="frame", desc="landmarks", disable=args.no_progress) as bar:

        def progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        return extract_landmarks_parallel(
            args.video,
            workers=args.workers,
            model_complexity=args.model_complexity,
            progress=progress,
            sample_fps=args.fps,
            hand_recovery=args.hand_recovery or None,
        )
