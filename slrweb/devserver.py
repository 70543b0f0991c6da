"""`slrweb run`: the one-command local installation.

Starts (when REDIS_URL is unset) an embedded Redis, migrates, loads the bundled default models,
then runs Daphne and one Celery worker that consumes every queue (with the beat that recovers
stale jobs). Ctrl-C stops every process it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from slrweb.services_runtime import start_embedded_redis


def run(port: int, host: str = "127.0.0.1") -> int:
    from slrweb.django_cli import settings_module

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module()}
    root = Path(__file__).resolve().parents[1]
    var = Path(env.get("SLRWEB_VAR_DIR", root / "var"))
    var.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[Any]] = []
    redis = None
    if not env.get("REDIS_URL"):
        redis = start_embedded_redis(var / "redis")
        env["REDIS_URL"] = redis.url
        print(f"slrweb: embedded Redis at {redis.url}", flush=True)
    py = sys.executable
    bindir = Path(py).parent

    def manage(*args: str) -> None:
        subprocess.run([py, str(root / "manage.py"), *args], env=env, cwd=root, check=True)

    try:
        manage("migrate", "--noinput")
        # silfa-letters was trained on Holistic landmarks of video, like the jobs it will see.
        manage("load_default_models", "--prefer", "silfa-letters")
        manage("collectstatic", "--noinput", "--verbosity", "0")
        children.append(subprocess.Popen(
            [str(bindir / "daphne"), "-b", host, "-p", str(port), "slrweb.asgi:application"],
            env=env, cwd=root))
        children.append(subprocess.Popen(
            [str(bindir / "celery"), "-A", "slrweb", "worker", "-B", "-Q", "landmarks,inference",
             "--concurrency", "1", "--loglevel", "INFO",
             "--schedule", str(var / "celerybeat-schedule")],
            env=env, cwd=root))
        print(f"slrweb: open http://{host}:{port}/  (Ctrl-C stops everything)", flush=True)
        return _wait(children)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(children)
        if redis is not None:
            redis.stop()


def _wait(children: list[subprocess.Popen[Any]]) -> int:
    while True:
        for child in children:
            code = child.poll()
            if code is not None:
                name = Path(str(child.args[0] if isinstance(child.args, list) else child.args)).name
                print(f"slrweb: {name} exited with {code}; stopping", flush=True)
                return code or 1
        time.sleep(0.5)


def _stop(children: list[subprocess.Popen[Any]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()


