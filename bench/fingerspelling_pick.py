"""Which epoch of a fingerspelling run reads long dev phrases best through the windowed reader?

Training keeps the epoch with the best dev CER of the attention decoder; the shipped reader is the
CTC head read in windows. This scores per-epoch copies of a run's checkpoint (last.pt, copied
after each epoch) with the windowed reader on dev phrases of six dev words (never the held-out
words), next to the bundle the run wrote, so the two choices can be compared:

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/fingerspelling_pick.py \
        --bundle RUN/bundle --snapshots SNAPSHOT_DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from bench_fingerspelling import SHARED, read_all, scores  # (sets sys.path)
from landmarks.sequence import LandmarkSequence
from translation.ml.fingerspell import heldout_phrases
from translation.ml.infer import TranslationPredictor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, help="the bundle the run wrote")
    parser.add_argument("--snapshots", required=True, help="folder of per-epoch last.pt copies")
    parser.add_argument("--dev-sequences", type=int, default=40)
    parser.add_argument("--window", type=int, default=96)
    parser.add_argument("--overlap", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ns = argparse.Namespace(isolated_dir=str(SHARED / "isolated"), heldout_fraction=0.15,
                            words=None, dev_sequences=args.dev_sequences)
    dev = heldout_phrases(ns, 6, count=args.dev_sequences, split="dev")
    seqs = [LandmarkSequence.from_points(p.points, fps=p.fps) for p in dev]
    refs = [p.text for p in dev]
    predictor = TranslationPredictor.from_bundle(args.bundle)
    predictor.config = {**predictor.config, "reader": {
        **predictor.config["reader"], "window": args.window, "overlap": args.overlap}}
    out = {"bundle": scores(read_all(predictor, seqs), refs)}
    print("bundle", out["bundle"], flush=True)
    for snap in sorted(Path(args.snapshots).glob("*.pt")):
        saved = torch.load(snap, map_location="cpu", weights_only=False)
        predictor.model.load_state_dict(saved["model"])
        epoch = saved["state"]["epoch"]
        out[f"epoch {epoch}"] = scores(read_all(predictor, seqs), refs)
        print(f"epoch {epoch}", out[f"epoch {epoch}"], flush=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
