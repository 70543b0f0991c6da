"""The default models give the same results whatever the CPU's instruction set.

One machine can take every x86-64 code path of torch's vectorised kernels by choosing them with
ATEN_CPU_CAPABILITY; with one thread (mlcore.numerics) the only remaining difference between
CPUs is that choice (and MKL's own dispatch, pinned by MKL_CBWR). The probe runs spotting,
fingerspelling, continuous glosses and gloss->text translation on real held-out data under each
path.
Decisions and texts must be identical; probabilities may differ in the last float bits only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CAPABILITIES = ("default", "avx2", "avx512")


def run_probe(shared_data: Path, capability: str) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "ATEN_CPU_CAPABILITY": capability, "MKL_CBWR": "COMPATIBLE"}
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.isa_probe", str(shared_data)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_same_results_on_every_instruction_set(shared_data: Path) -> None:
    runs = {cap: run_probe(shared_data, cap) for cap in CAPABILITIES}
    reference = runs["default"]
    assert reference["capability"] == "DEFAULT"
    assert reference["segments"], "the probe clip should spot letters"
    for cap, got in runs.items():
        assert [s["topk"][0]["gloss"] for s in got["segments"]] == [
            s["topk"][0]["gloss"] for s in reference["segments"]], cap
        assert [(s["start"], s["end"]) for s in got["segments"]] == [
            (s["start"], s["end"]) for s in reference["segments"]], cap
        for seg, ref in zip(got["segments"], reference["segments"], strict=True):
            probs = [t["prob"] for t in seg["topk"]]
            assert probs == pytest.approx([t["prob"] for t in ref["topk"]], abs=2e-4), cap
        assert got["spelled_text"] == reference["spelled_text"], cap
        assert [(g["gloss"], g["start"], g["end"]) for g in got["continuous"]] == [
            (g["gloss"], g["start"], g["end"]) for g in reference["continuous"]], cap
        assert got["phoenix"] == reference["phoenix"], cap
