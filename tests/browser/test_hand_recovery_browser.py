"""Issue 14 item 4 in Chromium: the page recovers the hands Holistic lost, as the server does.

For a language whose models were trained on recovered hands (silfa-letters), a job extracts
with MediaPipe Hands filling the hands Holistic missed (landmarks/hands.py); privacy mode runs
the page's port of that (frontend/static/frontend/handrecovery.js, the site's own copy of
@mediapipe/hands). Checked here: the port's decisions equal the Python functions' on the same
cases, and on a real clip of the SILFA signer forming N (Holistic loses her hand on most of its
frames) the page finds the hands the server finds, on the same frames, at the same places, and
says which ones it recovered.

Headless Chromium has no GPU here (its WebGL is SwiftShader), so the page runs the models on the
CPU (holistic.js softwareWebGL): a fraction of a second a frame; still one short letter.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from frontend import vendor
from landmarks import hands
from landmarks.layout import NUM_POINTS, PARTS
from tests.browser.conftest import new_page, stack_value
from tests.support.videos import make_silfa_video

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(600)]

SCRIPT = Path(__file__).resolve().parents[2] / "frontend" / "static" / "frontend"


def _case(rng: np.random.Generator) -> dict[str, Any]:
    """A random frame: wrists, hands kept or lost, hands Hands detected (with handedness)."""
    points = np.full((NUM_POINTS, 3), np.nan, np.float32)
    points[:33] = rng.uniform(0.3, 0.7, (33, 3))
    points[hands.LEFT_SHOULDER, :2] = (0.58, 0.3)
    points[hands.RIGHT_SHOULDER, :2] = (0.42, 0.3)
    visibility = rng.uniform(0.2, 1.0, 33).astype(np.float32)
    for side, wrist in hands.POSE_WRIST.items():
        points[wrist, :2] = rng.uniform(-0.01, 1.01, 2)  # sometimes outside the picture
        if rng.random() < 0.4:  # Holistic kept this hand, near its wrist
            points[PARTS[side]] = points[wrist] + rng.normal(0, 0.03, (21, 3))
    detected = []
    for _ in range(rng.integers(0, 4)):
        side = hands.SIDES[rng.integers(2)]
        wrist = points[hands.POSE_WRIST[side], :2] + rng.normal(0, 0.12, 2)
        hand = np.zeros((21, 3), np.float32)
        hand[:, :2] = wrist + rng.normal(0, 0.02, (21, 2))
        detected.append((hand, [None, "left_hand", "right_hand"][rng.integers(3)]))
    return {"points": points, "visibility": visibility, "detected": detected,
            "scale": np.array([852, 480], np.float32)}


def _python(case: dict[str, Any]) -> dict[str, Any]:
    points = case["points"]
    pose = SimpleNamespace(landmark=[
        SimpleNamespace(x=float(points[i, 0]), y=float(points[i, 1]),
                        visibility=float(case["visibility"][i])) for i in range(33)])
    sides = hands.missing_sides(points, pose)
    pose_xy = {side: points[i, :2] for side, i in hands.POSE_WRIST.items()}
    width = float(np.linalg.norm((points[hands.LEFT_SHOULDER, :2]
                                  - points[hands.RIGHT_SHOULDER, :2]) * case["scale"]))
    return {"sides": sides,
            "chosen": hands.assign(points, pose_xy, case["detected"], sides, case["scale"], width)}


PORT_JS = """(cases) => cases.map((c) => {
  const points = Float32Array.from(c.points, (v) => (v === null ? NaN : v));
  const sides = slrweb.hands.missingSides(points, c.visibility);
  const xy = (i) => [points[i * 3], points[i * 3 + 1]];
  const poseXY = {left_hand: xy(15), right_hand: xy(16)};
  const [lx, ly] = xy(11), [rx, ry] = xy(12);
  const width = Math.hypot((lx - rx) * c.scale[0], (ly - ry) * c.scale[1]);
  const detected = c.detected.map(([p, side]) => ({points: p, side}));
  return {sides, chosen: slrweb.hands.assign(points, poseXY, detected, sides, c.scale, width)};
})"""


def test_the_pages_port_decides_as_the_server(browser: Any) -> None:
    rng = np.random.default_rng(14)
    cases = [_case(rng) for _ in range(300)]
    expected = [_python(c) for c in cases]
    assert sum(bool(e["chosen"]) for e in expected) >= 50  # the cases exercise assignment
    assert sum(bool(not e["chosen"] and e["sides"]) for e in expected) >= 20  # and refusals
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><title>port</title>")
        page.add_script_tag(path=str(SCRIPT / "handrecovery.js"))
        as_json = [{"points": [None if np.isnan(v) else float(v) for v in c["points"].ravel()],
                    "visibility": c["visibility"].tolist(), "scale": c["scale"].tolist(),
                    "detected": [(h.tolist(), side) for h, side in c["detected"]]}
                   for c in cases]
        got = page.evaluate(PORT_JS, as_json)
    finally:
        page.close()
    assert got == json.loads(json.dumps(expected))
    assert [hands.handedness_side(x) for x in ("Left", "Right", "?")] == [
        "right_hand", "left_hand", None]


@pytest.fixture(scope="module")
def letter_n(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_silfa_video(shared_data, "N", tmp_path_factory.mktemp("recovery") / "n.mp4",
                            fps=30)


EXTRACT_JS = """async ([fps]) => {
  const blob = await (await fetch("/clip/n.mp4")).blob();
  const clip = await slrweb.holistic.extractVideo(blob, {
    baseUrl: "/static/vendor/holistic/", handsUrl: "/static/vendor/hands/", fps});
  return {points: Array.from(clip.points, (v) => (Number.isNaN(v) ? null : v)),
          timestamps: clip.timestamps, recovered: Array.from(clip.recovered)};
}"""


def test_the_page_recovers_the_hands_the_server_recovers(browser: Any, site: Any,
                                                         letter_n: Path) -> None:
    if not (vendor.is_installed(vendor.HOLISTIC) and vendor.is_installed(vendor.HANDS)):
        pytest.fail("the browser's MediaPipe is not installed: run `slrweb vendor` (make install)")
    from landmarks.extract import extract_landmarks

    fps = float(stack_value(site, "from django.conf import settings; "
                                  "print(settings.SLRWEB_EXTRACT_FPS)"))
    server = extract_landmarks(letter_n, sample_fps=fps or None, hand_recovery=True)
    recovered = server.meta.get(hands.RECOVERED_KEY) or {}
    assert sum(len(v) for v in recovered.values()) >= 3  # the clip needs recovery on the server

    page = new_page(browser, site.url)
    try:
        page.route("**/clip/n.mp4", lambda route: route.fulfill(
            path=str(letter_n), content_type="video/mp4"))
        page.goto("/accounts/login/")  # any page of the site: its static files, same origin
        for name in ("holistic.js", "handrecovery.js"):
            page.add_script_tag(url=f"/static/frontend/{name}")
        out = page.evaluate(EXTRACT_JS, [fps])
        assert page.script_errors == []
    finally:
        page.context.close()
    points = np.array([np.nan if v is None else v for v in out["points"]],
                      np.float32).reshape(-1, NUM_POINTS, 3)
    flags = np.array(out["recovered"], bool).reshape(-1, 2)
    assert points.shape == server.points.shape
    np.testing.assert_allclose(out["timestamps"], server.timestamps, atol=2e-3)
    for k, side in enumerate(hands.SIDES):
        ours = ~np.isnan(points[:, PARTS[side], 0]).all(axis=1)
        theirs = ~np.isnan(server.points[:, PARTS[side], 0]).all(axis=1)
        server_flags = np.isin(server.timestamps, recovered.get(side, []))
        # the same frames have the hand, and the same frames had it recovered (a frame where
        # Holistic's presence score sits at its threshold may differ)
        assert (ours == theirs).mean() >= 0.8, (side, ours, theirs)
        assert (flags[:, k] == server_flags).mean() >= 0.8, (side, flags[:, k], server_flags)
        assert not (flags[:, k] & ~ours).any()  # only hands that are there are marked
        both = ours & theirs
        if both.any():  # the same hand at the same place (image-normalised x, y)
            gap = np.linalg.norm(points[both][:, PARTS[side], :2]
                                 - server.points[both][:, PARTS[side], :2], axis=-1).mean()
            assert gap < 0.03, (side, gap)
    assert flags.sum() >= 3  # the page recovered hands, as the server did
