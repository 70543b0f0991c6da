"""Video sha256 values that corpus.split puts in a chosen split (found by search, so the tests
that use them stay deterministic)."""

from __future__ import annotations

import hashlib
import itertools

from corpus.split import Split, split_of


def key_in(split: Split, name: str = "", dev_share: float | None = None) -> str:
    """The first sha256 of "<name>-<i>" (i = 0, 1, ...) that falls in `split`."""
    for i in itertools.count():
        key = hashlib.sha256(f"{name}-{i}".encode()).hexdigest()
        chosen = split_of(key) if dev_share is None else split_of(key, dev_share)
        if chosen == split:
            return key
    raise AssertionError("unreachable")


def put_in_split(job, split: Split, name: str = "") -> None:  # noqa: ANN001
    """Give the job's video a sha256 of the split (the split key of corpus.split.split_key)."""
    from jobs.models import Video

    key = key_in(split, name or str(job.pk))
    Video.objects.filter(pk=job.video_id).update(sha256=key)
    job.video.sha256 = key
