"""Decoding settings of a gloss->text bundle compared on a dev set: beam x length penalty x
minimum output length (DecodeConfig.min_len_a), with the copy baseline of the same lines.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_decode_grid.py \\
        --model models/ncslgr-gloss2text --src ../shared/data/translation/ncslgr/dev.gloss \\
        --ref ../shared/data/translation/ncslgr/dev.en --beams 4 8 --alphas 1.0 2.0 \\
        --min-len-a 0 1.0 1.5

Checkpoint averaging as one more axis: with --epochs-dir (the checkpoint folder of a run with
`train-translation --average-last K`) and --average-last K1 K2 ..., each setting also decodes with
the mean of the last Ki kept epochs' weights (translation.ml.train.average_weights) in the
bundle's model, to choose K on dev before rewriting the bundle with that K.

Prints one JSON line per setting (BLEU-4, chrF, BP, length ratio), then the copy baseline; the
setting to keep is chosen from these dev figures. Never point it at a kept-back test split.
Every setting decodes through translation.ml.decode.decode_batch, as jobs and
evaluate-translation do.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from translation.ml.data import encode_gloss_pairs, load_parallel  # noqa: E402
from translation.ml.evaluate import copy_baseline_metrics, evaluate_examples  # noqa: E402
from translation.ml.infer import TranslationPredictor  # noqa: E402
from translation.ml.train import average_weights, epoch_weight_files  # noqa: E402

_BP = re.compile(r"BP = ([\d.]+) ratio = ([\d.]+)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="gloss->text bundle folder")
    parser.add_argument("--src", required=True, help="dev glosses")
    parser.add_argument("--ref", required=True, help="dev references, line-aligned")
    parser.add_argument("--beams", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--alphas", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--min-len-a", type=float, nargs="+", default=[0.0])
    parser.add_argument("--epochs-dir", help="kept epoch weights (epoch-NNN.pt) to average")
    parser.add_argument("--average-last", type=int, nargs="+", default=[0],
                        help="with --epochs-dir: average the last K epochs (0: bundle weights)")
    parser.add_argument("--greedy-too", action="store_true",
                        help="also score greedy search for each weight set")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    predictor = TranslationPredictor.from_bundle(args.model)
    examples = encode_gloss_pairs(load_parallel(args.src, args.ref), predictor.vocab,
                                  predictor.tokenizer, 10_000, predictor.normalize)
    bundle_weights = {k: v.clone() for k, v in predictor.model.state_dict().items()}
    kept = epoch_weight_files(Path(args.epochs_dir), 10**9) if args.epochs_dir else []
    for k in args.average_last:
        if k and len(kept) < k:
            print(f"only {len(kept)} kept epochs; skipping --average-last {k}", file=sys.stderr)
            continue
        weights = average_weights(kept[-k:]) if k else bundle_weights
        predictor.model.load_state_dict(weights)
        averaged = [int(p.stem.split("-")[1]) for p in kept[-k:]] if k else None
        grid = list(itertools.product(args.beams, args.alphas, args.min_len_a))
        if args.greedy_too:
            grid.insert(0, (1, 0.0, 0.0))
        for beam, alpha, floor in grid:
            settings = predictor.decode_settings(beam, alpha, floor)
            metrics, _ = evaluate_examples(predictor.model, examples, predictor.tokenizer,
                                           predictor.vocab, decode=settings)
            bp, ratio = _BP.search(metrics["bleu_detail"]).groups()  # type: ignore[union-attr]
            print(json.dumps({"model": args.model, "averaged_epochs": averaged, "beam": beam,
                              "alpha": alpha, "min_len_a": floor, "bleu4": metrics["bleu4"],
                              "chrf": metrics["chrf"], "bp": float(bp), "ratio": float(ratio),
                              "sentences": metrics["sentences"]}), flush=True)
    base = copy_baseline_metrics(examples)
    print(json.dumps({"model": "copy baseline", "bleu4": base["bleu4"], "chrf": base["chrf"],
                      "bleu_signature": base["bleu_signature"],
                      "chrf_signature": base["chrf_signature"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
