"""Run the default models on fixed real inputs and print their outputs as JSON.

tests/ml/test_cross_isa.py starts this once per ATen kernel set (ATEN_CPU_CAPABILITY=default,
avx2, avx512): the same process on one machine then takes the code paths that CPUs with only
those instruction sets take, which is how we check that results do not depend on the CPU.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from mlcore.numerics import pin_thread_env

pin_thread_env()

REPO = Path(__file__).resolve().parents[2]


def spelled_landmarks(shared_data: Path, bundle_config: object, word: str) -> np.ndarray:
    """Held-out SILFA frames spelling `word`, each letter held, with hands-down rests between."""
    from recognition.ml.data import load_runs
    from tests.support.spelling import hands_out_of_view, held_out_letters, spell

    runs = load_runs("gislr", shared_data / "isolated" / "silfa_fingerspelling")
    held = held_out_letters(runs, bundle_config)
    return spell(held, word, hands_out_of_view(held["B"][0])).points


def main(shared_data: Path) -> dict[str, object]:
    import torch

    from landmarks.sequence import LandmarkSequence
    from recognition.ml.infer import IsolatedPredictor
    from translation.ml.continuous.infer import ContinuousPredictor
    from translation.ml.infer import TranslationPredictor

    torch.set_num_threads(1)
    letters = IsolatedPredictor.from_bundle(REPO / "models" / "silfa-letters")
    seq = LandmarkSequence.from_points(
        spelled_landmarks(shared_data, letters.config.train, "CUBA"), fps=15.0)
    spotted = letters.recognize(seq, top_k=3)
    speller = TranslationPredictor.from_bundle(REPO / "models" / "fingerspelling-ase-transformer")
    glosser = ContinuousPredictor.from_bundle(REPO / "models" / "ase-continuous-glosses")
    phoenix = TranslationPredictor.from_bundle(REPO / "models" / "phoenix-gloss2text")
    dev = shared_data / "translation" / "phoenix2014T_text" / "phoenix2014T.dev.gloss"
    lines = dev.read_text(encoding="utf-8").splitlines()[:12]
    return {
        "capability": torch.backends.cpu.get_cpu_capability(),
        "segments": spotted["segments"],
        "spelled_text": speller.translate(seq)["text"],
        "continuous": glosser.recognize(seq)["glosses"],
        "phoenix": phoenix.translate_text(lines),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
