"""The translation chain (translation.ml.chain) with the shipped bundles on real landmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from landmarks.sequence import LandmarkSequence
from translation.ml.chain import Chain, Step, chain_problem, run_chain
from translation.ml.infer import TranslationPredictor

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def speller() -> TranslationPredictor:
    return TranslationPredictor.from_bundle(REPO / "models" / "fingerspelling-ase-transformer")


@pytest.fixture(scope="module")
def phoenix() -> TranslationPredictor:
    return TranslationPredictor.from_bundle(REPO / "models" / "phoenix-gloss2text")


@pytest.fixture(scope="module")
def spelled(shared_data: Path) -> LandmarkSequence:
    """Real SILFA frames (landmarks as extracted by Holistic) of three letters, held in turn."""
    from recognition.ml.data import load_runs

    runs = {r.label: r.points for r in load_runs(
        "gislr", shared_data / "isolated" / "silfa_fingerspelling")}
    points = np.concatenate([np.repeat(runs[c][:4], 3, axis=0) for c in "CAB"])
    return LandmarkSequence.from_points(points, fps=15.0)


class TimedGlosser:
    """Stands in for a continuous model (none of ours outputs spelled glosses on this clip):
    a fixed segmentation, so the chain's span hand-off to the real speller is what is tested."""

    input_kind = "landmarks"

    def __init__(self, segments: list[dict[str, Any]]) -> None:
        self.segments = segments

    def recognize(self, seq: LandmarkSequence) -> dict[str, Any]:
        return {"glosses": self.segments}


def test_a_gloss_reader_without_a_glosser_cannot_translate_video(phoenix) -> None:  # type: ignore[no-untyped-def]
    problem = chain_problem(Chain(text=Step(phoenix, "phoenix@1")))
    assert problem is not None and "phoenix@1" in problem and "gloss" in problem
    assert chain_problem(Chain()) is not None
    with pytest.raises(ValueError, match="cannot translate a video"):
        run_chain(LandmarkSequence.from_points(np.zeros((3, 543, 3)), fps=15), Chain())


def test_landmarks_to_text_chain_is_the_model_itself(speller, spelled) -> None:  # type: ignore[no-untyped-def]
    result = run_chain(spelled, Chain(text=Step(speller, "fs@2")))
    direct = speller.translate(spelled)
    assert result["text"] == direct["text"] and result["tokens"] == direct["tokens"]
    assert result["model"] == "fs@2"
    assert result["steps"] == [{"step": "text", "model": "fs@2", "text": direct["text"]}]


def test_glosses_feed_the_gloss_reader_and_stream_its_tokens(phoenix, spelled) -> None:  # type: ignore[no-untyped-def]
    glosser = TimedGlosser([{"gloss": "MORGEN", "start": 0.0, "end": 1.0},
                            {"gloss": "REGEN", "start": 1.0, "end": 2.0}])
    streamed: list[str] = []
    result = run_chain(spelled, Chain(glosser=Step(glosser, "g@1"), text=Step(phoenix, "p@1")),
                       on_token=lambda piece, lp: streamed.append(piece))
    expected = phoenix.translate_glosses(["MORGEN", "REGEN"])
    assert result["glosses"] == ["MORGEN", "REGEN"]
    assert result["text"] == expected["text"] and result["text"]
    assert streamed == [t["piece"] for t in expected["tokens"]]
    assert [s["step"] for s in result["steps"]] == ["glosses", "text"]
    assert result["steps"][0]["model"] == "g@1" and result["steps"][1]["model"] == "p@1"


def test_spelled_spans_are_read_by_the_speller(speller, spelled) -> None:  # type: ignore[no-untyped-def]
    cut = spelled.timestamps[len(spelled) // 3]
    glosser = TimedGlosser([{"gloss": "IX-1p", "start": 0.0, "end": float(cut)},
                            {"gloss": "fs-?", "start": float(cut), "end": spelled.duration}])
    result = run_chain(spelled, Chain(glosser=Step(glosser, "g@1"), speller=Step(speller, "s@1")))
    span = spelled.slice_time(float(cut), spelled.duration)
    letters = speller.translate(span)["text"].replace(" ", "").upper()
    assert result["glosses"][0] == "IX-1p"
    assert result["glosses"][1] == (f"fs-{letters}" if letters else "fs-?")
    assert result["segments"][1].get("spelled_by") == ("s@1" if letters else None)
    assert len(span) == len(spelled) - len(spelled) // 3



def test_the_shipped_ase_chain_reads_a_real_clip(spelled) -> None:  # type: ignore[no-untyped-def]
    """Continuous glosses with times (BOSTON-104 model) feed the NCSLGR gloss->English model."""
    from translation.ml.continuous.infer import ContinuousPredictor

    glosser = ContinuousPredictor.from_bundle(REPO / "models" / "ase-continuous-glosses")
    reader_dir = REPO / "models" / "ncslgr-gloss2text"
    if not reader_dir.is_dir():
        pytest.fail("models/ncslgr-gloss2text is missing")
    reader = TranslationPredictor.from_bundle(reader_dir)
    result = run_chain(spelled, Chain(glosser=Step(glosser, "c@1"), text=Step(reader, "r@1")))
    own = glosser.recognize(spelled)["glosses"]
    assert result["glosses"] == [g["gloss"] for g in own]
    for seg in result["segments"]:
        assert 0 <= seg["start"] < seg["end"] <= spelled.duration + 0.1
    assert result["text"] == reader.translate_glosses(result["glosses"])["text"]
