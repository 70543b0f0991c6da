"""A job's end reaches its owner's webhooks as a signed JSON POST, retried by the Celery task
with backoff, every try in the delivery log (issue 15, item 6)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket

import pytest

from jobs.models import Job, Video
from webhooks import services
from webhooks.models import Delivery, Webhook
from webhooks.tasks import deliver

pytestmark = pytest.mark.django_db


def make_job(owner, status: str = Job.Status.RUNNING) -> Job:  # noqa: ANN001
    video = Video.objects.create(sha256=hashlib.sha256(str(owner.pk).encode()).hexdigest(),
                                 file="videos/x.mp4", size=10)
    return Job.objects.create(owner=owner, video=video, language="ase", status=status)


def end(job: Job, status: str) -> None:
    """What jobs.services._finish / fail_job do to the row."""
    job.status = status
    job.save(update_fields=["status", "progress", "updated"])


def hook_for(owner, url: str, events: list[str]) -> Webhook:  # noqa: ANN001
    return services.register_webhook(owner, url, events)


def run_queued(callbacks, monkeypatch) -> None:  # noqa: ANN001
    """Run the on-commit callbacks with deliver.delay executing the task here (eagerly)."""
    monkeypatch.setattr(deliver, "delay", lambda delivery_id: deliver.apply(args=[delivery_id]))
    for callback in callbacks:
        callback()


def test_a_job_end_queues_one_delivery_per_interested_webhook(
        alice, bob, allow_private, django_capture_on_commit_callbacks):
    wants_success = hook_for(alice, "http://127.0.0.1:9/a", ["job.succeeded"])
    hook_for(alice, "http://127.0.0.1:9/b", ["job.failed"])
    hook_for(bob, "http://127.0.0.1:9/c", ["job.succeeded"])
    job = make_job(alice)
    with django_capture_on_commit_callbacks() as callbacks:
        job.progress = 50
        job.save(update_fields=["progress"])  # not an end
        end(job, Job.Status.SUCCEEDED)
        end(job, Job.Status.SUCCEEDED)  # saved again: no second delivery
    (delivery,) = Delivery.objects.all()
    assert (delivery.webhook_id, delivery.job_id, delivery.event) == (
        wants_success.pk, job.pk, "job.succeeded")
    assert len(callbacks) == 1
    body = json.loads(delivery.payload)
    assert body["id"] == str(delivery.pk) and body["event"] == "job.succeeded"
    assert body["job"]["id"] == str(job.pk) and body["job"]["status"] == "succeeded"


def test_anonymous_jobs_and_users_without_webhooks_queue_nothing(alice, allow_private):
    hook_for(alice, "http://127.0.0.1:9/a", ["job.failed"])
    end(make_job(alice), Job.Status.SUCCEEDED)
    anonymous = Job.objects.create(owner=None, session_key="s", language="ase",
                                   video=Video.objects.create(sha256="f" * 64, file="v", size=1))
    end(anonymous, Job.Status.FAILED)
    assert not Delivery.objects.exists()


def test_a_500_is_retried_then_delivered_signed_and_logged(
        alice, allow_private, receiver, monkeypatch, django_capture_on_commit_callbacks):
    hook = hook_for(alice, receiver.url, ["job.failed"])
    job = make_job(alice)
    with django_capture_on_commit_callbacks() as callbacks:
        end(job, Job.Status.FAILED)
    run_queued(callbacks, monkeypatch)

    assert [r.path for r in receiver.requests] == ["/hook?from=slrweb"] * 2
    first, second = receiver.requests
    assert first.body == second.body  # a retry sends (and signs) the same bytes
    expected = "sha256=" + hmac.new(hook.secret.encode(), second.body, hashlib.sha256).hexdigest()
    assert second.headers["X-Slrweb-Signature"] == expected
    assert second.headers["X-Slrweb-Event"] == "job.failed"
    assert second.headers["Content-Type"] == "application/json"
    assert json.loads(second.body)["job"]["id"] == str(job.pk)

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SUCCEEDED and delivery.delivered is not None
    assert second.headers["X-Slrweb-Delivery"] == str(delivery.pk)
    log = list(delivery.attempt_log.values_list("number", "status_code", "error"))
    assert log == [(1, 500, "HTTP 500"), (2, 200, "")]
    assert delivery.attempts == 2 and delivery.last_status_code == 200


def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_try(
        alice, allow_private, receiver, monkeypatch, django_capture_on_commit_callbacks):
    receiver.statuses = [503]
    monkeypatch.setenv("SLRWEB_WEBHOOK_MAX_ATTEMPTS", "3")
    hook_for(alice, receiver.url, ["job.succeeded"])
    with django_capture_on_commit_callbacks() as callbacks:
        end(make_job(alice), Job.Status.SUCCEEDED)
    run_queued(callbacks, monkeypatch)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and len(receiver.requests) == 3
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [503] * 3


def test_no_answer_is_a_failed_try_with_the_reason(alice, allow_private, monkeypatch,
                                                    django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SLRWEB_WEBHOOK_MAX_ATTEMPTS", "2")
    hook_for(alice, f"http://127.0.0.1:{port}/", ["job.succeeded"])
    with django_capture_on_commit_callbacks() as callbacks:
        end(make_job(alice), Job.Status.SUCCEEDED)
    run_queued(callbacks, monkeypatch)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert all("ConnectionRefusedError" in e for e in delivery.attempt_log.values_list(
        "error", flat=True))


def test_dns_rebinding_is_refused_at_delivery_time(alice, receiver, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    """Public when registered, loopback when delivering: nothing is sent."""
    real, answers = socket.getaddrinfo, iter(["93.184.215.14", "127.0.0.1"])

    def fake(host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    port = receiver.server.server_address[1]
    hook_for(alice, f"http://rebind.example:{port}/hook", ["job.succeeded"])
    with django_capture_on_commit_callbacks() as callbacks:
        end(make_job(alice), Job.Status.SUCCEEDED)
    run_queued(callbacks, monkeypatch)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and receiver.requests == []
    (attempt,) = delivery.attempt_log.all()
    assert attempt.error.startswith("refused:") and "127.0.0.1" in attempt.error


def test_backoff_doubles_from_the_base_up_to_an_hour(monkeypatch):
    monkeypatch.setenv("SLRWEB_WEBHOOK_RETRY_SECONDS", "30")
    assert [services.backoff_seconds(n) for n in range(9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_the_delivery_log_is_in_the_admin(alice, admin_client, allow_private, receiver,
                                          monkeypatch, django_capture_on_commit_callbacks):
    from accounts.roles import ADMIN, assign_role

    hook_for(alice, receiver.url, ["job.failed"])
    with django_capture_on_commit_callbacks() as callbacks:
        end(make_job(alice), Job.Status.FAILED)
    run_queued(callbacks, monkeypatch)
    delivery = Delivery.objects.get()
    assign_role(alice, ADMIN)  # the admin role (not only superusers) sees the log
    admin_client.force_login(alice)
    listing = admin_client.get("/admin/webhooks/delivery/").content.decode()
    assert str(delivery.job_id) in listing
    page = admin_client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "500" in page and "200" in page
    hook_page = admin_client.get(f"/admin/webhooks/webhook/{delivery.webhook_id}/change/")
    assert hook_page.status_code == 200
    assert delivery.webhook.secret not in hook_page.content.decode()
