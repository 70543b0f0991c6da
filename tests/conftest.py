"""Shared fixtures. Real data is read from ../shared/data beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlcore.numerics import pin_thread_env, pin_torch

# Before torch, OpenMP or MKL load, and inherited by the worker and Daphne processes tests start:
# one thread everywhere, so no result depends on how a machine's cores split a reduction.
pin_thread_env()
os.environ.setdefault("SLRWEB_TORCH_THREADS", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SLRWEB_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _pinned_numerics() -> None:
    """Every test starts from the same seeds with one torch thread (a test may reseed)."""
    pin_torch(threads=1, seed=0)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real data folder not found at {SHARED_DATA} (set SLRWEB_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pose_test_video(shared_data: Path) -> Path:
    return shared_data / "video" / "pose_test_video.mp4"


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Real Redis + database + Celery worker + Daphne, shared by integration and browser tests."""
    from tests.integration.live import start_stack

    # Webhook receivers of the tests listen on 127.0.0.1; retries come after 1 s, 2 s, ...
    stack = start_stack(tmp_path_factory.mktemp("live"), SLRWEB_ALLOW_ANONYMOUS="0",
                        SLRWEB_WEBHOOK_ALLOW_PRIVATE="1", SLRWEB_WEBHOOK_RETRY_SECONDS="1")
    yield stack
    stack.stop()
