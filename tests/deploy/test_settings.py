"""Fail-closed configuration (issue 11, item 5): the entry points default to the production
settings, which refuse to start half-configured and pass `check --deploy` with no warning.

Each case runs in a fresh interpreter, as a server process would start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "example.org"
PROD_SCRIPT = """
import django
django.setup()
from django.test import Client
client = Client()
for secure, forwarded in ((False, None), (True, None), (False, "https")):
    extra = {"HTTP_X_FORWARDED_PROTO": forwarded} if forwarded else {}
    r = client.get("/api/v1/openapi.json", secure=secure, HTTP_HOST="example.org", **extra)
    print(r.status_code, r.get("Location", "-"), r.get("Strict-Transport-Security", "-"),
          "csp=" + r.get("Content-Security-Policy", "-").split(";")[0], sep="|")
"""


def run(args: list[str], **env: str | None) -> subprocess.CompletedProcess[str]:
    ours = ("DJANGO_", "SLRWEB_TRUST", "SLRWEB_CSP")
    full = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    full.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=180)


def responses(**env: str | None) -> list[str]:
    done = run(["-c", PROD_SCRIPT], **env)
    lines = [line for line in done.stdout.splitlines() if line.count("|") == 3]
    assert len(lines) == 3, done.stdout + done.stderr[-3000:]
    return lines


def prod_env(**extra: str | None) -> dict[str, str | None]:
    return {"DJANGO_SETTINGS_MODULE": "slrweb.settings.prod",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),  # 64 random characters
            "DJANGO_ALLOWED_HOSTS": HOST, **extra}


def test_check_deploy_reports_no_issues():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **prod_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_prod_refuses_to_start_without(missing):
    done = run(["manage.py", "check"], **prod_env(**{missing: None}))
    assert done.returncode != 0
    assert f"ImproperlyConfigured: {missing} is not set" in done.stderr


def test_a_short_secret_key_is_refused():
    done = run(["manage.py", "check"], **prod_env(DJANGO_SECRET_KEY="short"))
    assert done.returncode != 0 and "at least 50 random characters" in done.stderr


@pytest.mark.parametrize("entry", [
    ["manage.py", "check"],
    ["-c", "import slrweb.asgi"],
    ["-c", "import slrweb.celery; from django.conf import settings; settings.SECRET_KEY"],
], ids=["manage.py", "asgi", "celery"])
def test_entry_points_default_to_prod_settings(entry):
    # No DJANGO_SETTINGS_MODULE and no secret: the prod settings load and stop the process.
    done = run(entry)
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in done.stderr
    assert "slrweb.settings.dev" in done.stderr  # the message says how to run locally


def test_prod_redirects_to_https_with_hsts_and_csp_and_ignores_forwarded_proto():
    plain, secure, forwarded = responses(**prod_env())
    assert plain.startswith("301|https://example.org/api/v1/openapi.json|")
    status, _, hsts, csp = secure.split("|")
    assert status == "200" and "max-age=31536000" in hsts and "includeSubDomains" in hsts
    assert csp == "csp=default-src 'self'"
    # Without a proxy that always sets it, a client's X-Forwarded-Proto is not believed.
    assert forwarded.startswith("301|")


def test_behind_the_proxy_forwarded_proto_is_trusted():
    forwarded = responses(**prod_env(SLRWEB_TRUST_X_FORWARDED_PROTO="1"))[2]
    assert forwarded.startswith("200|")
