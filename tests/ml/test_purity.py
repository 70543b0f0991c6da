"""The pure ML packages import and run without Django (STYLE.md, shape of the project, item 1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PURE_MODULES = [
    "landmarks.decode", "landmarks.extract", "landmarks.cache", "landmarks.formats",
    "mlcore.bundle", "mlcore.layers", "mlcore.train", "mlcore.config", "mlcore.device",
    "mlcore.card",
    "recognition.ml.model", "recognition.ml.infer",
    "translation.ml.model", "translation.ml.infer",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_imports_without_django(module: str) -> None:
    code = (
        "import os, sys; os.environ.pop('DJANGO_SETTINGS_MODULE', None); "
        f"import {module}; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
