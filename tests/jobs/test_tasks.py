"""The Celery chain of a job: one task per run of stages sharing a queue (no hop between them)."""

from __future__ import annotations

from jobs.tasks import build_chain


def test_stages_of_one_queue_run_in_one_task_on_that_queue() -> None:
    chain = build_chain("j1", ["probe", "landmarks", "recognition", "translation"])
    tasks = [(s.task, s.args, s.options.get("queue")) for s in chain.tasks]
    assert tasks == [
        ("jobs.run_stages", ("j1", ["probe", "landmarks"]), "landmarks"),
        ("jobs.run_stages", ("j1", ["recognition", "translation"]), "inference"),
    ]
    # A job resumed from recognition (or a landmarks upload) has one task left.
    assert [s.args for s in build_chain("j1", ["recognition"]).tasks] == [("j1", ["recognition"])]
