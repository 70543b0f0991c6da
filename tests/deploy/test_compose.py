"""docker-compose.yml describes the production layout, and each command names a real entry point.

No Docker engine runs on this machine, so the file is checked by parsing it, not by starting it.
"""

from __future__ import annotations

import importlib
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def commands(service: dict) -> list[list[str]]:
    command = service["command"]
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def check_entry_point(argv: list[str]) -> None:
    program = argv[0]
    if program == "daphne":
        module, _, attr = argv[-1].partition(":")
        assert hasattr(importlib.import_module(module), attr), argv
    elif program == "celery":
        app_module = argv[argv.index("-A") + 1]
        assert importlib.import_module(f"{app_module}.celery").app.main == "slrweb"
        queues = argv[argv.index("-Q") + 1].split(",")
        routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
        assert set(queues) <= routed, (queues, routed)
    elif program == "python" and argv[1] == "manage.py":
        assert argv[2] in get_commands(), f"no management command {argv[2]}"
    else:
        raise AssertionError(f"unknown entry point {argv}")


def test_services_present(compose):
    assert {"postgres", "redis", "web", "worker-cpu", "worker-gpu"} <= set(compose["services"])


@pytest.mark.parametrize("name", ["web", "worker-cpu", "worker-gpu", "migrate"])
def test_commands_name_real_entry_points(compose, name):
    for argv in commands(compose["services"][name]):
        check_entry_point(argv)


def test_queues_split_between_cpu_and_gpu_workers(compose):
    services = compose["services"]
    cpu = services["worker-cpu"]["command"]
    gpu = services["worker-gpu"]["command"]
    assert cpu[cpu.index("-Q") + 1] == "landmarks"
    assert gpu[gpu.index("-Q") + 1] == "inference"
    devices = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_every_long_running_service_has_a_healthcheck(compose):
    for name in ("postgres", "redis", "web", "worker-cpu", "worker-gpu"):
        assert "test" in compose["services"][name]["healthcheck"], name
