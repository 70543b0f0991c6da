"""One process-wide cache of loaded predictors (recognition, continuous, ...).

A predictor is loaded once per (bundle folder, device, manifest time, kind of predictor): a
worker serves many jobs with one copy, a folder loaded as one kind is never handed out as
another, and a bundle rewritten in place (new bundle.json time) is loaded afresh. The registry's
own per-version cache (registry.runtime) calls `release` when it evicts a version, so that
nothing here keeps the model alive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mlcore.bundle import MANIFEST, Bundle, BundleError, read_bundle

P = TypeVar("P")


class PredictorCache:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str, float, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, path: str | Path, device: str, load: Callable[[Path, str], P],
            kind: str = "") -> P:
        """The predictor of the bundle at `path` on `device`, calling load(root, device) once.

        `kind` (default: the loader's qualified name) keeps two predictors of one folder apart:
        a bundle loaded as one kind is never handed out as another."""
        root = Path(path).resolve()
        kind = kind or getattr(load, "__qualname__", repr(load))
        key = (str(root), device, (root / MANIFEST).stat().st_mtime, kind)
        with self._lock:  # loading under the lock: two threads never load one bundle twice
            if key not in self._items:
                self._items[key] = load(root, device)
            return self._items[key]  # type: ignore[no-any-return]

    def bundle(self, path: str | Path, device: str, task: str,
               build: Callable[[Bundle, str], P]) -> P:
        """The predictor build(bundle, device) of the bundle at `path`, read and checked to be
        of `task` once per key (the one loading idiom of every predictor's from_bundle)."""
        def load(root: Path, device: str) -> P:
            bundle = read_bundle(root)
            if bundle.task != task:
                raise BundleError(f"{root} is a {bundle.task!r} bundle, not a {task!r} one")
            return build(bundle, device)

        return self.get(path, device, load, f"{task}:{getattr(build, '__qualname__', build)}")

    def release(self, predictor: Any) -> None:
        """Forget every entry holding this predictor object."""
        with self._lock:
            for key in [k for k, v in self._items.items() if v is predictor]:
                del self._items[key]

    def holds(self, predictor: Any) -> bool:
        with self._lock:
            return any(v is predictor for v in self._items.values())


PREDICTORS = PredictorCache()
