"""`slrweb translate VIDEO`: what a job's `result.translation` holds for that video.

With `--language L` it runs the language's chain of active models from the registry (as the job
does); with `--model BUNDLE` the one bundle (a continuous-gloss model, or a landmarks->text
translator such as the fingerspelling model). Heavy imports happen inside the handler.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("translate", help="translate a video (landmarks -> glosses -> text)")
    p.add_argument("video", type=Path)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--language", help="ISO 639-3 code: the registry's active chain "
                                           "(default ase)")
    source.add_argument("--model", type=Path, help="one bundle folder instead of the registry")
    p.add_argument("--fps", type=float, default=None,
                   help="frames per second read from the video (0: every frame; default: the "
                        "jobs' SLRWEB_EXTRACT_FPS with --language, every frame with --model)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=translate_command)


def bundle_chain(folder: Path) -> Any:
    """A one-model chain from a bundle folder, in the role its task gives it."""
    from mlcore.bundle import read_bundle
    from registry.runtime import predictor_class
    from translation.ml.chain import Chain, Step

    bundle = read_bundle(folder)
    if bundle.task == "isolated":
        raise ValueError(f"{folder} is an isolated-sign bundle; use `slrweb recognize`")
    predictor = predictor_class(bundle.task).from_bundle(folder)
    step = Step(predictor, bundle.name)
    return Chain(glosser=step) if bundle.task == "continuous" else Chain(text=step)


def translate_command(args: argparse.Namespace) -> int:
    from landmarks.decode import InvalidVideoError
    from landmarks.extract import extract_landmarks
    from translation.ml.chain import chain_problem, run_chain, wants_hand_recovery

    fps = args.fps
    if args.model is not None:
        try:
            chain = bundle_chain(args.model)
        except ValueError as exc:
            print(f"slrweb translate: {exc}", file=sys.stderr)
            return 2
    else:
        from slrweb.django_cli import setup_django

        setup_django()
        from django.conf import settings

        from translation.services import language_chain

        chain = language_chain(args.language or "ase")
        fps = settings.SLRWEB_EXTRACT_FPS if fps is None else fps  # what a job reads
    problem = chain_problem(chain)
    if problem is not None:  # before MediaPipe reads the whole video for nothing
        print(f"slrweb translate: cannot translate a video: {problem}", file=sys.stderr)
        return 2
    try:
        sequence = extract_landmarks(args.video, sample_fps=fps or None,
                                     hand_recovery=wants_hand_recovery(chain))
    except InvalidVideoError as exc:
        print(f"slrweb translate: {args.video}: {exc}", file=sys.stderr)
        return 1
    result = run_chain(sequence, chain)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        if result["glosses"]:
            print(" ".join(result["glosses"]))
        print(result["text"])
    return 0
