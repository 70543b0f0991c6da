"""Letters of signers never trained on: a leave-one-signer-out study of the ASL alphabet model.

Three signers, three sources, never mixed up:
- asl:   the ASL alphabet hands (isolated/asl_alphabet_hands, MediaPipe Hands on a selfie-view
         16:9-like camera; the loader mirrors it into the signer's view), 26 letters;
- silfa: SILFA's signer (isolated/silfa_fingerspelling, Holistic, 852x480 video), 24 letters;
- s2s:   the spoken-to-signed-translation ASL fingerspelling lexicon (poses/s2s_fingerspelling_
         lexicon/ase, Holistic, normalised upstream to a square 500x500 frame: x and y in the
         same units), one clip per letter, 26 letters. Tests and benchmarks only (licence).

Each row trains the asl-alphabet config (same split, seed and schedule) on some signers with
some augmentation, and a per-frame logistic baseline on the same training frames in the same
run, and scores both on every signer it never trained on: per-frame top-1 and letters read from
each letter's whole recording / clip (X/N; s2s also X/24 without the motion letters J and Z).
The training signers' held-out blocks (contiguous-block split) give the within-signer number.
`--bundle` also scores committed bundles (no training).

Augmentations (rows): basic = rotation/scale/noise; signer = + hand size, finger proportions,
3-D yaw/pitch, noise 0.005 (the shipped bundle before this study); aspect = + the image's x
stretch, log-uniform in ASPECT (a camera of another aspect ratio: from 21:9 to 4:5 portrait
relative to the 16:9 training images; chosen from camera geometry, not tuned on a test signer).

    OMP_NUM_THREADS=1 nice -n 15 .venv/bin/python bench/bench_letters_signer.py \\
        --rows asl/basic asl/signer asl/aspect asl+silfa/signer asl+silfa/aspect \\
        --bundle models/asl-alphabet --out var/bench/letters_signer.json
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
from recognition.ml.data import (  # noqa: E402
    Run,
    load_asl_npz,
    load_runs,
    split_runs,
    weigh_added_runs,
)
from recognition.ml.evaluate import (  # noqa: E402
    LogisticBaseline,
    _static_rows,
    evaluate_model,
    predict_clips,
)
from recognition.ml.features import build_features  # noqa: E402
from recognition.ml.train import complete_config, fit  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CONFIG = ROOT / "recognition" / "ml" / "configs" / "asl-alphabet.json"
MOTION = ("J", "Z")  # letters drawn in the air: one static frame cannot show them
SIGNER_AUGMENT = {"palm_scale": (0.85, 1.15), "finger_scale": 0.15, "rotate3d_deg": 30.0,
                  "noise": 0.005}
ASPECT = (0.75, 2.25)
AUGMENTS = {"basic": {}, "signer": SIGNER_AUGMENT, "aspect": {**SIGNER_AUGMENT, "aspect": ASPECT}}


def load_signers() -> dict[str, list[Run]]:
    return {
        "asl": load_asl_npz(SHARED / "isolated" / "asl_alphabet_hands" / "asl_alphabet_hands.npz"),
        "silfa": load_runs("gislr", SHARED / "isolated" / "silfa_fingerspelling"),
        "s2s": load_runs("pose", SHARED / "poses" / "s2s_fingerspelling_lexicon" / "ase"),
    }


def base_config(epochs: int | None) -> IsolatedConfig:
    """The asl-alphabet config with the signer-variation augmentation removed."""
    data = json.loads(CONFIG.read_text())
    signer_keys = {*SIGNER_AUGMENT, "aspect", "chirality", "palm_scale", "finger_scale",
                   "rotate3d_deg"}
    data["augment"] = {k: v for k, v in data.get("augment", {}).items() if k not in signer_keys}
    if epochs:
        data.setdefault("train", {})["epochs"] = epochs
    return IsolatedConfig.from_dict(data)


def clip_scores(probs: np.ndarray, runs: list[Run], vocab: list[str]) -> dict:
    """Letters read from whole clips (one prediction per run): X/N, X/N without J and Z."""
    read = {r.label: vocab[int(p.argmax())] for r, p in zip(runs, probs, strict=True)}
    static = {k: v for k, v in read.items() if k not in MOTION}
    return {"letters": f"{sum(k == v for k, v in read.items())}/{len(read)}",
            "static_letters": f"{sum(k == v for k, v in static.items())}/{len(static)}",
            "missed": {k: v for k, v in read.items() if k != v}}


def score_model(model: torch.nn.Module, cfg: IsolatedConfig, runs: list[Run],
                vocab: list[str]) -> dict:
    known = [r for r in runs if r.label in vocab]
    index = {g: i for i, g in enumerate(vocab)}
    clips = [(build_features(r.points, cfg.features), index[r.label]) for r in known]
    return {"frames_top1": evaluate_model(model, known, vocab, cfg.features, 1)["top1"],
            "frames": int(sum(len(r) for r in known)),
            **clip_scores(predict_clips(model, clips), known, vocab)}


def score_baseline(baseline: LogisticBaseline, runs: list[Run], vocab: list[str]) -> dict:
    """A clip's prediction: the mean of its frames' log-probabilities (LogisticBaseline's)."""
    known = [r for r in runs if r.label in vocab]
    probs = np.full((len(known), len(vocab)), -np.inf)
    for i, run in enumerate(known):
        rows = _static_rows(build_features(run.points, baseline.features))
        probs[i, baseline.clf.classes_] = baseline.clf.predict_log_proba(rows).mean(axis=0)
    return {"frames_top1": baseline.evaluate(known, 1)["top1"],
            **clip_scores(probs, known, vocab)}


def run_row(name: str, signers: dict[str, list[Run]], cfg0: IsolatedConfig,
            share: float | None = None) -> dict:
    """name = '<signer>+<signer>/<augment>': train on those signers, score on the others.
    share: the other signers' part of each class's training draws (data.weigh_added_runs);
    None draws by frames (what `train-isolated --add-data` does: the ASL alphabet's ~400 frames
    a letter drown SILFA's ~23)."""
    train_names, augment = name.split("/")
    trained = train_names.split("+")
    vocab = sorted({r.label for r in signers["asl"]})
    cfg = complete_config(cfg0, vocab)
    cfg = dataclasses.replace(cfg, augment=dataclasses.replace(cfg.augment,
                                                               **AUGMENTS[augment]))
    runs = [r for s in trained for r in signers[s] if r.label in vocab]
    if share is not None and len(trained) > 1:
        base = [r for r in signers[trained[0]] if r.label in vocab]
        runs = base + weigh_added_runs(base, runs[len(base):], share)
    splits = split_runs(runs, cfg.train)
    started = time.perf_counter()
    cpu = time.process_time()
    fitted = fit(cfg, splits, vocab, progress=False, log=lambda _: None)
    row: dict = {"trained_on": trained, "added_share": share, "augment": dataclasses.asdict(cfg.augment),
                 "val_top1": fitted.best_val, "best_epoch": fitted.best_epoch,
                 "train_wall_s": round(time.perf_counter() - started, 1),
                 "train_cpu_s": round(time.process_time() - cpu, 1)}
    baseline = LogisticBaseline(cfg.features, vocab, cfg.train.seed).fit(splits["train"])
    row["held_out_blocks"] = {
        "model": evaluate_model(fitted.model, splits["test"], vocab, cfg.features, 1)["top1"],
        "baseline": baseline.evaluate(splits["test"], 1)["top1"]}
    for other in signers:
        if other not in trained:
            row[other] = {"model": score_model(fitted.model, cfg, signers[other], vocab),
                          "baseline": score_baseline(baseline, signers[other], vocab)}
    print(name, json.dumps(row), flush=True)
    return row


def score_bundle(path: Path, signers: dict[str, list[Run]]) -> dict:
    from recognition.ml.infer import IsolatedPredictor

    predictor = IsolatedPredictor.from_bundle(path)
    row = {other: score_model(predictor.model, predictor.config, signers[other],
                              predictor.vocabulary) for other in ("silfa", "s2s")}
    print(path, json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="*", default=["asl/signer", "asl/aspect",
                                                      "asl+silfa/aspect"],
                        help="<signers joined by +>/<basic|signer|aspect>")
    parser.add_argument("--bundle", type=Path, action="append", default=[],
                        help="also score this committed bundle on silfa and s2s")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--seed", type=int, help="training seed (default: the config's)")
    parser.add_argument("--added-share", type=float,
                        help="the added signers' share of each class's training draws")
    parser.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    signers = load_signers()
    cfg0 = base_config(args.epochs)
    if args.seed is not None:
        cfg0 = dataclasses.replace(cfg0, train=dataclasses.replace(cfg0.train, seed=args.seed))
    rows: dict = {}
    for bundle in args.bundle:
        rows[f"bundle:{bundle}"] = score_bundle(bundle, signers)
    for name in args.rows:
        rows[name] = run_row(name, signers, cfg0, args.added_share)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
