"""The admin's bundle upload in real Chromium: the form answers with the progress page at
once, the page polls the worker's task (registry/static/registry/task_progress.js) and shows
the outcome without a manual reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.registry.bundles import translation_bundle, zip_folder
from tests.registry.stack import shell
from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]
PASSWORD = "correct-horse-battery-staple"


def test_upload_shows_progress_until_registered(registry_stack, spm_path: Path, tmp_path):
    stack = registry_stack
    shell(stack, (
        "from django.contrib.auth import get_user_model; "
        "from accounts.roles import assign_role; "
        f"u = get_user_model().objects.create_user('uploader', password={PASSWORD!r}); "
        "assign_role(u, 'admin'); print(u.pk)"))
    bundle = translation_bundle(tmp_path / "tiny-up", spm_path, name="tiny-up", seed=7)
    archive = zip_folder(bundle, tmp_path / "tiny-up.zip")
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(stack.url + "/admin/login/?next=/admin/registry/modelversion/add/")
        page.fill("#id_username", "uploader")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#id_bundle")
        page.select_option("#id_language", label="American Sign Language (ase)")
        page.set_input_files("#id_bundle", str(archive))
        page.check("#id_activate")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/registry/modelversion/tasks/**")
        assert page.locator("#registry-task-progress").count() == 1
        # No reload by the test: the script polls and reloads once the worker is done.
        page.wait_for_selector("#registry-task[data-finished=true]", timeout=240_000)
        assert page.get_attribute("#registry-task-progress", "value") == "100"
        text = page.inner_text("#content")
        assert "Done. tiny-up@1" in text, text
        page.click("text=Activate it")
        page.wait_for_selector("#confirm-activate")
        assert "Activate tiny-up@1?" in page.inner_text("#content")
