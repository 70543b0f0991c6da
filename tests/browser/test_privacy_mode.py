"""Issue 14 item 4 in Chromium: "keep my video on this device" (privacy mode).

The switch on, a real clip (the SILFA signer forming B, 8 frames) is chosen in the upload form:
the page runs MediaPipe Holistic in the browser (the site's own copy of @mediapipe/holistic,
`slrweb vendor`), uploads only the landmarks as .npz and opens a job that has no video and
shows its result. The job's stored landmarks must be what the server's own extraction of the
same clip gives (same sampled frames, same parts found, points close): the browser path is a
replacement for the server's, not an approximation of it.

Headless Chromium here has no GPU (its WebGL is SwiftShader, software), so the page runs
Holistic's models on the CPU (holistic.js softwareWebGL): 0.1-0.3 s a frame on this 2-core
machine, more when it is loaded; the clip stays short.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from frontend import vendor
from tests.browser.conftest import new_page, sign_up, stack_value
from tests.support.videos import make_silfa_video

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]

@pytest.fixture(scope="module")
def clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_silfa_video(shared_data, "B", tmp_path_factory.mktemp("privacy") / "spelling b.mp4",
                            fps=30, frames_per_letter=8)


@pytest.fixture(scope="module", autouse=True)
def holistic_installed() -> None:
    if not vendor.is_installed():
        pytest.fail("the browser's Holistic is not installed: run `slrweb vendor` (make install)")


def server_extraction(clip: Path, site: Any) -> Any:
    """The clip as the site's jobs extract it (at its SLRWEB_EXTRACT_FPS; 0: every frame)."""
    from landmarks.extract import extract_landmarks

    fps = float(stack_value(site, "from django.conf import settings; "
                                  "print(settings.SLRWEB_EXTRACT_FPS)"))
    return extract_landmarks(clip, sample_fps=fps or None)


def test_privacy_mode_uploads_the_landmarks_the_server_would_have_found(
    browser: Any, site: Any, clip: Path, shoot: Any
) -> None:
    page = new_page(browser, site.url)
    uploads: list[str] = []
    page.on("request", lambda r: r.method == "POST" and "/api/v1/" in r.url
            and uploads.append(r.url))
    try:
        sign_up(page, "keepsitlocal")
        page.goto("/")
        assert page.locator("#privacy-switch").is_enabled()
        page.get_by_role("switch", name="Keep my video on this device").check()
        page.set_input_files("#video-input", str(clip))
        page.click("#upload-button")
        page.wait_for_selector("#upload-progress:not([hidden])")
        page.wait_for_function(  # the progress line counts the browser's frames
            "document.getElementById('upload-status').textContent.includes('frame')",
            timeout=300_000)  # loading the models and the first frame take longest
        page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"), timeout=500_000)
        page.wait_for_selector("#result:not([hidden])", timeout=120_000)
        assert page.locator("#no-video").is_visible()
        assert page.locator("#result-video").count() == 0
        shoot(page, "privacy-mode-job")
        # One upload, a landmarks file: the video's bytes never left the page.
        assert len(uploads) == 1
        job_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        job = page.request.get(f"/api/v1/jobs/{job_id}/").json()
        assert (job["source"], job["video"], job["name"]) == ("landmarks", None, "spelling b.npz")
        assert job["status"] == "succeeded"
        stored = page.request.get(f"/api/v1/jobs/{job_id}/landmarks.npz")
        assert stored.ok, stored.text()
        browser_points = np.load(io.BytesIO(stored.body()))
        assert page.script_errors == []
    finally:
        page.context.close()

    server = server_extraction(clip, site)
    ours = browser_points["points"]
    # the same frames (the sampled ones, or every frame where the site reads them all), at the
    # same times
    assert ours.shape == server.points.shape and len(ours) >= 4
    np.testing.assert_allclose(browser_points["timestamps"], server.timestamps, atol=2e-3)
    agree, gaps = {}, {}
    for name, part in (("pose", slice(0, 33)), ("face", slice(33, 501)),
                       ("left_hand", slice(501, 522)), ("right_hand", slice(522, 543))):
        found = ~np.isnan(ours[:, part, 0]).any(axis=1)
        server_found = ~np.isnan(server.points[:, part, 0]).any(axis=1)
        agree[name] = (found == server_found).mean()
        both = found & server_found
        if both.any():  # mean distance in image-normalised x, y
            gaps[name] = np.linalg.norm(ours[both][:, part, :2] - server.points[both][:, part, :2],
                                        axis=-1).mean()
        if server_found.all():  # a part plainly in view (the spelling hand) is found throughout
            assert found.all(), (name, found)
    # A hand at the picture's edge is found on some frames only, and where its presence score is
    # near the threshold the two paths can differ: the signer's other hand here, found by the
    # server on 3 of 8 frames. Over all parts and frames they agree.
    assert np.mean(list(agree.values())) >= 0.8, (agree, gaps)
    # pose: the browser's pose model runs on WebGL-prepared input; on the signing clip of
    # bench/bench_browser_landmarks.py its points are 0.024 apart, face 0.0006, hands 0.012
    # (bench/RESULTS.md). 0.03 is 26 px of this 852-px-wide video.
    assert max(gaps.values()) < 0.03 and gaps["face"] < 0.01, (agree, gaps)
    # the signer's spelling hand is found (on the side the server says: `agree` above)
    hands = ~np.isnan(ours[:, 501:543, 0]).all(axis=1)
    assert hands.mean() >= 0.5, hands
