"""Fine-tuning a registered translator on corrected translations (`slrweb retrain --task
translation` = translation.ml.finetune), measured on real data without the web stack.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python bench/bench_finetune.py \\
        --model models/phoenix-gloss2text --data ../shared/data/translation/phoenix2014T_text

The "corrections" are half of the PHOENIX-2014-T dev lines (gloss line + German text, chosen
by corpus.split.bucket of the line number, so the halves are fixed); the other half is held out.
Both the bundle and its fine-tuned copy are scored on the held-out half with the bundle's own
decoding (sacreBLEU BLEU-4, chrF): the gain is the effect of learning from corrections of the
same domain. Caveat: dev also chose the bundle's checkpoint, for both rows alike.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from corpus.split import bucket  # noqa: E402
from translation.ml.data import load_parallel  # noqa: E402
from translation.ml.evaluate import evaluate_examples  # noqa: E402
from translation.ml.finetune import Correction, examples_for, finetune  # noqa: E402
from translation.ml.infer import TranslationPredictor  # noqa: E402


def score(bundle: Path, held_out: list[Correction], limit: int) -> dict:
    predictor = TranslationPredictor.from_bundle(bundle)
    examples = examples_for(predictor, held_out)[:limit]
    metrics, _ = evaluate_examples(predictor.model, examples, predictor.tokenizer,
                                   predictor.vocab, decode=predictor.decode_settings())
    return {k: metrics[k] for k in ("bleu4", "chrf")} | {"lines": len(examples)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--eval-lines", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)
    pairs = load_parallel(args.data / "phoenix2014T.dev.gloss", args.data / "phoenix2014T.dev.de")
    halves: dict[bool, list[Correction]] = {True: [], False: []}
    for i, (gloss, text) in enumerate(pairs):
        halves[bucket(f"phoenix-dev-{i}") < 0.5].append(Correction(text=text,
                                                                   glosses=gloss.split()))
    corrections, held_out = halves[True], halves[False]
    t0 = time.monotonic()
    before = score(args.model, held_out, args.eval_lines)
    with tempfile.TemporaryDirectory() as tmp:
        t1 = time.monotonic()
        out = finetune(args.model, corrections, [], Path(tmp) / "bundle", name="bench",
                       language="gsg", card="bench", epochs=args.epochs, lr=args.lr)
        train_s = time.monotonic() - t1
        after = score(out, held_out, args.eval_lines)
    print(json.dumps({
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread",
        "corrections": len(corrections), "held_out_lines": before["lines"],
        "epochs": args.epochs, "lr": args.lr, "before": before, "after": after,
        "finetune_seconds": round(train_s, 1),
        "total_seconds": round(time.monotonic() - t0, 1)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
