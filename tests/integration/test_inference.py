"""Issues 5 (item 6) and 6 (item 7) on the live stack: a real spelled clip goes through the job chain (Celery,
MediaPipe, the active isolated model on the `inference` queue) and comes back letter by letter.

The clip is built from the held-out test-block frames of the silfa-letters bundle's own split
(see tests/ml/recognition/test_video.py for why, and for what that does and does not show).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recognition.ml.data import load_runs
from recognition.ml.infer import IsolatedPredictor
from tests.integration.helpers import collect_events, upload
from tests.ml.recognition.test_video import REPEAT, WORD, held_out_frames
from tests.support.videos import read_rgb, write_video

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spelled_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    predictor = IsolatedPredictor.from_bundle(REPO / "models" / "silfa-letters")
    runs = load_runs("gislr", shared_data / "isolated" / "silfa_fingerspelling")
    paths = [p for letter in WORD for p in held_out_frames(shared_data, runs, predictor, letter)
             for _ in range(REPEAT)]
    return write_video((read_rgb(p) for p in paths),
                       tmp_path_factory.mktemp("spelled") / "cub.mp4", fps=15)


def test_job_recognises_the_spelled_letters_in_order(live_stack, spelled_clip):
    token = live_stack.token_for("speller")
    response = upload(live_stack, token, spelled_clip, language="ase")
    assert response.status_code == 201, response.text
    assert [s["name"] for s in response.json()["stages"]] == [
        "probe", "landmarks", "recognition", "translation"]
    events = collect_events(live_stack, token, response.json()["id"])
    final = events[-1]
    assert final["type"] == "result", final
    recognition = final["result"]["recognition"]
    assert recognition["model"].startswith("silfa-letters@")
    assert [s["topk"][0]["gloss"] for s in recognition["segments"]] == list(WORD)
    for segment in recognition["segments"]:
        probs = [g["prob"] for g in segment["topk"]]
        assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert any(e["type"] == "progress" and e["stage"] == "recognition" for e in events)
    # silfa-letters was trained on recovered hands (landmarks.hands): the ase job extracted them.
    assert final["result"]["landmarks"]["hands_recovered_frames"] >= 0

    # The ase chain: continuous glosses with times (BOSTON-104 model) -> gloss->English (NCSLGR),
    # each step kept with its model version; the text's tokens streamed as they were decoded.
    translation = final["result"]["translation"]
    steps = {step["step"]: step for step in translation["steps"]}
    assert steps["glosses"]["model"].startswith("ase-continuous-glosses@")
    assert translation["glosses"] == [s["gloss"] for s in translation["segments"]]
    for segment in translation["segments"]:
        assert 0 <= segment["start"] < segment["end"]
    assert steps["text"]["model"].startswith("ncslgr-gloss2text@")
    assert translation["model"] == steps["text"]["model"]
    tokens = [e for e in events if e["type"] == "token"]
    assert [t["index"] for t in tokens] == list(range(len(tokens)))
    assert [t["piece"] for t in tokens] == [t["piece"] for t in translation["tokens"]]
    assert all(t["logprob"] <= 0 for t in translation["tokens"])
    assert bool(translation["text"].strip()) == bool(translation["glosses"])
