"""API tokens: hashed at rest, shown once, expiry, revocation, admin shows the prefix only."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import create_api_token

pytestmark = pytest.mark.django_db


def api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def stored_columns() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        return cursor.fetchall()


def test_database_holds_only_the_hash_and_a_prefix():
    token = create_api_token("alice")
    assert len(token.key) == 40
    row = ApiToken.objects.get(pk=token.pk)
    assert row.key_hash == hashlib.sha256(token.key.encode()).hexdigest()
    assert row.prefix == token.key[:8]
    assert row.key == ""  # a token read back has no plain key
    assert all(token.key not in str(value) for value in stored_columns()[0])
    assert api(token.key).get("/api/v1/jobs/").status_code == 200


def test_command_prints_the_key_once_and_it_works():
    out = StringIO()
    call_command("create_api_token", "bob", "--name", "laptop", "--days", "7", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get(user__username="bob")
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.name == "laptop"
    assert timedelta(days=6) < token.expires - timezone.now() <= timedelta(days=7)
    assert api(key).get("/api/v1/jobs/").status_code == 200
    assert api(key[:-1] + ("0" if key[-1] != "0" else "1")).get("/api/v1/jobs/").status_code == 401


def test_expired_and_revoked_tokens_are_refused():
    expired, revoked = create_api_token("carol"), create_api_token("carol")
    ApiToken.objects.filter(pk=expired.pk).update(expires=timezone.now() - timedelta(seconds=1))
    ApiToken.objects.filter(pk=revoked.pk).update(revoked=timezone.now())
    assert api(expired.key).get("/api/v1/jobs/").status_code == 401
    assert api(revoked.key).get("/api/v1/jobs/").status_code == 401


def test_account_page_shows_a_new_key_once_then_only_its_prefix():
    user = get_user_model().objects.create_user("dave", password="pw-dave-12345")
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": "script", "days": "30"})
    assert response.status_code == 201 and response["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(user=user)
    page = response.content.decode()
    key = page.split('<code class="token-key">')[1].split("</code>")[0]
    assert hashlib.sha256(key.encode()).hexdigest() == token.key_hash
    assert api(key).get("/api/v1/jobs/").status_code == 200
    later = client.get("/accounts/").content.decode()
    assert key not in later and f"{token.prefix}…" in later and "script" in later


def test_revoke_from_the_account_page_only_for_own_tokens():
    owner = get_user_model().objects.create_user("erin", password="pw-erin-12345")
    other = get_user_model().objects.create_user("fay", password="pw-fay-12345")
    token = create_api_token("erin")
    as_other = Client()
    as_other.force_login(other)
    assert as_other.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert api(token.key).get("/api/v1/jobs/").status_code == 200
    as_owner = Client()
    as_owner.force_login(owner)
    response = as_owner.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/accounts/"
    assert api(token.key).get("/api/v1/jobs/").status_code == 401
    assert "revoked" in as_owner.get("/accounts/").content.decode()


def test_account_page_needs_a_login():
    response = Client().get("/accounts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_admin_lists_the_prefix_never_the_key(admin_client):
    token = create_api_token("gina")
    listing = admin_client.get("/admin/accounts/apitoken/").content.decode()
    change = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    for page in (listing, change):
        assert token.prefix in page
        assert token.key not in page and token.key_hash not in page
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_migration_hashes_existing_plain_keys(settings):
    settings.SLRWEB_API_TOKEN_DAYS = 10
    before, after = [("accounts", "0003_preference")], [("accounts", "0004_hashed_api_tokens")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    user = old_apps.get_model("auth", "User").objects.create(username="hal")
    plain = "ab" * 20
    old_apps.get_model("accounts", "ApiToken").objects.create(user_id=user.pk, key=plain)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    # Back to the latest state of every app (migrations that depend on 0004 included).
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    token = ApiToken.objects.get(user_id=user.pk)
    assert token.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert token.prefix == plain[:8]
    assert timedelta(days=9) < token.expires - timezone.now() <= timedelta(days=10)
    assert api(plain).get("/api/v1/jobs/").status_code == 200  # old clients keep working
    assert all(plain not in str(value) for value in stored_columns()[0])


def test_admin_action_revokes_selected_tokens(admin_client):
    token = create_api_token("ivan")
    response = admin_client.post("/admin/accounts/apitoken/", {
        "action": "revoke", "_selected_action": [str(token.pk)]})
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked is not None
    assert api(token.key).get("/api/v1/jobs/").status_code == 401
