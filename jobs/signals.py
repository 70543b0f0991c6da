"""A worker that starts recovers jobs its dead predecessor left running."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_ready

log = logging.getLogger(__name__)


@worker_ready.connect
def recover_on_start(**_: Any) -> None:
    from jobs.recovery import recover_stale_jobs

    recovered = recover_stale_jobs()
    if recovered:
        log.warning("recovered %d interrupted job(s): %s", len(recovered), recovered)
