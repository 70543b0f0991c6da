"""Activations racing each other: serialised by row locks, the log stays one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from registry import services
from registry.errors import RegistryError
from registry.models import ActivationEvent, ModelVersion


@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_one_active_version_and_a_consistent_log(ase, make_bundle):
    if connection.vendor == "sqlite":
        pytest.skip("needs a server database (set DATABASE_URL to PostgreSQL)")
    versions = [services.register_bundle(make_bundle(f"b{i}", seed=i), ase) for i in range(4)]
    barrier = threading.Barrier(len(versions))
    errors: list[BaseException] = []

    def activate(version: ModelVersion) -> None:
        from django.db import connections

        try:
            barrier.wait()
            services.activate_version(version)
        except RegistryError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ModelVersion.objects.filter(status="active").count() == 1
    events = list(ActivationEvent.objects.order_by("created", "id"))
    assert len(events) == len(versions)
    assert events[0].from_version is None
    for before, after in zip(events, events[1:], strict=False):
        assert after.from_version_id == before.to_version_id  # no lost or forked switch
    assert events[-1].to_version.status == "active"
