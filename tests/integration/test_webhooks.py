"""Issue 15, item 6 on the live stack: a real job ends in the real Celery worker and its owner's
webhook receives the signed POST; the first answer is a 500, so the worker's retry (1 s backoff
here) delivers it, and the delivery log says so."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests

from tests.integration.helpers import auth, upload, wait_for_job
from tests.webhooks.receiver import Receiver

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_finished_job_is_posted_to_the_webhook_with_a_retry(live_stack, pose_test_video):
    token = live_stack.token_for("hooked")
    receiver = Receiver(statuses=[500, 200]).start()
    try:
        created = requests.post(live_stack.url + "/api/v1/webhooks/", headers=auth(token),
                                json={"url": receiver.url, "events": ["job.succeeded",
                                                                      "job.failed"]}, timeout=30)
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        response = upload(live_stack, token, pose_test_video)
        assert response.status_code == 201, response.text
        job = wait_for_job(live_stack, token, response.json()["id"])
        for _ in range(120):  # the second try comes ~1 s after the first
            if len(receiver.requests) >= 2:
                break
            receiver.arrived.wait(1.0)
            receiver.arrived.clear()
    finally:
        receiver.stop()
    assert len(receiver.requests) == 2, live_stack.log("worker")[-3000:]
    delivered = receiver.requests[-1]
    expected = "sha256=" + hmac.new(secret.encode(), delivered.body, hashlib.sha256).hexdigest()
    assert delivered.headers["X-Slrweb-Signature"] == expected
    body = json.loads(delivered.body)
    assert body["event"] == f"job.{job['status']}" and body["job"]["id"] == job["id"]

    log = json.loads(live_stack.manage("shell", "-c", (
        "import json; from webhooks.models import Delivery; d = Delivery.objects.get(); "
        "print(json.dumps([d.status, d.attempts, "
        "list(d.attempt_log.values_list('status_code', flat=True))]))")).strip().splitlines()[-1])
    assert log == ["succeeded", 2, [500, 200]]
