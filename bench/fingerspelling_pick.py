"""Which bundle, or which epoch of a fingerspelling run, reads long dev phrases best through the
windowed reader?

Training keeps the epoch with the best dev CER of the attention decoder; the shipped reader is the
CTC head read in windows. This scores bundles (--bundle, repeatable: e.g. the shipped one and a
candidate, on the same phrases) and per-epoch copies of a run's checkpoint (--snapshots: last.pt
copied after each epoch, loaded into the first bundle) with the windowed reader on dev phrases of
six dev words (never the held-out words), so the choices can be compared. --synth-noise draws the
dev phrases with that landmark jitter instead of SynthesisConfig's default:

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/fingerspelling_pick.py \\
        --bundle RUN/bundle --snapshots SNAPSHOT_DIR
    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/fingerspelling_pick.py \\
        --bundle models/fingerspelling-ase-transformer --bundle CANDIDATE [--synth-noise 0.01]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from bench_fingerspelling import SHARED, read_all, scores  # (sets sys.path)
from landmarks.sequence import LandmarkSequence
from translation.ml.fingerspell import SynthesisConfig, heldout_phrases
from translation.ml.infer import TranslationPredictor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, action="append",
                        help="a bundle to score (repeatable; snapshots load into the first)")
    parser.add_argument("--snapshots", help="folder of per-epoch last.pt copies")
    parser.add_argument("--dev-sequences", type=int, default=40)
    parser.add_argument("--window", type=int, default=96)
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--synth-noise", type=float, default=None,
                        help="landmark jitter of the dev phrases, palm sizes (default: "
                             "SynthesisConfig's)")
    parser.add_argument("--out", help="also write the scores here (JSON)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ns = argparse.Namespace(isolated_dir=str(SHARED / "isolated"), heldout_fraction=0.15,
                            words=None, dev_sequences=args.dev_sequences)
    cfg = SynthesisConfig() if args.synth_noise is None else SynthesisConfig(
        noise=args.synth_noise)
    dev = heldout_phrases(ns, 6, count=args.dev_sequences, split="dev", cfg=cfg)
    seqs = [LandmarkSequence.from_points(p.points, fps=p.fps) for p in dev]
    refs = [p.text for p in dev]
    out = {"dev_sequences": len(dev), "synth_noise": cfg.noise,
           "reader": {"window": args.window, "overlap": args.overlap}}
    predictors = []
    for path in args.bundle:
        predictor = TranslationPredictor.from_bundle(path)
        predictor.config = {**predictor.config, "reader": {
            **predictor.config["reader"], "window": args.window, "overlap": args.overlap}}
        out[path] = scores(read_all(predictor, seqs), refs)
        print(path, out[path], flush=True)
        predictors.append(predictor)
    for snap in sorted(Path(args.snapshots).glob("*.pt")) if args.snapshots else []:
        saved = torch.load(snap, map_location="cpu", weights_only=False)
        predictors[0].model.load_state_dict(saved["model"])
        epoch = saved["state"]["epoch"]
        out[f"epoch {epoch}"] = scores(read_all(predictors[0], seqs), refs)
        print(f"epoch {epoch}", out[f"epoch {epoch}"], flush=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
