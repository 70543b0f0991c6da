"""Activating a version reaches a running Celery worker on its next job, without a restart.

Real parts: Redis, the Celery worker and Daphne as subprocesses (tests/integration/live.py),
the real pose test video through MediaPipe, and two tiny translators with different weights.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import upload, wait_for_job
from tests.registry.bundles import translation_bundle
from tests.registry.stack import bundle_dir_of, register_in_stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def run_job(stack, token: str, video: Path) -> dict:
    response = upload(stack, token, video)
    assert response.status_code == 201, response.text
    job = wait_for_job(stack, token, response.json()["id"])
    assert job["status"] == "succeeded", (job, stack.log("worker")[-3000:])
    return job


def test_next_job_uses_the_newly_activated_version(registry_stack, spm_path, tmp_path,
                                                   pose_test_video):
    from landmarks.formats.npz import load_npz
    from translation.ml.infer import TranslationPredictor

    stack = registry_stack
    token = stack.token_for("alice")
    worker = stack.processes["worker"]
    first = run_job(stack, token, pose_test_video)
    before = first["result"]["translation"]["model"]
    assert before.startswith("tiny-")

    bundle_b = translation_bundle(tmp_path / "tiny-b", spm_path, name="tiny-b", seed=1)
    assert register_in_stack(stack, bundle_b, activate=True) == "tiny-b@1"
    second = run_job(stack, token, pose_test_video)
    assert second["result"]["translation"]["model"] == "tiny-b@1"
    assert worker.poll() is None and stack.processes["worker"] is worker  # never restarted

    # Not only the label: the tokens are what B's weights produce on these landmarks.
    (landmarks_file,) = list(stack.media_root.rglob("*.npz"))
    sequence = load_npz(landmarks_file)
    expected_a = TranslationPredictor.from_bundle(bundle_dir_of(stack, before)).translate(
        sequence)
    expected_b = TranslationPredictor.from_bundle(bundle_b).translate(sequence)
    assert expected_a["tokens"] != expected_b["tokens"]
    assert first["result"]["translation"]["tokens"] == expected_a["tokens"]
    assert second["result"]["translation"]["tokens"] == expected_b["tokens"]
