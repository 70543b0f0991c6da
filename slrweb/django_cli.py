"""`slrweb run` (the local one-command installation) for the console script."""

from __future__ import annotations

import argparse
import os


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("run", help="run the site, a worker and (if needed) Redis")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from slrweb.devserver import run

    return run(port=args.port, host=args.host)


def setup_django() -> None:
    """Configure Django for a console command that needs the ORM (dev settings by default)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrweb.settings.dev")
    import django

    django.setup()
