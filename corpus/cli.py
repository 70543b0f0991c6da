"""`slrweb export-dataset` (accepted corrections as a training set, see corpus.dataset) and
`slrweb retrain` (a new candidate version from base data plus accepted corrections)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from corpus.split import DEV_SHARE, HELD_OUT_SHARE
from slrweb.django_cli import setup_django


def register(subparsers: Any) -> None:
    """Add the corpus subcommands to the `slrweb` parser."""
    _register_export(subparsers)
    _register_retrain(subparsers)


def _register_export(subparsers: Any) -> None:
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
    p.add_argument("--dev-fraction", type=float, default=DEV_SHARE,
                   help="share of clips put in the translation dev split (by video, "
                        "deterministic, corpus.split); held-out clips are never exported")
    p.set_defaults(func=cmd_export_dataset)


def cmd_export_dataset(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"{out} exists and is not an empty folder; choose a new one", file=sys.stderr)
        return 2
    if not 0.0 <= args.dev_fraction < 1.0 - HELD_OUT_SHARE:
        print(f"--dev-fraction must be in [0, {1.0 - HELD_OUT_SHARE:g})", file=sys.stderr)
        return 2
    setup_django()
    from corpus.dataset import export_dataset
    from registry.languages import normalise_code

    try:
        language = normalise_code(args.language)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    since = datetime.combine(args.since, time.min, tzinfo=UTC) if args.since else None
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


def _register_retrain(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "retrain", help="train a candidate model version from base data + accepted corrections",
        description="Isolated: trains the architecture of a registered version (the active "
                    "one unless --from-version) on the base data plus the language's accepted "
                    "corrections. Translation: fine-tunes that version on the accepted "
                    "corrected translations (landmarks or gloss input, as the bundle reads). "
                    "Held-out jobs are never trained on; the result is registered as a "
                    "candidate version with its metrics. Compare (shadow evaluation) and "
                    "activate it in the admin.",
    )
    p.add_argument("--language", required=True, help="ISO 639-3 code, e.g. ase")
    p.add_argument("--task", choices=("isolated", "translation"), default="isolated")
    p.add_argument("--base-data", type=Path,
                   help="the base training data (default: the data the starting version "
                        "records in its metrics, when it is on this machine)")
    p.add_argument("--base-format", metavar="FORMAT",
                   help="format of --base-data: asl-npz, gislr, pose or npz-dir "
                        "(recognition.ml.data.load_runs)")
    p.add_argument("--no-base-data", action="store_true",
                   help="train on the accepted corrections alone")
    p.add_argument("--from-version", metavar="NAME@N",
                   help="version whose config to start from (default: the active one)")
    p.add_argument("--since", type=date.fromisoformat,
                   help="only corrections accepted on or after this day (YYYY-MM-DD, UTC)")
    p.add_argument("--from-scratch", action="store_true",
                   help="isolated: train the starting version's architecture anew on its full "
                        "schedule instead of fine-tuning its weights (needed to add glosses)")
    p.add_argument("--epochs", type=int,
                   help="override the epochs (isolated fine-tuning: 3; translation: 10)")
    p.add_argument("--steps-per-epoch", type=int, help="override the base config's steps")
    p.add_argument("--lr", type=float, default=1e-4,
                   help="translation: learning rate of the fine-tuning (default 1e-4)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--work-dir", type=Path,
                   help="keep the exported corrections and the bundle here (default: temporary)")
    p.set_defaults(func=cmd_retrain)


def cmd_retrain(args: argparse.Namespace) -> int:
    """Handler of `slrweb retrain`; returns the exit code."""
    if args.task != "translation" and bool(args.base_data) != bool(args.base_format):
        print("--base-data and --base-format go together", file=sys.stderr)
        return 2
    setup_django()
    from registry.errors import RegistryError
    from registry.metrics import format_value, headline
    from registry.models import SignLanguage
    from corpus.retrain import base_version

    try:
        language = SignLanguage.objects.get(code=args.language.strip().lower())
        base = base_version(language, args.task, args.from_version)
        since = datetime.combine(args.since, time.min, tzinfo=UTC) if args.since else None
        version = _retrain(args, language, base, since)
    except BaseDataMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    except SignLanguage.DoesNotExist:
        print(f"no sign language {args.language!r} in the registry", file=sys.stderr)
        return 2
    except (RegistryError, ValueError, OSError) as exc:
        print(f"retrain failed: {exc}", file=sys.stderr)
        return 1
    summary = ", ".join(f"{k} {format_value(v)}" for k, v in headline(version.metrics))
    print(f"registered {version.label} as a candidate ({summary or 'no headline metrics'})")
    return 0


def _retrain(args: argparse.Namespace, language: Any, base: Any, since: datetime | None) -> Any:
    """Run the retrain of args.task; returns the registered candidate."""
    log = lambda line: print(line, file=sys.stderr)  # noqa: E731
    if args.task == "translation":
        from corpus.retrain_translation import retrain_translation
        from mlcore.device import choose_device

        device = choose_device(args.device)
        return retrain_translation(language, base, since=since, epochs=args.epochs or 10,
                                   lr=args.lr, device=device, work_dir=args.work_dir, log=log)
    from corpus.retrain import retrain_isolated

    overrides = {k: v for k, v in (("epochs", args.epochs),
                                   ("steps_per_epoch", args.steps_per_epoch)) if v}
    return retrain_isolated(language, base, _base_runs(args, base), since=since,
                            train_overrides=overrides, device=args.device,
                            work_dir=args.work_dir, progress=sys.stderr.isatty(), log=log,
                            from_scratch=args.from_scratch,
                            base_source=(args.base_format, args.base_data)
                            if args.base_data else None)


class BaseDataMissing(Exception):
    """No base data was named and the starting version's own data is not on this machine."""


def _base_runs(args: argparse.Namespace, base: Any) -> list[Any]:
    from corpus.retrain import load_base_runs, recorded_base_data
    from registry.compat import stored_config

    if args.no_base_data:
        return []
    if args.base_data:
        return load_base_runs(stored_config(base), args.base_format, args.base_data)
    recorded = recorded_base_data(base)
    if recorded is None:
        raise BaseDataMissing(
            f"the base data of {base.label} is not recorded or not on this machine; pass "
            "--base-data PATH --base-format FORMAT, or --no-base-data")
    return load_base_runs(stored_config(base), *recorded)
