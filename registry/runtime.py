"""Predictors in worker processes: loaded once per process, cached by model version id.

The pipeline asks `registry.selectors.active_model` on every job and then `get_predictor` for
that version, so an activation takes effect on the next job without restarting any worker:
the new version id misses the cache and is loaded, and the versions it replaced for the same
(language, task) are dropped from memory.
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from django.conf import settings

# task -> "module:Class" with a `from_bundle(path)` classmethod. Imported lazily: torch is heavy.
PREDICTOR_CLASSES = {
    "isolated": "recognition.ml.infer:IsolatedPredictor",
    "translation": "translation.ml.infer:TranslationPredictor",
    # A landmarks->text translator or a letters speller (the bundle's config tells which).
    "fingerspelling": "translation.ml.letterspeller:Fingerspeller",
    "continuous": "translation.ml.continuous.infer:ContinuousPredictor",
    # The embedding alone; recognition.enrollment adds the language's enrolled signs.
    "embedding": "recognition.ml.enroll:EnrolledPredictor",
}
DEFAULT_CACHE_SIZE = 4

_lock = threading.Lock()
# version id -> ((language id, task), predictor), least recently used first
_cache: OrderedDict[int, tuple[tuple[int, str], Any]] = OrderedDict()


def predictor_class(task: str) -> Any:
    """The predictor class serving `task`."""
    try:
        module_name, class_name = PREDICTOR_CLASSES[task].split(":")
    except KeyError:
        raise ValueError(f"no predictor for task {task!r}") from None
    return getattr(importlib.import_module(module_name), class_name)


def inference_device() -> str:
    """settings.SLRWEB_DEVICE resolved by the one device chooser ("auto": CUDA when present)."""
    from mlcore.device import choose_device

    return choose_device(str(getattr(settings, "SLRWEB_DEVICE", "auto")))


def load_predictor(bundle_dir: str | Path, task: str) -> Any:
    """Load a predictor straight from a bundle folder (no cache), on the inference device."""
    import torch

    # One intra-op thread per worker process: small models on short clips lose more to thread
    # hand-offs than they gain, and MediaPipe in the other queue wants the remaining cores.
    torch.set_num_threads(int(getattr(settings, "SLRWEB_TORCH_THREADS", 1)))
    return predictor_class(task).from_bundle(Path(bundle_dir), device=inference_device())


def get_predictor(version: Any) -> Any:
    """The predictor of a ModelVersion, loaded on first use in this process and then reused.

    Loading happens under the lock so that concurrent threads of one worker never load the
    same bundle twice.
    """
    with _lock:
        hit = _cache.get(version.id)
        if hit is not None:
            _cache.move_to_end(version.id)
            return hit[1]
        predictor = load_predictor(version.bundle_dir, version.task)
        slot = (version.language_id, version.task)
        for stale_id in [vid for vid, (s, _) in _cache.items() if s == slot]:
            _evict(stale_id)  # replaced by an activation: its memory is never needed again
        _cache[version.id] = (slot, predictor)
        limit = max(1, int(getattr(settings, "SLRWEB_PREDICTOR_CACHE_SIZE", DEFAULT_CACHE_SIZE)))
        while len(_cache) > limit:
            _evict(next(iter(_cache)))
        return predictor


def _evict(version_id: int) -> None:
    _, predictor = _cache.pop(version_id)
    release_predictor(predictor)


def release_predictor(predictor: Any) -> None:
    """Drop a predictor from its module's own load cache, if it keeps one (call this after a
    one-off load_predictor, e.g. validation, so the web process does not keep the model).

    The predictors keep loaded bundles in mlcore.predictors.PREDICTORS (keyed by folder,
    device, mtime) for callers outside the web stack; without this an evicted version would
    stay in memory there. Registered bundles live in per-version folders, so dropping the
    entries that hold this very object is exact.
    """
    from mlcore.predictors import PREDICTORS

    PREDICTORS.release(predictor)


def cached_version_ids() -> list[int]:
    """Ids of the versions whose predictors this process holds (oldest use first)."""
    with _lock:
        return list(_cache)


def clear_predictor_cache() -> None:
    """Forget every loaded predictor (tests; memory pressure)."""
    with _lock:
        for version_id in list(_cache):
            _evict(version_id)
