"""Issue 14 item 1 on the live stack: signs are published while the video is still being read,
and the final result is the non-streaming one.

The clip spells KLMNOPQR from SILFA's frames (training frames too: this checks the streaming
mechanism, not accuracy on unseen data, which tests/integration/test_inference.py covers). Its
bytes must differ from every other clip the shared stack sees: a landmark-cache hit has all
frames at once and streams nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recognition.ml.infer import IsolatedPredictor
from recognition.ml.streaming import same_segment
from tests.integration.helpers import collect_events, upload
from tests.support.videos import make_silfa_video

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


def test_segments_stream_before_extraction_ends_and_match_the_result(live_stack, shared_data,
                                                                      tmp_path: Path) -> None:
    clip = make_silfa_video(shared_data, "KLMNOPQR", tmp_path / "klmnopqr.mp4", size=(426, 240))
    token = live_stack.token_for("streamer")
    response = upload(live_stack, token, clip, language="ase")
    assert response.status_code == 201, response.text
    events = collect_events(live_stack, token, response.json()["id"])
    assert events[-1]["type"] == "result", events[-1]
    final = events[-1]["result"]["recognition"]["segments"]
    landmarks_done = next(i for i, e in enumerate(events) if e["type"] == "progress"
                          and e["stage"] == "landmarks" and e["percent"] == 100)
    streamed = [(i, e) for i, e in enumerate(events) if e["type"] == "segment"]
    assert streamed, "no segment was published while the video was read"
    assert all(i < landmarks_done for i, _ in streamed)  # before extraction ended
    # Streamed segments are provisional (the prefix's Viterbi path may still be revised; the
    # page swaps in the final timeline): exactly-once publication is the unit test's business,
    # on fixed landmarks (tests/ml/recognition/test_streaming.py). Here, with live MediaPipe:
    # they are well-formed, come from the active model and describe the same signing.
    window = IsolatedPredictor.from_bundle(REPO / "models" / "silfa-letters").config.spotting.window
    tolerance = window / events[-1]["result"]["landmarks"]["fps"]  # as the spotter matches
    for _, segment in streamed:
        assert segment["model"].startswith("silfa-letters@")
        assert 0 <= segment["start"] < segment["end"] and segment["topk"]
    matched = [s for _, s in streamed if any(same_segment(s, f, tolerance) for f in final)]
    assert matched, (streamed, final)
