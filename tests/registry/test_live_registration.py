"""Registering a bundle through the API runs in the stack's real Celery worker: the upload
answers 202 at once and the task reaches 100% with a registered version, or a failure with the
validation problems, while the web process never loads the model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.helpers import auth
from tests.registry.bundles import translation_bundle, zip_folder
from tests.registry.stack import shell

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def admin_token(stack: Any) -> str:
    token = stack.token_for("registry-admin")
    shell(stack, ("from django.contrib.auth import get_user_model; "
                  "from accounts.roles import assign_role; "
                  "assign_role(get_user_model().objects.get(username='registry-admin'), 'admin');"
                  " print('ok')"))
    return token


def upload_bundle(stack: Any, token: str, archive: Path) -> requests.Response:
    with archive.open("rb") as fh:
        return requests.post(stack.url + "/api/v1/registry/versions/", headers=auth(token),
                             files={"bundle": (archive.name, fh, "application/zip")},
                             data={"language": "ase"}, timeout=60)


def wait_for_task(stack: Any, token: str, task_id: str, timeout: float = 240) -> list[dict]:
    """Every distinct state of the task seen while polling, the finished one last."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = requests.get(f"{stack.url}/api/v1/registry/tasks/{task_id}/",
                            headers=auth(token), timeout=30).json()
        if not seen or (task["status"], task["percent"]) != (seen[-1]["status"],
                                                            seen[-1]["percent"]):
            seen.append(task)
        if task["status"] in ("succeeded", "failed"):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish: {seen}\n"
                         f"{stack.log('worker')[-3000:]}")


def test_the_worker_registers_an_uploaded_bundle(registry_stack, spm_path, tmp_path):
    stack = registry_stack
    token = admin_token(stack)
    bundle = translation_bundle(tmp_path / "tiny-live", spm_path, name="tiny-live", seed=5)
    started = time.monotonic()
    response = upload_bundle(stack, token, zip_folder(bundle, tmp_path / "tiny-live.zip"))
    answered = time.monotonic() - started
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    states = wait_for_task(stack, token, response.json()["id"])
    final = states[-1]
    assert final["status"] == "succeeded", (final, stack.log("worker")[-3000:])
    assert final["percent"] == 100 and final["result"]["label"] == "tiny-live@1"
    percents = [s["percent"] for s in states]
    assert percents == sorted(percents)
    assert "registry.run_task" in stack.log("worker")
    versions = requests.get(stack.url + "/api/v1/registry/versions/?status=candidate",
                            headers=auth(token), timeout=30).json()
    assert "tiny-live@1" in {v["label"] for v in versions}
    print(f"upload answered in {answered:.2f} s; registered after "
          f"{time.monotonic() - started:.2f} s")

    # The same bytes again: the worker refuses them, the task says why.
    again = upload_bundle(stack, token, zip_folder(bundle, tmp_path / "again.zip"))
    final = wait_for_task(stack, token, again.json()["id"])[-1]
    assert final["status"] == "failed" and "already registered as tiny-live@1" in final["error"]
