"""The annotation workspace in real Chromium (Playwright + Debian's /usr/bin/chromium) against a
live Daphne: an annotator picks a gloss from the top-k, moves a boundary, submits; an admin
accepts. The database is checked after each step through the stack's manage.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.live import REPO_ROOT, start_stack
from tests.support.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]
PASSWORD = "correct-horse-battery"
SCREENSHOT = REPO_ROOT / "docs" / "screenshots" / "annotation-workspace.png"


def shell(stack, code: str) -> dict:  # noqa: ANN001
    return json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, pose_test_video: Path):
    base = tmp_path_factory.mktemp("live-annotation")
    # DEBUG is off in test settings: WhiteNoise serves STATIC_ROOT and indexes it when Daphne
    # starts, so collect the static files into the stack's folder before it starts.
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "slrweb.settings.test",
             "SLRWEB_VAR_DIR": str(base / "var")},
        cwd=REPO_ROOT, check=True, timeout=300,
    )
    live = start_stack(base, workers=False)
    try:
        live.job = shell(live, "from tests.annotation.live_fixture import create_review_job; "
                               f"create_review_job({str(pose_test_video)!r}, {PASSWORD!r})")
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def browser(stack):  # noqa: ANN001
    with chromium() as launched:
        yield launched


def log_in(browser, stack, username: str):  # noqa: ANN001, ANN201
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(30_000)
    page.goto(stack.url + "/accounts/login/?next=/annotate/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(stack.url + "/annotate/")
    return page


def record(stack) -> dict:  # noqa: ANN001
    return shell(stack, "from tests.annotation.live_fixture import annotation_record; "
                        f"annotation_record({stack.job['job']!r})")


def segment_cells(page) -> list[list[str]]:  # noqa: ANN001
    rows = page.locator("#ws-segment-list tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def overlay_pixels(page) -> int:  # noqa: ANN001
    return page.evaluate("""() => {
        const c = document.getElementById('ws-overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n; }""")


def test_pick_move_submit_accept(stack, browser):  # noqa: ANN001
    job_id = stack.job["job"]
    page = log_in(browser, stack, "anna")
    page.click(f"#review-queue tr[data-job='{job_id}'] a")
    page.wait_for_url(f"**/annotate/jobs/{job_id}/")
    page.wait_for_function("document.getElementById('ws-overlay-status').textContent.length > 0")
    assert "58 frames" in page.inner_text("#ws-overlay-status")
    page.evaluate("document.getElementById('ws-video').currentTime = 1.0")
    page.wait_for_function("window.slrwebOverlay && window.slrwebOverlay.lastFrame !== null")
    assert overlay_pixels(page) > 200  # the skeleton is drawn over the frame

    # Pick the second guess of segment 2 from the top-k (keyboard: select via the list).
    assert [c[3] for c in segment_cells(page)] == ["H", "E", "Y"]
    page.click("#ws-segment-list tr:nth-child(2) button")
    page.check("#ws-topk input[value='I']")
    assert [c[3] for c in segment_cells(page)] == ["H", "I", "Y"]

    # Move the boundary between segments 1 and 2 to the right by dragging its handle.
    start, end = stack.job["spans"][1]
    handle = page.locator(".ws-handle[data-id='m1'][data-edge='start']")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    timeline = page.locator("#ws-timeline").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + timeline["width"] * 0.1, box["y"] + 5, steps=8)
    page.mouse.up()
    moved = float(segment_cells(page)[1][1])
    assert start + 0.1 < moved < end, (start, moved)
    assert float(segment_cells(page)[0][2]) == moved  # the shared boundary moved for both
    # ... and one frame back with the keyboard on the focused handle.
    handle.focus()
    page.keyboard.press("ArrowLeft")
    assert float(segment_cells(page)[1][1]) < moved

    # Split the last segment at the playhead and merge it back, with the keyboard shortcuts.
    last_start, last_end = stack.job["spans"][2]
    page.evaluate(f"document.getElementById('ws-video').currentTime = {(last_start + last_end) / 2}")
    page.keyboard.press("]")  # select the next segment (the last one)
    page.keyboard.press("s")
    cells = segment_cells(page)
    assert len(cells) == 4 and cells[2][3] == cells[3][3] == "Y"
    assert float(cells[2][2]) == float(cells[3][1])
    page.keyboard.press("m")
    assert [(c[1], c[2], c[3]) for c in segment_cells(page)][2] == (
        f"{last_start:.2f}", f"{last_end:.2f}", "Y")

    page.fill("#ws-translation", "hiy")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("#ws-submit")
    page.wait_for_function(
        "document.getElementById('ws-state-badge').className.includes('status-submitted')")
    saved = record(stack)
    assert saved["status"] == "submitted"
    assert [s["gloss"] for s in saved["segments"]] == ["H", "I", "Y"]
    fields = {c[1]: c for c in saved["corrections"]}
    assert fields["segment:m1.gloss"] == ["anna", "segment:m1.gloss", "E", "I", "asl-letters@2"]
    assert {"segment:m0.end", "segment:m1.start", "translation"} <= set(fields)
    assert fields["segment:m1.start"][2] == start and fields["segment:m1.start"][3] < moved
    assert page.is_disabled("#ws-submit") and page.is_hidden("#ws-review-panel")

    admin = log_in(browser, stack, "ada")
    admin.goto(stack.url + f"/annotate/jobs/{job_id}/")
    admin.fill("#ws-review-comment", "Second letter is I, agreed.")
    admin.click("#ws-accept")
    admin.wait_for_function(
        "document.getElementById('ws-state-badge').className.includes('status-accepted')")
    assert "Second letter is I" in admin.inner_text("#ws-reviews")
    done = record(stack)
    assert done["status"] == "accepted"
    assert done["reviews"] == [["ada", "accept", "Second letter is I, agreed."]]
    admin.close()
    page.close()
