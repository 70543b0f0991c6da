"""Issue 14 items 5 and 7, live mode in Chromium on the live stack (Daphne, Redis, Celery).

1. The page's live path with recorded landmarks: held-out SILFA letters spelling CUBA are sent
   from the page (`slrweb.live.replay`, at their own pace) over /ws/live/ase/; signs are drawn on
   the timeline while frames are still being sent, "Stop" gives the non-streaming result of the
   same landmarks, and "Save as a job" opens a landmarks-only job.
2. The camera path: Chromium's fake camera (real SILFA frames) -> MediaPipe Holistic in the page
   (holistic.js, vendored by `slrweb vendor`) -> frames with a hand in them over the socket ->
   signs drawn while the camera runs -> the server's result -> a saved landmarks-only job.
   Headless Chromium's WebGL is software here, so the page runs Holistic's models on the CPU
   (about 10 frames a second on this machine); its timing is bench/bench_live.py --camera's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from recognition.ml.infer import IsolatedPredictor
from tests.browser.conftest import new_page, sign_up
from tests.support.live import (
    LETTERS_BUNDLE, REPLAY_SCRIPT, held_letters, page_clip, spelled_clip,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]
VENDOR = Path(__file__).resolve().parents[2] / "frontend" / "vendor" / "holistic" / "holistic.js"


def open_live(page: Any, username: str) -> None:
    sign_up(page, username)
    page.goto("/live/")
    page.select_option("#language-select", "ase")


def test_signs_appear_while_landmarks_stream_and_the_session_saves_as_a_job(
    browser: Any, site: Any, shared_data: Path, shoot: Any
) -> None:
    clip, _ = spelled_clip(held_letters(shared_data), "CUBA")
    page = new_page(browser, site.url)
    try:
        open_live(page, "livesigner")
        log = page.evaluate(REPLAY_SCRIPT, page_clip(clip))
        last_frame_ms = 1000 * float(clip.timestamps[-1])
        assert log, ("no sign was drawn while the landmarks were sent",
                     page.locator("#live-status").inner_text(), page.script_errors)
        assert min(entry["received_ms"] for entry in log) < last_frame_ms  # while signing
        assert page.locator("#live-timeline .segment").count() == len(log)
        page.click("#live-stop")
        page.wait_for_function("() => slrweb.live.log.result", timeout=60_000)
        final = page.evaluate("() => slrweb.live.log.result")
        expected = IsolatedPredictor.from_bundle(LETTERS_BUNDLE).recognize(clip, top_k=5)
        assert final["segments"] == expected["segments"]
        assert final["model"].startswith("silfa-letters@")
        shown = [e.split()[0] for e in page.locator("#live-timeline .segment").all_inner_texts()]
        assert shown == [s["topk"][0]["gloss"] for s in expected["segments"]]
        assert "Stopped. Signs:" in page.locator("#live-status").inner_text()
        shoot(page, "live-mode")
        page.click("#live-save")
        page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"), timeout=60_000)
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        assert page.locator("#no-video").is_visible()
        assert page.script_errors == []
    finally:
        page.context.close()


@pytest.mark.slow
@pytest.mark.skipif(not VENDOR.exists(), reason="MediaPipe Holistic for the browser is not "
                    "vendored: run `make install` (slrweb vendor)")
def test_the_fake_camera_streams_holistic_landmarks_and_saves_them(browser: Any,
                                                                    site: Any) -> None:
    page = new_page(browser, site.url)
    try:
        open_live(page, "livecamera")
        # silfa-letters (active for ase) was trained on recovered hands: the camera path loads
        # MediaPipe Hands after Holistic and recovers them as the jobs do (handrecovery.js).
        assert "ase" in page.get_attribute("#live", "data-recover-languages").split()
        page.click("#live-start")
        # Frames through Holistic, loading its models first, until a sign is drawn while the
        # camera still runs (the fake camera loops B, C, D).
        page.wait_for_function("() => slrweb.live.log.length >= 1", timeout=300_000,
                               polling=500)
        drawn = page.evaluate("() => slrweb.live.log.map((s) => s.gloss)")
        assert any(gloss in "BCD" for gloss in drawn), drawn  # a letter the camera shows
        assert page.evaluate("() => slrweb.live.log.hands") >= 1  # the SILFA signer's hand
        # The page answers between Holistic frames: on a loaded machine the click may wait.
        page.click("#live-stop", timeout=120_000)
        page.wait_for_function("() => slrweb.live.log.result", timeout=60_000)
        assert page.evaluate("() => slrweb.live.log.result.model").startswith("silfa-letters@")
        assert "Stopped." in page.locator("#live-status").inner_text()
        page.click("#live-save")
        page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"), timeout=60_000)
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        assert page.locator("#no-video").is_visible()  # landmarks only
        frames = page.locator("#landmark-summary dd").first.inner_text()
        assert int(frames) >= 3, frames
        assert page.script_errors == []
    finally:
        page.context.close()
