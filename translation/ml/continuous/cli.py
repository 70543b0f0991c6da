"""`slrweb train-continuous` / `slrweb evaluate-continuous`: BOSTON-104 CTC recogniser + HMM
baseline. Heavy imports happen inside the handlers so that `slrweb --help` stays fast."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared/data/continuous/" \
    "boston104_handtracks"


def register(subparsers: Any) -> None:
    """Add the continuous recogniser's subcommands to the `slrweb` parser."""
    p = subparsers.add_parser("train-continuous",
                              help="train the CTC gloss recogniser on BOSTON-104, write a bundle")
    _add_common(p)
    p.add_argument("--out", required=True, help="bundle folder to write")
    p.add_argument("--name", default="ase-continuous-glosses")
    p.add_argument("--language", default="ase")
    p.add_argument("--protocol-results", help="JSON rows from evaluate-continuous for the card")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("evaluate-continuous",
                              help="gloss WER of CTC vs HMM per fold (database split, by signer)")
    _add_common(p)
    p.add_argument("--folds", default="0,1,2,3",
                   help="0 = database split, 1-3 = test signer man-1, woman-1, woman-2")
    p.add_argument("--json-out", help="append the rows to this JSON file (merged by fold)")
    p.add_argument("--model", help="instead: score this bundle on the database test split")
    p.add_argument("--bundle-out", help="also write the database-split model (fold 0) as a bundle")
    p.set_defaults(func=cmd_evaluate)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=os.environ.get("SLRWEB_BOSTON104", str(DEFAULT_DATA)))
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--conv-layers", type=int, default=0, help="seed-001 temporal conv blocks")
    p.add_argument("--frame-stride", type=int, default=2, help="input frames per model step")
    p.add_argument("--frame-weight", type=float, default=0.0,
                   help="weight of the auxiliary frame-label loss (0 = pure CTC)")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--no-hmm", action="store_true", help="skip the HMM baseline")
    p.add_argument("--hmm-only", action="store_true", help="only the HMM baseline")
    p.add_argument("--hmm-wide-grid", action="store_true",
                   help="choose the HMM's LM weight / insertion penalty from a wider grid")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--variant", default="", help="label of this configuration in the results")


def _settings(args: argparse.Namespace) -> Any:
    from translation.ml.continuous.augment import NO_AUGMENT, AugmentSettings
    from translation.ml.continuous.evaluate import ProtocolSettings
    from translation.ml.continuous.model import CTCModelConfig
    from translation.ml.continuous.train import TrainSettings

    model = CTCModelConfig(d_model=args.d_model, n_layers=args.layers, d_ff=2 * args.d_model,
                           dropout=args.dropout, conv_layers=args.conv_layers,
                           frame_head=args.frame_weight > 0, frame_stride=args.frame_stride)
    train = TrainSettings(epochs=args.epochs, seed=args.seed, frame_weight=args.frame_weight,
                          eval_every=5,
                          augment=NO_AUGMENT if args.no_augment else AugmentSettings())
    return ProtocolSettings(seed=args.seed, model=model, train=train, run_hmm=not args.no_hmm,
                            run_ctc=not args.hmm_only, hmm_wide_grid=args.hmm_wide_grid)


def _log(record: Any) -> None:
    """Training lines (text, from the core loop) as they are; records as JSON."""
    print(record if isinstance(record, str) else json.dumps(record), file=sys.stderr, flush=True)


def cmd_evaluate(args: argparse.Namespace) -> int:
    import torch

    from translation.ml.continuous.data import evaluation_folds, load_boston
    from translation.ml.continuous.evaluate import run_fold

    torch.set_num_threads(args.threads)
    sentences = load_boston(args.data)
    if args.model:
        return _score_bundle(args.model, [s for s in sentences if s.split == "test"])
    folds = evaluation_folds(sentences)
    rows = []
    for k in (int(x) for x in args.folds.split(",")):
        settings = _settings(args)
        ctc, row = run_fold(folds[k], settings, _log)
        row["variant"] = args.variant
        row["command"] = " ".join(["slrweb", *sys.argv[1:]])
        rows.append(row)
        if args.bundle_out and k == 0 and ctc is not None:
            from translation.ml.continuous.bundle import write_continuous_bundle

            write_continuous_bundle(args.bundle_out, "ase-continuous-glosses", "ase", ctc,
                                    settings, row, [row], row["command"])
        print(json.dumps({k: v for k, v in row.items() if k != "ctc_dev_history"}), flush=True)
        if args.json_out:
            _merge_rows(Path(args.json_out), [row])
    return 0


def _merge_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    """Keep one row per (fold, variant) in the JSON file: reruns replace their old row."""
    old = json.loads(path.read_text()) if path.is_file() else []
    keys = {(r["fold"], r.get("variant", "")) for r in rows}
    kept = [r for r in old if (r["fold"], r.get("variant", "")) not in keys]
    path.write_text(json.dumps(kept + rows, indent=1) + "\n")


def _score_bundle(bundle: str, test: list[Any]) -> int:
    """Gloss WER of the bundle's own decoder, and how often its CTC times hit the true words."""
    import numpy as np

    from translation.ml.continuous.evaluate import timing_hit_rate
    from translation.ml.continuous.features import TRAIN_FPS, track_features
    from translation.ml.continuous.infer import ContinuousPredictor
    from translation.ml.continuous.train import gloss_wer

    predictor = ContinuousPredictor.from_bundle(bundle)
    timed = [predictor.recognize_features(track_features(s.tracks), np.arange(len(s)) / TRAIN_FPS)
             for s in test]
    wer = gloss_wer([[g["gloss"] for g in t] for t in timed], [s.glosses for s in test])
    print(json.dumps({"model": predictor.name, "split": "database test", "sentences": len(test),
                      "gloss_wer": round(wer, 4),
                      "timing_hit_rate": round(timing_hit_rate(test, timed, TRAIN_FPS), 4)}))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from translation.ml.continuous.bundle import write_continuous_bundle
    from translation.ml.continuous.data import evaluation_folds, load_boston
    from translation.ml.continuous.evaluate import run_fold

    torch.set_num_threads(args.threads)
    fold = evaluation_folds(load_boston(args.data))[0]  # the database's own split
    settings = _settings(args)
    ctc, row = run_fold(fold, settings, _log)
    if ctc is None:
        raise SystemExit("train-continuous needs the CTC model (drop --hmm-only)")
    protocol = json.loads(Path(args.protocol_results).read_text()) \
        if args.protocol_results else []
    command = " ".join(["slrweb", *sys.argv[1:]])
    out = write_continuous_bundle(args.out, args.name, args.language, ctc, settings, row,
                                  protocol, command)
    print(json.dumps({k: v for k, v in row.items() if k != "ctc_dev_history"}))
    print(f"wrote {out}", file=sys.stderr)
    return 0
