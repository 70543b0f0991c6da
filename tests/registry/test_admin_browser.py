"""Activating a model version and rolling it back in the admin, in real Chromium.

Debian's Chromium (/usr/bin/chromium) driven by Playwright against a live Daphne.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.integration.live import start_stack
from tests.registry.bundles import translation_bundle

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"]
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, spm_path: Path):
    models = tmp_path_factory.mktemp("models")
    translation_bundle(models / "tiny-a", spm_path, name="tiny-a", seed=0)
    candidate = translation_bundle(tmp_path_factory.mktemp("upload") / "tiny-b", spm_path,
                                   name="tiny-b", seed=1)
    live = start_stack(tmp_path_factory.mktemp("live-admin"), workers=False,
                       SLRWEB_MODELS_DIR=str(models))
    try:
        live.manage("shell", "-c", (
            "from django.contrib.auth import get_user_model; "
            "from accounts.roles import assign_role; "
            "from registry import services; from registry.models import SignLanguage; "
            f"u = get_user_model().objects.create_user('ada', password={PASSWORD!r}); "
            "assign_role(u, 'admin'); "
            f"services.register_bundle({str(candidate)!r}, SignLanguage.objects.get(code='ase'))"
        ))
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def page(stack):
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        pytest.fail("Debian chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(stack.url + "/admin/login/?next=/admin/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(stack.url + "/admin/")
        yield page
        browser.close()


def registry_state(stack) -> dict:
    out = stack.manage("shell", "-c", (
        "import json; from registry.selectors import active_model; "
        "from registry.models import ActivationEvent; "
        "e = ActivationEvent.objects.first(); "
        "print(json.dumps({'active': active_model('ase', 'translation').label, "
        "'last': [e.action, e.username, e.to_version.label]}))"
    ))
    return json.loads(out.strip().splitlines()[-1])


def test_activate_then_roll_back_in_the_admin(stack, page):
    page.goto(stack.url + "/admin/registry/modelversion/?task__exact=translation")
    row = page.locator("#result_list tbody tr", has_text="tiny-b@1")
    assert "candidate" in row.inner_text()
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "activate_selected")
    page.click("button[name=index]")

    # The confirmation page: metrics beside the active version, nothing switched yet.
    page.wait_for_selector("#confirm-activate")
    assert "Activate tiny-b@1?" in page.inner_text("#content")
    metrics = page.inner_text("#metrics")
    assert "tiny-a@1 (active)" in metrics and "bleu" in metrics
    assert registry_state(stack)["active"] == "tiny-a@1"

    page.click("#confirm-activate")
    # (lower(): the admin's CSS capitalises the first letter of a message)
    assert "tiny-b@1 is now the active translation model" in page.inner_text(
        ".messagelist").lower()
    assert registry_state(stack) == {"active": "tiny-b@1",
                                     "last": ["activate", "ada", "tiny-b@1"]}

    page.click("a.rollback-link")
    page.wait_for_selector("#confirm-rollback")
    plan = page.inner_text("#rollback-plan")
    assert "tiny-b@1" in plan and "tiny-a@1" in plan
    page.click("#confirm-rollback")
    assert "rolled back the translation model" in page.inner_text(".messagelist").lower()
    assert registry_state(stack) == {"active": "tiny-a@1",
                                     "last": ["rollback", "ada", "tiny-a@1"]}

    page.goto(stack.url + "/admin/registry/activationevent/")
    log = page.inner_text("#result_list")
    assert log.count("ada") == 2 and "roll back" in log
