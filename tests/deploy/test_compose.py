"""docker-compose.yml describes the production layout, and each command names a real entry point.

No Docker engine runs on this machine, so the file is checked by parsing it, not by starting it.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from jobs.stages import STAGES

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
        served = {stage.queue for stage in STAGES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE}
        assert set(queues) <= served, (queues, served)
    elif program == "python" and argv[1] == "manage.py":
        assert argv[2] in get_commands(), f"no management command {argv[2]}"
    elif program == "caddy":
        assert argv[1] == "reverse-proxy" and argv[argv.index("--to") + 1] == "web:8000", argv
    else:
        raise AssertionError(f"unknown entry point {argv}")


def test_services_present(compose):
    assert {"postgres", "redis", "web", "worker-cpu", "worker-gpu"} <= set(compose["services"])


@pytest.mark.parametrize("name", ["web", "worker-cpu", "worker-gpu", "migrate", "proxy"])
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


# Issue 11, item 10: the container is safe to put on the internet.

def test_no_secret_has_a_default(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("POSTGRES_PASSWORD", "DJANGO_SECRET_KEY", "SLRWEB_DOMAIN"):
        uses = re.findall(r"\$\{" + name + r"([^}]*)\}", text)
        assert uses, name
        assert all(use.startswith(":?") for use in uses), (name, uses)  # required, no fallback
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?")


def test_forwarded_headers_are_trusted_only_behind_the_proxy(compose):
    services = compose["services"]
    web = services["web"]
    assert "--proxy-headers" in web["command"]
    assert "ports" not in web, "Daphne trusts X-Forwarded-*: only the proxy may reach it"
    for name, service in services.items():
        if name != "proxy":
            assert "ports" not in service, f"{name} is published beside the proxy"
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])
    assert services["proxy"]["image"].startswith("caddy:")  # sets X-Forwarded-Proto itself
    assert web["environment"]["SLRWEB_TRUST_X_FORWARDED_PROTO"] == "1"
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    assert "--proxy-headers" not in cmd  # the image alone, without the proxy, trusts nothing


def test_the_image_runs_as_an_unprivileged_user():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines.index(f"USER {users[-1]}") < next(
        i for i, line in enumerate(lines) if line.startswith("CMD"))
    assert any(line.startswith("RUN useradd") and users[-1] in line for line in lines)


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text()
               .splitlines() if line.strip() and not line.startswith("#")}
    assert {".venv", "var", ".git", "node_modules", "**/__pycache__", ".env"} <= ignored
