"""End to end: a real video spelling C-U-B -> `slrweb recognize` (MediaPipe Holistic +
silfa-letters) -> C, U, B.

Honest about overlap: the SILFA landmarks the bundle was trained on were extracted from these
very video frames (frame k of a letter is its k-th sequence_id; re-extracting frames of C and U
reproduces the stored landmarks). So the clip is built only from the frames of each letter's
*test block* under the bundle's own split, which training never saw, and only from letters whose
frame count equals their landmark count, where that mapping is exact (A, D, M, N, Q, Y are not).
It is still the training signer in the same session: this shows the pipeline works end to end
on real pixels, not that the model generalises to new signers. The shipped bundle's final
weights trained on every frame (split `none`): its test blocks are those of the block-split run
that measured the configuration (tests.support.spelling.block_split), so here they are frames
the shipped weights have seen; held-out accuracy is bench/bench_spelling.py's, with the
block-split bundle.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from recognition.ml.data import Run, split_runs
from recognition.ml.infer import IsolatedPredictor
from slrweb.cli import main
from tests.support.spelling import block_split
from tests.support.videos import read_rgb, write_video

REPO = Path(__file__).resolve().parents[3]
WORD = "CUB"
REPEAT = 3  # each held-out frame shown 3 times at 15 fps: about one second per letter


def held_out_frames(shared_data: Path, runs: list[Run], predictor: IsolatedPredictor,
                    letter: str) -> list[Path]:
    root = shared_data / "isolated" / "silfa_fingerspelling"
    with open(root / "train.csv", newline="") as handle:
        ids = sorted(int(r["sequence_id"]) for r in csv.DictReader(handle) if r["sign"] == letter)
    frames = sorted((shared_data / "video" / "silfa_frames" / letter).glob("frame_*.jpg"))
    assert len(frames) == len(ids), f"{letter}: frames and landmarks do not map one to one"
    test = split_runs([r for r in runs if r.label == letter],
                      block_split(predictor.config.train))["test"]
    held = sorted(int(i.split("/")[1]) for run in test for i in run.ids)
    assert held, f"{letter} has no test block"
    return [frames[ids.index(i)] for i in held]


@pytest.mark.slow
def test_spelled_video_comes_back_in_order(tmp_path: Path, shared_data: Path,
                                           silfa_runs: list[Run],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bundle = REPO / "models" / "silfa-letters"
    predictor = IsolatedPredictor.from_bundle(bundle)
    paths = [p for letter in WORD
             for p in held_out_frames(shared_data, silfa_runs, predictor, letter)
             for _ in range(REPEAT)]
    video = write_video((read_rgb(p) for p in paths), tmp_path / "cub.mp4", fps=15)
    capsys.readouterr()
    assert main(["recognize", str(video), "--json", "--model", str(bundle)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "silfa-letters"
    spelled = [segment["topk"][0]["gloss"] for segment in result["segments"]]
    assert spelled == list(WORD), result
    starts = [segment["start"] for segment in result["segments"]]
    assert starts == sorted(starts)
    assert result["segments"][-1]["end"] <= len(paths) / 15 + 1e-6
