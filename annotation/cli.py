"""`slrweb export-dataset`: accepted corrections as a training set (see annotation.dataset)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from slrweb.django_cli import setup_django


def register(subparsers: Any) -> None:
    """Add the annotation subcommands to the `slrweb` parser."""
    p = subparsers.add_parser(
        "export-dataset",
        help="write accepted annotations (landmarks + labels) as a training set",
        description="Writes isolated/ (npz-dir for train-isolated) and translation/ "
                    "(line-aligned .gloss/.text for train-translation) under OUT.",
    )
    p.add_argument("--language", required=True, help="ISO 639-3 code of the sign language, e.g. ase")
    p.add_argument("--since", type=date.fromisoformat,
                   help="only annotations accepted on or after this day (YYYY-MM-DD, UTC)")
    p.add_argument("-o", "--out", required=True, help="output folder (new or empty)")
    p.add_argument("--dev-fraction", type=float, default=0.1,
                   help="share of clips put in the translation dev split (by job, deterministic)")
    p.set_defaults(func=cmd_export_dataset)


def cmd_export_dataset(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"{out} exists and is not an empty folder; choose a new one", file=sys.stderr)
        return 2
    if not 0.0 <= args.dev_fraction < 1.0:
        print("--dev-fraction must be in [0, 1)", file=sys.stderr)
        return 2
    setup_django()
    from annotation.dataset import export_dataset
    from registry.languages import normalise_code

    try:
        language = normalise_code(args.language)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    since = datetime.combine(args.since, time.min, tzinfo=timezone.utc) if args.since else None
    summary = export_dataset(language, out, since=since, dev_fraction=args.dev_fraction,
                             progress=sys.stderr.isatty())
    print(json.dumps({k: v for k, v in vars(summary).items() if k != "skipped"}, indent=2))
    for reason in summary.skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    if not summary.annotations:
        print(f"no accepted annotations for {language}"
              + (f" since {args.since}" if args.since else ""), file=sys.stderr)
        return 1
    return 0
