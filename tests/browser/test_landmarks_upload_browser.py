"""Issue 14 item 4 in Chromium: the page's upload sends a .pose file as landmarks only.

A real .pose (`slrweb extract` of the shared test clip) is chosen in the upload form; the job
that opens has no video: the result shows a notice instead of the player, and the history row
has no thumbnail. (The page's own in-browser extraction, the "keep my video on this device"
switch, is tested in test_privacy_mode.py.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import new_page, sign_up

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def real_pose(pose_test_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from slrweb.cli import main

    out = tmp_path_factory.mktemp("extract") / "privacy clip.pose"
    assert main(["extract", str(pose_test_video), "-o", str(out), "--no-progress"]) == 0
    return out


def test_a_pose_file_uploaded_from_the_page_makes_a_job_without_a_video(
    browser: Any, site: Any, real_pose: Path, shoot: Any
) -> None:
    page = new_page(browser, site.url)
    try:
        sign_up(page, "keepsvideo")
        page.goto("/")
        page.set_input_files("#video-input", str(real_pose))
        page.click("#upload-button")
        page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"), timeout=60_000)
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        assert page.locator("#no-video").is_visible()
        assert page.locator("#result-video").count() == 0
        shoot(page, "landmarks-only-job")
        page.goto("/history/")
        assert page.get_by_role("link", name="privacy clip.pose").is_visible()
        assert page.locator("img.thumb").count() == 0
        assert page.script_errors == []
    finally:
        page.context.close()
