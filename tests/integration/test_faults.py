"""Faults on the real services (issue 11 item 7): Redis restarted mid-job, PostgreSQL restarted,
the same bytes uploaded many times at once.

This module runs a stack of its own with a private Redis (even where REDIS_URL names the
machine's), so that restarting it disturbs nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from slrweb.services_runtime import EmbeddedRedis, start_embedded_redis
from tests.integration.helpers import auth, collect_events, get_job, upload, wait_for_job
from tests.integration.live import LiveStack, start_stack
from tests.support.videos import make_silfa_video

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def redis_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fault-redis")


@pytest.fixture(scope="module")
def own_redis(redis_dir: Path):  # type: ignore[no-untyped-def]
    holder = {"redis": start_embedded_redis(redis_dir)}
    yield holder
    holder["redis"].stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, own_redis: dict[str, EmbeddedRedis]):  # type: ignore[no-untyped-def]
    live = start_stack(tmp_path_factory.mktemp("faults"), workers=False,
                       REDIS_URL=own_redis["redis"].url, SLRWEB_ALLOW_ANONYMOUS="0")
    live.start_worker(beat=True, SLRWEB_STALE_JOB_SECONDS="30")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def dora(stack: LiveStack) -> str:
    return stack.token_for("dora")


def restart_redis(own_redis: dict[str, EmbeddedRedis], redis_dir: Path, down: float) -> None:
    """Stop the stack's Redis (its queues and groups are lost: it keeps nothing on disk) and
    start a new one on the same port after `down` seconds."""
    port = own_redis["redis"].port
    own_redis["redis"].stop()
    time.sleep(down)
    own_redis["redis"] = start_embedded_redis(redis_dir, port=port)


def wait_for_stage(stack: LiveStack, token: str, job_id: str, name: str, percent: int) -> None:
    deadline = time.monotonic() + 240
    while True:
        job = get_job(stack, token, job_id)
        stage = next(s for s in job["stages"] if s["name"] == name)
        if stage["status"] == "running" and stage["percent"] >= percent:
            return
        assert job["status"] not in ("succeeded", "failed"), f"finished too early: {job}"
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_redis_restarted_mid_job_then_the_job_ends_and_a_page_gets_its_state(
        stack: LiveStack, dora: str, own_redis: dict[str, EmbeddedRedis], redis_dir: Path,
        shared_data: Path, tmp_path: Path) -> None:
    clip = make_silfa_video(shared_data, "ABCDEF", tmp_path / "abcdef.mp4", size=(426, 240))
    job_id = upload(stack, dora, clip).json()["id"]
    wait_for_stage(stack, dora, job_id, "landmarks", 5)
    restart_redis(own_redis, redis_dir, down=3.0)
    # Messages queued in the lost Redis are gone; the job row is the record, and the beat's
    # recovery re-queues a job that stays silent (production settings, but 30 s to go stale).
    job = wait_for_job(stack, dora, job_id, timeout=400)
    assert job["status"] in ("succeeded", "failed"), job
    if job["status"] == "failed":
        assert job["error"], job  # a reason the user can read, never a silent failure
    else:
        assert job["result"]["landmarks"]["frames"] > 100
    # A page that reconnects after the restart is served the job's state first.
    events = collect_events(stack, dora, job_id, timeout=60)
    assert events[0]["type"] == "state" and events[0]["status"] == job["status"], events


def test_concurrent_uploads_of_the_same_bytes_all_succeed(stack: LiveStack, dora: str,
                                                          pose_test_video: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: upload(stack, dora, pose_test_video), range(8)))
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 8  # one job per upload, none lost or merged
    for job_id in ids:
        assert wait_for_job(stack, dora, job_id)["status"] == "succeeded"


def _restart_postgres() -> str:
    """Restart the machine's PostgreSQL for real when we may (root, pg_ctlcluster), else kill
    every connection of the stack's database, which is what a restart does to the site."""
    if os.geteuid() == 0 and shutil.which("pg_ctlcluster"):
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                       check=True, timeout=120)
        return "restarted"
    return "connections terminated"


def test_postgresql_restarted_then_the_site_answers_again(stack: LiveStack, dora: str) -> None:
    if not stack.pg_database:
        pytest.skip("the stack runs on SQLite here (DATABASE_URL is not PostgreSQL)")
    url = stack.url + "/api/v1/jobs/"
    assert requests.get(url, headers=auth(dora), timeout=30).status_code == 200
    how = _restart_postgres()
    if how != "restarted":
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (stack.pg_database,))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url, headers=auth(dora), timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, f"the site did not answer after PostgreSQL {how}"
            time.sleep(1)
        # Not once, but every time: no broken connection is kept for later requests.
        codes = [requests.get(url, headers=auth(dora), timeout=30).status_code for _ in range(5)]
        assert codes == [200] * 5, (how, codes)
    finally:
        from django.db import connections

        connections.close_all()  # this test process's own connections died with the server
