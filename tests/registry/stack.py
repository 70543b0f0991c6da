"""Helpers for the registry's tests on a live stack (tests/integration/live.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def shell(stack: Any, code: str) -> str:
    """Run Python in `manage.py shell` against the stack's database; its last output line."""
    return stack.manage("shell", "-c", code).strip().splitlines()[-1]


def register_in_stack(stack: Any, bundle: Path, *, activate: bool) -> str:
    """Register (and activate) a bundle in a live stack's database, as an admin would."""
    return shell(stack, (
        "from registry import services; from registry.models import SignLanguage; "
        f"v = services.register_bundle({str(bundle)!r}, SignLanguage.objects.get(code='ase')); "
        + ("services.activate_version(v); " if activate else "")
        + "print(v.label)"
    ))


def bundle_dir_of(stack: Any, label: str) -> Path:
    """The stored bundle folder of a version label (name@N) in the stack."""
    name, _, number = label.rpartition("@")
    return Path(shell(stack, (
        "from registry.models import ModelVersion; "
        f"print(ModelVersion.objects.get(name={name!r}, version={int(number)}).bundle_dir)")))

