"""Failures on the live stack: a killed worker, a video with no person (issue 3 item 7)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.integration.helpers import get_job, upload, wait_for_job
from tests.support.videos import make_silfa_video, write_video

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def carol(live_stack):
    return live_stack.token_for("carol")


def test_video_without_a_person_succeeds_with_a_warning(live_stack, carol, tmp_path):
    # A real decode of a real (synthetic, person-free) clip: a slowly moving grey gradient.
    ramp = np.linspace(40, 200, 320, dtype=np.uint8)
    frames = [np.dstack([np.roll(np.tile(ramp, (240, 1)), i * 4, axis=1)] * 3) for i in range(30)]
    clip = write_video(frames, tmp_path / "empty-room.mp4", fps=15)
    job = wait_for_job(live_stack, carol, upload(live_stack, carol, clip).json()["id"])
    assert job["status"] == "succeeded", job
    summary = job["result"]["landmarks"]
    assert summary["frames"] == 30
    assert summary["pose_detected_fraction"] == 0.0 and summary["hands_detected_frames"] == 0
    assert any("No person" in w for w in summary["warnings"])


def test_worker_killed_mid_extraction_is_recovered(live_stack, carol, shared_data, tmp_path):
    clip = make_silfa_video(shared_data, "ABCDEFGH", tmp_path / "abcdefgh.mp4", size=(426, 240))
    job_id = upload(live_stack, carol, clip).json()["id"]
    deadline = time.monotonic() + 240
    while True:  # wait until MediaPipe is really working on this job
        job = get_job(live_stack, carol, job_id)
        landmarks = next(s for s in job["stages"] if s["name"] == "landmarks")
        if landmarks["status"] == "running" and landmarks["percent"] >= 5:
            break
        assert job["status"] != "succeeded", "the clip finished before the worker could be killed"
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    live_stack.kill("worker")
    assert get_job(live_stack, carol, job_id)["status"] == "running"  # stuck until recovered
    time.sleep(3)
    # The replacement worker treats a job silent for 2 s as lost and re-queues it on start.
    live_stack.start_worker("worker", SLRWEB_STALE_JOB_SECONDS="2")
    job = wait_for_job(live_stack, carol, job_id, timeout=400)
    assert job["status"] == "succeeded", job
    assert job["result"]["landmarks"]["frames"] > 200
    assert "re-queueing job" in live_stack.log("worker")
