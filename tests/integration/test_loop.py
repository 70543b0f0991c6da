"""Issue 15 item 7: the correction loop, end to end on real data and real services.

The active isolated model (asl-alphabet, trained on one person's hands) reads real videos of
another person fingerspelling (SILFA) and gets them wrong; an annotator corrects one clip in the
annotation workspace (Chromium) and the rest over the API, an admin accepts them; the admin's
retrain runs as a Celery task; the shadow evaluation scores candidate and active on the held-out
corrections (clips corpus.split holds out by their video's sha256, never trained on); the admin
activates the candidate over the registry API; a new job of a held-out clip reads right.

Smallest size that shows the gain: the letters whose clips fall on both sides of the split (a
corrected clip to learn the letter from, a held-out clip to check it on). The same driver
(tests/support/loop.py) runs the measured loop of bench/bench_loop.py over every letter.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.live import LiveStack, start_stack
from tests.support.browser import chromium
from tests.support.loop import PASSWORD, Clip, Loop, held_out_top1, letter_clips, reading

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(1200)]
LETTERS = "ABCDEFGHIKLMNOPQRSTUVWXY"  # SILFA's static letters


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    live = start_stack(tmp_path_factory.mktemp("live-loop"))
    try:
        yield live
    finally:
        live.stop()


def loop_clips(shared_data: Path, out_dir: Path) -> list[Clip]:
    """The clips of every letter that has a clip on each side of the split."""
    clips = letter_clips(shared_data, out_dir, LETTERS)
    both = [letter for letter in LETTERS
            if {"train", "held_out"} <= {c.split for c in clips if c.letter == letter}]
    assert len(both) >= 2, [(c.letter, c.split) for c in clips]
    return [c for c in clips if c.letter in both]


def correct_in_workspace(stack: LiveStack, job_id: str, letter: str) -> None:
    """The annotator makes the clip one segment of `letter` in Chromium and submits it."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(30_000)
        page.goto(stack.url + "/accounts/login/?next=/annotate/")
        page.fill("#id_username", "anna")
        page.fill("#id_password", PASSWORD)
        page.click("form.account-form button[type=submit]")
        page.wait_for_url(stack.url + "/annotate/")
        page.click(f"#review-queue tr[data-job='{job_id}'] a")
        page.wait_for_url(f"**/annotate/jobs/{job_id}/")
        page.wait_for_function("document.getElementById('ws-overlay-status').textContent.length")
        rows = page.locator("#ws-segment-list tr")
        while rows.count() > 1:  # the model's extra segments go
            rows.nth(rows.count() - 1).locator("button").click()
            page.click("#ws-delete")
        if rows.count() == 0:  # the model found no sign: add one at the start
            page.evaluate("document.getElementById('ws-video').currentTime = 0")
            page.click("#ws-add")
        rows.nth(0).locator("button").click()
        page.fill("#ws-seg-start", "0")
        page.press("#ws-seg-start", "Tab")
        page.fill("#ws-seg-end", "1000")  # clamped to the clip's end
        page.press("#ws-seg-end", "Tab")
        page.fill("#ws-gloss-input", letter)
        page.press("#ws-gloss-input", "Enter")
        assert rows.count() == 1 and rows.nth(0).locator("td").nth(3).inner_text() == letter
        page.click("#ws-submit")
        page.wait_for_function(
            "document.getElementById('ws-state-badge').className.includes('status-submitted')")


def test_corrections_teach_the_active_model_a_new_signer(stack, shared_data, tmp_path):  # noqa: ANN001
    clips = loop_clips(shared_data, tmp_path / "clips")
    loop = Loop.start(stack)
    active = loop.activate_named("asl-alphabet")["to_version"]

    jobs = loop.run_jobs(clips)
    before = [reading(job) for job in jobs]
    wrong = [k for k, clip in enumerate(clips) if before[k] != clip.letter]
    assert wrong, "the active model should get some of another signer's letters wrong"
    for job in jobs:
        loop.share(job["id"])
    in_browser = wrong[0]
    correct_in_workspace(stack, jobs[in_browser]["id"], clips[in_browser].letter)
    for k, (clip, job) in enumerate(zip(clips, jobs, strict=True)):
        if k != in_browser:
            loop.correct(job["id"], clip.letter)
        loop.accept(job["id"])
    saved = loop.state(jobs[in_browser]["id"])
    assert (saved["status"], [s["gloss"] for s in saved["segments"]]) == (
        "accepted", [clips[in_browser].letter])
    assert saved["segments"][0]["end"] >= saved["job"]["duration"] - 0.05  # the whole clip

    task = loop.retrain()
    trained = [c for c in clips if c.split != "held_out"]
    assert task["result"]["from_version"] == active
    assert task["result"]["metrics"]["correction_runs"] == len(trained)
    held = [k for k, clip in enumerate(clips) if clip.split == "held_out"]
    assert task["result"]["metrics"]["held_out_segments"] == len(held)

    figures = loop.shadow(task["version"])
    candidate, segments = held_out_top1(figures, "candidate")
    baseline, _ = held_out_top1(figures, "active")
    assert (figures["candidate"], figures["active"]) == (task["result"]["label"], active)
    assert segments == len(held)
    assert candidate > baseline, figures["corrections"]

    event = loop.activate(task["version"])
    assert (event["from_version"], event["to_version"]) == (active, task["result"]["label"])
    assert event["figures"]["corrections"] == figures["corrections"]  # the audit log has them

    # The next jobs of the held-out clips the active model read wrong.
    misread = [k for k in held if before[k] != clips[k].letter]
    assert misread, [(clips[k].letter, before[k]) for k in held]
    next_jobs = loop.run_jobs([clips[k] for k in misread])
    assert {job["result"]["recognition"]["model"] for job in next_jobs} == {
        task["result"]["label"]}
    after = [reading(job) for job in next_jobs]
    right = [clips[k].letter for k, read in zip(misread, after, strict=True)
             if read == clips[k].letter]
    print(f"loop: {len(clips)} clips of {sorted({c.letter for c in clips})}, {len(wrong)} "
          f"corrections, {len(trained)} trained on; held-out corrections top-1 {baseline} -> "
          f"{candidate} ({segments}); misread held-out jobs now right: {len(right)}/"
          f"{len(misread)}")
    assert right, [(clips[k].letter, before[k], a) for k, a in zip(misread, after, strict=True)]
