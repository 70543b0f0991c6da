"""The default models give the same results whatever the CPU's instruction set.

One machine can take each x86-64 code path of torch's vectorised kernels that its CPU supports by
choosing it with ATEN_CPU_CAPABILITY; with one thread (mlcore.numerics) the only remaining
difference between CPUs is that choice (and MKL's own dispatch, pinned by MKL_CBWR). The probe
runs spotting, fingerspelling, continuous glosses and gloss->text translation on real held-out
data under each path. A path this CPU cannot run (AVX-512 on a CPU without it: torch obeys the
variable and the probe dies of SIGILL) cannot be checked here; the test names it as skipped.
Decisions and texts must be identical; probabilities may differ in the last float bits only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CAPABILITIES = ("default", "avx2", "avx512")  # torch's order, from the most portable


def supported_capabilities() -> tuple[str, ...]:
    """The CAPABILITIES this CPU can run: up to what torch picks by itself here."""
    best = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        env={k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"},
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout.strip().lower()
    return CAPABILITIES[: CAPABILITIES.index(best) + 1] if best in CAPABILITIES else ("default",)


def run_probe(shared_data: Path, capability: str) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "ATEN_CPU_CAPABILITY": capability, "MKL_CBWR": "COMPATIBLE"}
    out = subprocess.run(
        [sys.executable, "-m", "tests.support.isa_probe", str(shared_data)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_same_results_on_every_instruction_set(shared_data: Path) -> None:
    capabilities = supported_capabilities()
    if len(capabilities) < 2:
        pytest.skip("this CPU runs only torch's default kernels: nothing to compare")
    missing = [cap for cap in CAPABILITIES if cap not in capabilities]
    if missing:
        warnings.warn(f"kernel sets not checkable on this CPU: {', '.join(missing)}",
                      stacklevel=1)
    runs = {cap: run_probe(shared_data, cap) for cap in capabilities}
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

