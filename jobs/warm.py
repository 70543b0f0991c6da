"""A Celery pool process made ready for its first job before the job arrives (issue 14).

Without it the first job of each pool process pays for importing MediaPipe and torch, building
and loading the Holistic graph, starting the extraction helper processes and loading the active
models: seconds, all before the first frame is read (and, with helpers started per job, most
of it on every job). `warm_in_background` does that work at process start, in a thread: Celery
waits only a few seconds for a new pool process to report that it is up. A job arriving during
the warm-up waits for the part it needs (the graph, the predictor cache and the helper pool are
each built under their own lock) instead of building it a second time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings

log = logging.getLogger(__name__)

WARM_LINE = "worker process warm"  # bench/benchlib.wait_worker_ready waits for it


def warm_worker(queues: Iterable[str] | None = None) -> dict[str, float]:
    """Warm what the stages of `queues` (None: every queue) use in this process; returns the
    seconds each part took. Extraction (the landmarks queue): the Holistic graph and the helper
    processes jobs.capacity allows a job; models (both queues: the landmarks stage streams
    recognition while it reads): the active versions, as many as the predictor cache keeps."""
    queues = None if queues is None else set(queues)
    took: dict[str, float] = {}
    if queues is None or "landmarks" in queues:
        from landmarks.extract import warm_holistic
        from landmarks.parallel import start_helpers

        complexity = settings.SLRWEB_HOLISTIC_MODEL_COMPLEXITY
        hands = _wants_hands()
        t0 = time.perf_counter()
        start_helpers(max(0, settings.SLRWEB_EXTRACT_WORKERS - 1), complexity, hands)
        warm_holistic(complexity, hands)
        took["holistic"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    took["models"] = float(_load_active_models())
    took["models_s"] = time.perf_counter() - t0
    return took


def _wants_hands() -> bool:
    """Whether some language's jobs recover lost hands (MediaPipe Hands is then loaded too);
    False when the registry cannot be read yet (the first such job loads it)."""
    from registry.selectors import any_wants_hand_recovery

    try:
        return any_wants_hand_recovery()
    except Exception:  # noqa: BLE001 - warming is an optimisation; the job reads the registry
        log.warning("warm-up: could not read which languages recover hands", exc_info=True)
        return False


def _load_active_models() -> int:
    from registry.models import ModelVersion
    from registry.runtime import DEFAULT_CACHE_SIZE, get_predictor

    limit = max(1, int(getattr(settings, "SLRWEB_PREDICTOR_CACHE_SIZE", DEFAULT_CACHE_SIZE)))
    versions = (ModelVersion.objects.select_related("language")
                .filter(status=ModelVersion.Status.ACTIVE).order_by("-created")[:limit])
    loaded = 0
    for version in versions:
        try:
            get_predictor(version)
            loaded += 1
        except Exception:  # noqa: BLE001 - the job that needs it reports the error itself
            log.warning("could not warm model %s", version, exc_info=True)
    return loaded


def warm_in_background(queues: Iterable[str] | None = None) -> threading.Thread:
    """warm_worker in a daemon thread; logs WARM_LINE when done."""

    def run() -> None:
        t0 = time.perf_counter()
        try:
            took = warm_worker(queues)
        except Exception:  # noqa: BLE001 - jobs then build what they need themselves
            log.exception("warming the worker process failed")
            return
        finally:
            from django.db import connection

            connection.close()  # this thread's own connection
        log.info("%s in %.1f s (%s)", WARM_LINE, time.perf_counter() - t0,
                 ", ".join(f"{k} {v:.1f}" for k, v in took.items()))

    thread = threading.Thread(target=run, name="warm-worker", daemon=True)
    thread.start()
    return thread
