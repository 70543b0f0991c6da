"""Every accounts test starts with no login failures recorded and empty rate-limit counters."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_throttles(db):  # noqa: ANN001
    from axes.utils import reset

    reset()
    cache.clear()  # ninja's throttles (uploads, sign-ups) count in the default cache
    yield
    reset()
    cache.clear()
