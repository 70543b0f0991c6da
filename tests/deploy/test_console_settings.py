"""`slrweb` console commands run with dev settings unless the environment names others, although
importing slrweb sets the fail-closed prod default for servers (manage.py, ASGI, Celery)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = ("import os, slrweb.django_cli as c; print(os.environ['DJANGO_SETTINGS_MODULE']); "
         "print(c.settings_module())")


def run_probe(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env={**clean, **env},
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.split()


def test_console_commands_default_to_dev_while_servers_fail_closed() -> None:
    imported_default, console = run_probe()
    assert imported_default == "slrweb.settings.prod"  # what a bare worker or ASGI gets
    assert console == "slrweb.settings.dev"  # what `slrweb run` and the CLIs use


def test_the_environment_wins() -> None:
    assert run_probe(DJANGO_SETTINGS_MODULE="slrweb.settings.test") == [
        "slrweb.settings.test", "slrweb.settings.test"]
