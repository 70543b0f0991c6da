"""Activating a model version and rolling it back in the admin, in real Chromium.

Debian's Chromium (/usr/bin/chromium) driven by Playwright against the live Daphne of the
registry's stack (tests/registry/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.registry.bundles import translation_bundle
from tests.support.browser import chromium
from tests.registry.stack import register_in_stack, shell

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def stack(registry_stack, tmp_path_factory: pytest.TempPathFactory, spm_path: Path):
    candidate = translation_bundle(tmp_path_factory.mktemp("upload") / "tiny-c", spm_path,
                                   name="tiny-c", seed=2)
    assert register_in_stack(registry_stack, candidate, activate=False) == "tiny-c@1"
    shell(registry_stack, (
        "from django.contrib.auth import get_user_model; "
        "from accounts.roles import assign_role; "
        f"u = get_user_model().objects.create_user('ada', password={PASSWORD!r}); "
        "assign_role(u, 'admin'); print(u.pk)"
    ))
    return registry_stack


@pytest.fixture(scope="module")
def page(stack):
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(stack.url + "/admin/login/?next=/admin/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(stack.url + "/admin/")
        yield page


def state(stack) -> dict:
    """The active ase translation version and the last activation event, from the database."""
    return json.loads(shell(stack, (
        "import json; from registry.models import ActivationEvent; "
        "from registry.selectors import active_model; e = ActivationEvent.objects.first(); "
        "print(json.dumps({'active': active_model('ase', 'translation').label, "
        "'last': [e.action, e.username, e.to_version.label]}))")))


def test_activate_then_roll_back_in_the_admin(stack, page):
    before = state(stack)["active"]
    page.goto(stack.url + "/admin/registry/modelversion/?task__exact=translation")
    row = page.locator("#result_list tbody tr", has_text="tiny-c@1")
    assert "candidate" in row.inner_text()
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "activate_selected")
    page.click("button[name=index]")

    # The confirmation page: metrics beside the active version, nothing switched yet.
    page.wait_for_selector("#confirm-activate")
    assert "Activate tiny-c@1?" in page.inner_text("#content")
    metrics = page.text_content("#metrics") or ""  # the DOM text: the admin CSS upper-cases headers
    assert f"{before} (active)" in metrics and "bleu" in metrics

    page.click("#confirm-activate")
    # (lower(): the admin's CSS capitalises the first letter of a message)
    assert "tiny-c@1 is now the active translation model" in page.inner_text(
        ".messagelist").lower()
    assert state(stack) == {"active": "tiny-c@1", "last": ["activate", "ada", "tiny-c@1"]}

    page.click("a.rollback-link")
    page.wait_for_selector("#confirm-rollback")
    plan = page.inner_text("#rollback-plan")
    assert "tiny-c@1" in plan and before in plan
    page.click("#confirm-rollback")
    assert "rolled back the translation model" in page.inner_text(".messagelist").lower()
    assert state(stack) == {"active": before, "last": ["rollback", "ada", before]}

    page.goto(stack.url + "/admin/registry/activationevent/")
    log = page.inner_text("#result_list")
    assert log.count("ada") == 2 and "roll back" in log
