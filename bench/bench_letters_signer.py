"""Letters of a signer never trained on: the ASL alphabet model with and without signer-variation
augmentation, trained in the same run with the same split, seed and schedule.

Trains the asl-alphabet config twice on the one-signer ASL alphabet hands (contiguous-block split):
once as configured (rotation/scale/noise only) and once with the signer-variation augmentation
(hand size and finger proportions, 3-D camera yaw/pitch, optional chirality flips). Both are
scored on the held-out blocks (same signer) and on SILFA's signer (Holistic video, another
person and camera, 24 shared letters, never trained on): per-frame top-1 and letters read from
each letter's whole recording (one clip per letter, X/24).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_letters_signer.py [--epochs 20]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recognition.ml.config import IsolatedConfig  # noqa: E402
from recognition.ml.data import Run, load_asl_npz, load_runs, split_runs  # noqa: E402
from recognition.ml.evaluate import evaluate_model, predict_clips  # noqa: E402
from recognition.ml.features import build_features  # noqa: E402
from recognition.ml.train import complete_config, fit  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SIGNER_AUGMENT = {"palm_scale": (0.85, 1.15), "finger_scale": 0.15, "rotate3d_deg": 30.0,
                  "noise": 0.005}


def letters_read(model: torch.nn.Module, cfg: IsolatedConfig, runs: list[Run],
                 vocab: list[str]) -> dict[str, str]:
    """Each letter's whole recording as one clip -> the letter the model reads."""
    index = {g: i for i, g in enumerate(vocab)}
    clips = [(build_features(r.points, cfg.features), index[r.label]) for r in runs]
    probs = predict_clips(model, clips)
    return {r.label: vocab[int(p.argmax())] for r, p in zip(runs, probs, strict=True)}


def score(name: str, cfg: IsolatedConfig, splits: dict[str, list[Run]], vocab: list[str],
          other: list[Run]) -> dict:
    started = time.perf_counter()
    fitted = fit(cfg, splits, vocab, progress=False, log=lambda _: None)
    model = fitted.model
    read = letters_read(model, cfg, other, vocab)
    row = {
        "val_top1": fitted.best_val, "best_epoch": fitted.best_epoch,
        "test_top1_frames": evaluate_model(model, splits["test"], vocab, cfg.features, 1)["top1"],
        "other_signer_top1_frames": evaluate_model(model, other, vocab, cfg.features, 1)["top1"],
        "other_signer_letters": f"{sum(k == v for k, v in read.items())}/{len(read)}",
        "other_signer_missed": {k: v for k, v in read.items() if k != v},
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(name, json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path,
                        default=ROOT / "recognition" / "ml" / "configs" / "asl-alphabet.json")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--chirality", type=float, default=0.0,
                        help="also flip hand chirality with this probability (augmented run)")
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = json.loads(args.config.read_text())
    data["augment"] = {k: v for k, v in data.get("augment", {}).items()
                       if k not in SIGNER_AUGMENT and k not in ("palm_scale", "finger_scale",
                                                                 "rotate3d_deg", "chirality")}
    if args.epochs:
        data.setdefault("train", {})["epochs"] = args.epochs
    before = IsolatedConfig.from_dict(data)
    runs = load_asl_npz(SHARED / "isolated" / "asl_alphabet_hands" / "asl_alphabet_hands.npz")
    vocab = sorted({r.label for r in runs})
    before = complete_config(before, vocab)
    after = dataclasses.replace(before, augment=dataclasses.replace(
        before.augment, **SIGNER_AUGMENT, chirality=args.chirality))
    splits = split_runs(runs, before.train)
    other = [r for r in load_runs("gislr", SHARED / "isolated" / "silfa_fingerspelling")
             if r.label in vocab]
    rows = {"before (rotation/scale/noise)": score("before", before, splits, vocab, other),
            "after (+ signer variation)": score("after", after, splits, vocab, other)}
    rows["augment_after"] = dataclasses.asdict(after.augment)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    print(json.dumps({k: v for k, v in rows.items() if k != "augment_after"}, indent=2))
    np.set_printoptions()


if __name__ == "__main__":
    main()
