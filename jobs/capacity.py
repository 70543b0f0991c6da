"""How many processes one job's landmark extraction may use on this machine (issue 14 item 2).

Every running landmarks stage holds a lease in a Redis sorted set per host (member: a random id,
score: when it expires; renewed whenever the extraction polls). The machine's extraction
capacity is SLRWEB_EXTRACT_WORKERS processes (default: the CPUs this process may run on; 1 turns
splitting off). A stage always reads with its own process; the spare capacity (capacity minus
the stages running here) is shared evenly among them as helper processes (landmarks.parallel).
One job alone on a 2-core machine gets one helper; when a second job's stage starts, both get
none, and the first job's helper stops taking segments at its next poll (about every second, at
most one 2 s segment later), so a new job is never starved. A killed worker's lease expires
after LEASE_SECONDS.

Why leases rather than `celery inspect` or the queue's length: inspect is a broadcast that waits
for every worker's answer (a second or more, and a busy worker answers late), and an empty queue
says nothing about the jobs already running beside this one in other pool processes or workers on
the same host; the leases count exactly the extractions running on this machine, are cheap enough
to read every second, and need nothing but the Redis the site already has.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

LEASE_SECONDS = 30.0


def helpers_for(capacity: int, running: int) -> int:
    """Helper processes each of `running` extractions gets when `capacity` processes may read."""
    running = max(1, running)
    return max(0, (capacity - running) // running)


class ExtractionLease:
    """A running extraction's place in this host's count; `helpers()` renews it and says how
    many helper processes the extraction may use now (0 when Redis cannot be reached)."""

    def __init__(self, capacity: int | None = None, client: Any = None,
                 host: str | None = None) -> None:
        self.capacity = capacity if capacity is not None else settings.SLRWEB_EXTRACT_WORKERS
        self.key = f"{settings.REDIS_PREFIX}:extract-leases:{host or socket.gethostname()}"
        self.member = uuid.uuid4().hex
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2,
                                                socket_connect_timeout=2)
        return self._client

    def __enter__(self) -> ExtractionLease:
        if self.capacity > 1:
            self.helpers()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.capacity > 1:
            try:
                self.client.zrem(self.key, self.member)
            except Exception:  # noqa: BLE001 - the lease expires by itself
                log.warning("could not release extraction lease %s", self.member)

    def running(self) -> int:
        """Extractions holding a live lease on this host, this one included (renewed)."""
        now = time.time()
        pipe = self.client.pipeline()
        pipe.zadd(self.key, {self.member: now + LEASE_SECONDS})
        pipe.zremrangebyscore(self.key, "-inf", now)
        pipe.zcard(self.key)
        pipe.expire(self.key, int(LEASE_SECONDS * 2) + 1)  # the whole set, once idle
        return int(pipe.execute()[2])

    def helpers(self) -> int:
        if self.capacity <= 1:
            return 0
        try:
            return helpers_for(self.capacity, self.running())
        except Exception:  # noqa: BLE001 - unknown load: read alone rather than crowd others
            log.warning("extraction leases unavailable; reading without helpers", exc_info=True)
            return 0
