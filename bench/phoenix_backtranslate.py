"""Synthetic gloss lines for PHOENIX train's German (back-translation, issue 13 item 6).

The reverse model inside models/phoenix-gloss2text (German -> glosses, translation.ml.rerank)
reads every German sentence of PHOENIX train and *samples* gloss lines from its distribution
(sampling, not beam: Edunov et al. 2018 found sampled back-translations teach more than the
most likely ones); glosses the forward vocabulary does not know are dropped, and a sample equal
to the real gloss line or to an earlier sample of the same sentence is not kept. The output is
the real pairs followed by the synthetic ones, as line-aligned files for train-translation.
There is no German text here beyond PHOENIX train's own, so this is augmentation of the
training pairs' source side, not new text. Dev and test are never read.

    OMP_NUM_THREADS=2 .venv/bin/python bench/phoenix_backtranslate.py --samples 1 --out tmp/bt/train
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from bench_noisy_channel import PHOENIX

from mlcore.bundle import BundleError
from translation.ml.data import Example, collate, load_parallel
from translation.ml.decode import eval_mode
from translation.ml.infer import TranslationPredictor
from translation.ml.model import Translator
from translation.ml.rerank import carried_reverse
from translation.ml.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID



def sample(model: Translator, src: torch.Tensor, src_mask: torch.Tensor, max_len: int,
           temperature: float, generator: torch.Generator) -> list[list[int]]:
    """One sampled output per row (piece ids, without bos/eos)."""
    with eval_mode(model), torch.no_grad():
        memory = model.encode(src, src_mask)
        ys = torch.full((src.shape[0], 1), BOS_ID, dtype=torch.long)
        done = torch.zeros(src.shape[0], dtype=torch.bool)
        for _ in range(max_len):
            logits = model.decode(ys, memory, src_mask)[:, -1].float() / temperature
            nxt = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(1)
            nxt[done] = PAD_ID
            ys = torch.cat([ys, nxt[:, None]], 1)
            done |= nxt == EOS_ID
            if bool(done.all()):
                break
    out = []
    for row in ys[:, 1:].tolist():
        ids = row[: row.index(EOS_ID)] if EOS_ID in row else row
        out.append([i for i in ids if i != PAD_ID])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/phoenix-gloss2text")
    parser.add_argument("--samples", type=int, default=1, help="sampled gloss lines per sentence")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="writes OUT.gloss and OUT.de")
    args = parser.parse_args()
    forward = TranslationPredictor.from_bundle(args.model)
    try:
        reverse = carried_reverse(forward)
    except BundleError as e:
        raise SystemExit(str(e)) from e
    pairs = load_parallel(PHOENIX + "train.gloss", PHOENIX + "train.de")
    generator = torch.Generator().manual_seed(args.seed)
    kept: list[tuple[str, str]] = []
    seen = [{" ".join(forward.normalize(g).split())} for g, _ in pairs]
    for _ in range(args.samples):
        for a in range(0, len(pairs), 64):
            chunk = pairs[a: a + 64]
            batch = collate([Example(src=reverse.vocab.encode(t) or [UNK_ID], ctc=[],
                                     tgt=[]) for _, t in chunk])
            outs = sample(reverse.model, batch.src, batch.src_mask, 2 * batch.src.shape[1] + 10,
                          args.temperature, generator)
            for i, ((_, text), ids) in enumerate(zip(chunk, outs, strict=True)):
                glosses = [g for g in reverse.tokenizer.decode(ids).split()
                           if forward.vocab.stoi.get(g, UNK_ID) != UNK_ID]
                line = " ".join(glosses)
                if line and line not in seen[a + i]:
                    seen[a + i].add(line)
                    kept.append((line, text))
            print(f"\rsampled {min(a + 64, len(pairs))}/{len(pairs)}", end="", flush=True)
    print(f"\n{len(pairs)} real pairs, {len(kept)} synthetic ones")
    all_pairs = pairs + kept
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".gloss").write_text("\n".join(g for g, _ in all_pairs) + "\n")
    args.out.with_suffix(".de").write_text("\n".join(t for _, t in all_pairs) + "\n")
    for g, t in kept[:5]:
        print(f"  {g}  <-  {t}")


if __name__ == "__main__":
    main()
