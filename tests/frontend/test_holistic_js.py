"""frontend/static/frontend/holistic.js reads the server's frames with the server's tracking
segments (privacy mode): its framePlan, run by node, against the server's own extraction
(landmarks.extract.extract_landmarks: probe, segment plan, decoding, keep_frame, a Holistic
reset at each segment) of real encoded videos with the same frame grid.

MediaPipe is replaced by a recording stub here: what is compared is which frames are read and
where tracking restarts, not landmarks (tests/browser/test_privacy_mode.py compares those)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from django.conf import settings

from landmarks import extract
from landmarks.decode import probe_video
from tests.support.videos import write_video

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

NODE_SCRIPT = """
const { slrweb } = require(process.argv[1]);
const [first, frame, last, duration, fps] = process.argv.slice(2).map(Number);
console.log(JSON.stringify(slrweb.holistic.framePlan({ first, frame, last }, duration, fps)));
"""


def browser_frames(grid: tuple[float, float, float], duration: float,
                   fps: float) -> list[dict[str, Any]]:
    script = Path(settings.BASE_DIR) / "frontend" / "static" / "frontend" / "holistic.js"
    out = subprocess.run(["node", "-e", NODE_SCRIPT, str(script),
                          *map(repr, (*grid, duration, fps))],
                         check=True, timeout=30, capture_output=True, text=True).stdout
    return list(json.loads(out))


class RecordingHolistic:
    """Stands in for MediaPipe's Holistic: counts frames, notes where it was reset."""

    def __init__(self) -> None:
        self.frames = 0
        self.resets: list[int] = []  # frame index at each reset

    def reset(self) -> None:
        self.resets.append(self.frames)

    def process(self, image: np.ndarray) -> Any:
        self.frames += 1
        return SimpleNamespace(**{f"{p}_landmarks": None for p in extract.PARTS})

    def close(self) -> None:
        pass


@pytest.mark.parametrize("source_fps, count, fps", [
    (30, 436, 15.0),   # the bench clip's length: 14.53 s, 8 segments of 27 sampled frames
    (30, 166, 15.0),   # 5.5 s: 3 segments of 2 s become 4
    (25, 250, 15.0),   # 10 s at 25 fps read at 15
    (30, 45, 15.0),    # 1.5 s: one segment
    (30, 200, None),   # every frame
])
def test_the_browser_reads_the_servers_frames_and_restarts_tracking_where_it_does(
        source_fps: int, count: int, fps: float | None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = write_video((np.full((48, 64, 3), 90 + i % 50, np.uint8) for i in range(count)),
                        tmp_path / "clip.mp4", fps=source_fps)
    stub = RecordingHolistic()
    monkeypatch.setattr(extract, "_IDLE_GRAPHS", {})
    monkeypatch.setattr(extract, "new_holistic", lambda complexity: stub)
    server = extract.extract_landmarks(video, sample_fps=fps)

    duration = probe_video(video).duration
    step = 1.0 / source_fps
    browser = browser_frames((0.0, step, (count - 1) * step), duration, fps or source_fps)

    assert [f["time"] for f in browser] == pytest.approx(server.timestamps.tolist(), abs=1e-4)
    starts = [i for i, f in enumerate(browser) if i == 0 or f["segment"] != browser[i - 1]["segment"]]
    assert starts == stub.resets
    assert len(starts) == server.meta["segments"]
    if duration > extract.SEGMENT_SECONDS:
        assert len(starts) % 2 == 0
