"""The `slrweb` console script: one entry point, subcommands contributed by each package.

Each module in COMMAND_MODULES exposes `register(subparsers)`, adding its subcommands with
`parser.set_defaults(func=handler)`; handlers take the parsed namespace and return an exit code.
Modules import heavy libraries (torch, mediapipe, Django) inside their handlers so that
`slrweb --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "landmarks.cli",
    "recognition.ml.cli",
    "translation.ml.cli",
    "translation.ml.continuous.cli",
    "translation.cli",
    "slrweb.django_cli",
    "corpus.cli",
    "frontend.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slrweb", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]  # the command, for model cards
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
