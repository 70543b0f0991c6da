"""A live slrweb stack for integration and browser tests: real Redis, database, Celery, Daphne.

Redis: REDIS_URL when set (CI: the machine's Redis), else an embedded redis-server.
Database: a fresh PostgreSQL database when DATABASE_URL points at PostgreSQL, else SQLite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from slrweb.services_runtime import EmbeddedRedis, free_port, start_embedded_redis

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The same default models `slrweb run` activates.
DEFAULT_MODEL_PREFERENCE = ("--prefer", "silfa-letters")


@dataclass
class LiveStack:
    base_dir: Path
    env: dict[str, str]
    port: int = 0
    processes: dict[str, subprocess.Popen[Any]] = field(default_factory=dict)
    redis: EmbeddedRedis | None = None
    pg_database: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def media_root(self) -> Path:
        return Path(self.env["SLRWEB_MEDIA_ROOT"])

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(REPO_ROOT / "manage.py"), *args],
            env=self.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def token_for(self, username: str) -> str:
        return self.manage("create_api_token", username).strip().splitlines()[-1]

    def start_worker(self, name: str = "worker", beat: bool = False,
                     **extra_env: str) -> subprocess.Popen[Any]:
        """A Celery worker on every queue; with `beat`, also the scheduler that recovers stale
        jobs every minute, as `make run` and the compose file's CPU worker run it."""
        env = {**self.env, **extra_env}
        log = open(self.base_dir / f"{name}.log", "ab")
        schedule = ["-B", "--schedule", str(self.base_dir / f"{name}-beat")] if beat else []
        proc = subprocess.Popen(
            [str(BIN / "celery"), "-A", "slrweb", "worker", "-Q", "landmarks,inference",
             "--concurrency", "1", "--loglevel", "INFO", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h",
             *schedule],
            env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.processes.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def start_daphne(self) -> None:
        self.port = free_port()
        log = open(self.base_dir / "daphne.log", "ab")
        self.processes["daphne"] = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "slrweb.asgi:application"],
            env=self.env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/api/v1/openapi.json", timeout=2)
                return
            except requests.RequestException:  # not listening yet, or slow to answer under load
                time.sleep(0.3)
        raise RuntimeError("daphne did not start:\n" + (self.base_dir / "daphne.log").read_text())

    def log(self, name: str) -> str:
        path = self.base_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for proc in self.processes.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.processes.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.processes.clear()
        if self.redis is not None:
            self.redis.stop()
        if self.pg_database:
            _drop_pg_database(self.pg_database)


def _pg_admin_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_url(base_dir: Path) -> tuple[str, str | None]:
    admin_url = _pg_admin_url()
    if not admin_url:
        return f"sqlite:///{base_dir / 'db.sqlite3'}", None
    import psycopg

    name = f"slrweb_it_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def start_stack(base_dir: Path, workers: bool = True, **extra_env: str) -> LiveStack:
    base_dir.mkdir(parents=True, exist_ok=True)
    db_url, pg_name = _database_url(base_dir)
    redis = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis = start_embedded_redis(base_dir / "redis")
        redis_url = redis.url
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slrweb.settings.test",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "SLRWEB_VAR_DIR": str(base_dir / "var"),
        "SLRWEB_MEDIA_ROOT": str(base_dir / "media"),
        # A private prefix keeps this stack's queues and groups apart on a shared Redis.
        "SLRWEB_REDIS_PREFIX": f"it{uuid.uuid4().hex[:8]}",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    stack = LiveStack(base_dir=base_dir, env=env, redis=redis, pg_database=pg_name)
    try:
        stack.manage("migrate", "--noinput")
        stack.manage("load_default_models", *DEFAULT_MODEL_PREFERENCE)
        stack.manage("collectstatic", "--noinput", "--verbosity", "0")
        stack.start_daphne()
        if workers:
            stack.start_worker()
    except BaseException:
        stack.stop()
        raise
    return stack
