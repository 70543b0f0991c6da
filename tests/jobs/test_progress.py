"""A stage's progress reports: throttled by percent and by time, the start, the end and partial
results always written (each write is a database save plus an event, in the extracting process)."""

from __future__ import annotations

from typing import Any

import pytest

from jobs import services
from jobs.models import Job


@pytest.mark.django_db
def test_per_frame_reports_become_a_few_writes_and_none_that_matters_is_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job.objects.create(language="ase", original_name="clip.mp4",
                             stages=[{"name": "landmarks", "status": "running", "percent": 0}])
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(services.events, "publish", lambda _id, event: published.append(event))
    clock = [100.0]
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    report = services.ProgressReporter(job, "landmarks")

    report(0)
    for frame in range(1, 301):  # 300 frames read at 100 frames a second: 3 s of reports
        clock[0] += 0.01
        report(int(100 * frame / 301))
        if frame == 150:
            report(int(100 * frame / 301), landmarks={"frames": frame})  # a partial result
    report(100)

    percents = [e["percent"] for e in published]
    assert percents[0] == 0 and percents[-1] == 100
    assert percents == sorted(percents)  # never backwards
    assert 12 <= len(published) <= 16  # ~4 a second over 3 s, not one per percent (~100)
    assert any(e.get("partial") == {"landmarks": {"frames": 150}} for e in published)
    job.refresh_from_db()
    assert job.stage("landmarks")["percent"] == 100  # the saved row has the end


@pytest.mark.django_db
def test_a_repeated_percent_is_not_written_again(monkeypatch: pytest.MonkeyPatch) -> None:
    job = Job.objects.create(language="ase", original_name="clip.mp4",
                             stages=[{"name": "landmarks", "status": "running", "percent": 0}])
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(services.events, "publish", lambda _id, event: published.append(event))
    report = services.ProgressReporter(job, "landmarks")
    report(100)
    report(100)
    assert [e["percent"] for e in published] == [100]
