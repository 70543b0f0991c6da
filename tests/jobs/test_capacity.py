"""How many helper processes a job's extraction gets (jobs.capacity), on a real Redis."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from jobs import capacity
from jobs.capacity import ExtractionLease, helpers_for
from slrweb.services_runtime import free_port, start_embedded_redis


@pytest.fixture(scope="module")
def redis_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """REDIS_URL when set (CI, this machine's Redis), else an embedded redis-server."""
    embedded = None
    url = os.environ.get("REDIS_URL")
    if not url:
        embedded = start_embedded_redis(tmp_path_factory.mktemp("redis"))
        url = embedded.url
    client = redis.Redis.from_url(url)
    yield client
    client.close()
    if embedded is not None:
        embedded.stop()


@pytest.fixture
def host() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"  # a private lease set per test


def test_spare_capacity_is_shared_evenly_among_running_extractions() -> None:
    assert [helpers_for(2, n) for n in (1, 2, 3)] == [1, 0, 0]
    assert [helpers_for(8, n) for n in (1, 2, 3, 4, 8)] == [7, 3, 1, 1, 0]
    assert helpers_for(1, 1) == 0


def test_a_job_alone_gets_helpers_and_gives_them_up_when_another_starts(
        redis_client: Any, host: str) -> None:
    with ExtractionLease(capacity=2, client=redis_client, host=host) as first:
        assert first.helpers() == 1
        with ExtractionLease(capacity=2, client=redis_client, host=host) as second:
            assert first.helpers() == 0 and second.helpers() == 0
        assert first.helpers() == 1  # the other one released its lease
    assert redis_client.zcard(first.key) == 0


def test_a_lost_lease_expires(redis_client: Any, host: str,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    lost = ExtractionLease(capacity=2, client=redis_client, host=host)
    monkeypatch.setattr(capacity, "LEASE_SECONDS", 0.5)
    lost.helpers()  # a worker killed after this: its lease is never released
    with ExtractionLease(capacity=2, client=redis_client, host=host) as alive:
        assert alive.helpers() == 0
        time.sleep(0.7)
        assert alive.helpers() == 1


def test_capacity_one_or_no_redis_means_no_helpers(redis_client: Any, host: str,
                                                   tmp_path: Path) -> None:
    with ExtractionLease(capacity=1, client=redis_client, host=host) as off:
        assert off.helpers() == 0
    assert redis_client.zcard(off.key) == 0  # splitting off: no lease taken at all
    nobody = redis.Redis(port=free_port(), socket_connect_timeout=0.5)  # nothing listens there
    with ExtractionLease(capacity=4, client=nobody, host=host) as unknown:
        assert unknown.helpers() == 0
