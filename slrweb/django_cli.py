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


def settings_module() -> str:
    """The settings of a console command: what the environment named, else dev. (Importing
    slrweb has already put the prod default into os.environ, for servers that fail closed.)"""
    from slrweb import SETTINGS_FROM_ENVIRONMENT

    return SETTINGS_FROM_ENVIRONMENT or "slrweb.settings.dev"


def setup_django() -> None:
    """Configure Django for a console command that needs the ORM (dev settings by default)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module()
    import django

    django.setup()
