"""Minimum-Bayes-risk selection over a gloss->text bundle's beam n-best, on a dev set (issue 13
item 6's "every choice made on dev"): does picking the candidate that agrees most with the other
candidates (expected sentence BLEU or chrF, candidates weighted uniformly, by their length-
normalised score or by their total log-probability) beat the beam's own choice (MAP)?

The n-best is the beam's finished hypotheses, which decode_batch hands to a reranker: this probe
gives it one that keeps them and picks the beam's own choice (so the MAP row is exactly what
evaluate-translation scores without reranking). Both dev halves are reported so that a
gain can be told from noise.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_mbr.py --model models/phoenix-gloss2text \\
        --src DEV.gloss --ref DEV.de [--beam 8]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
from typing import Any

import torch

from translation.ml.decode import Hypothesis
from translation.ml.data import bucket_batches, encode_gloss_pairs, load_parallel
from translation.ml.evaluate import decode_examples, text_metrics
from translation.ml.infer import TranslationPredictor

WEIGHTINGS = (("uniform", 0.0), ("score", 1.0), ("logprob", 1.0), ("logprob", 0.5),
              ("logprob", 0.25))


class _KeepAll:
    """A reranker that keeps every row's n-best and picks the beam's own choice."""

    def __init__(self) -> None:
        self.rows: list[list[Hypothesis]] = []

    def pick(self, src: torch.Tensor, src_mask: torch.Tensor, nbest: list[list[Hypothesis]],
             weight: float) -> list[Hypothesis]:
        self.rows.extend(nbest)
        return [cands[0] for cands in nbest]


def nbest_lists(predictor: TranslationPredictor, src: str, ref: str, beam: int
                ) -> tuple[list[list[tuple[str, float, float]]], list[str], list[str], list[str]]:
    """(candidates per sentence: (text, normalised score, total log-prob)), refs, MAP texts and
    the gloss lines they translate (pairs with an empty side are left out, as evaluation does)."""
    keep = _KeepAll()
    examples = encode_gloss_pairs(load_parallel(src, ref), predictor.vocab, predictor.tokenizer,
                                  10_000, predictor.normalize)
    # rerank_weight > 0 hands every n-best to the reranker, which keeps it and picks the first
    settings = replace(predictor.decode_settings(), beam_size=beam, rerank_weight=1.0)
    texts, _ = decode_examples(predictor.model, examples, predictor.tokenizer, settings, None,
                               progress=True, reranker=keep)
    order = [i for idx in bucket_batches([e.src_len for e in examples], 64, shuffle=False)
             for i in idx]
    nbest: list[list[tuple[str, float, float]]] = [[] for _ in examples]
    for i, cands in zip(order, keep.rows, strict=True):
        nbest[i] = [(predictor.tokenizer.decode(h.tokens), h.score,
                     sum(h.logprobs) + h.extra.get("eos_logprob", 0.0)) for h in cands]
    return nbest, [e.text for e in examples], texts, [e.source for e in examples]


def mbr(nbest: list[list[tuple[str, float, float]]], utility: Any, weighting: str,
        scale: float) -> list[str]:
    out = []
    for cands in nbest:
        if weighting == "uniform":
            w = [1.0] * len(cands)
        else:
            key = 1 if weighting == "score" else 2
            top = max(c[key] for c in cands)
            w = [math.exp(scale * (c[key] - top)) for c in cands]
        total = sum(w)
        w = [x / total for x in w]

        def gain(i: int, cands: list[tuple[str, float, float]] = cands, w: list[float] = w
                 ) -> float:
            return sum(w[j] * utility(cands[i][0], cands[j][0])
                       for j in range(len(cands)) if j != i) / max(1e-9, 1 - w[i])

        out.append(cands[max(range(len(cands)), key=gain)][0])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--src", required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--beam", type=int, default=8)
    args = parser.parse_args()
    from sacrebleu.metrics import BLEU, CHRF

    torch.set_num_threads(2)
    nbest, refs, texts, _ = nbest_lists(TranslationPredictor.from_bundle(args.model), args.src,
                                     args.ref, args.beam)
    bleu, chrf = BLEU(effective_order=True), CHRF()
    utilities = {"bleu": lambda h, r: bleu.sentence_score(h, [r]).score,
                 "chrf": lambda h, r: chrf.sentence_score(h, [r]).score}
    half = len(refs) // 2

    def row(name: str, hyps: list[str]) -> None:
        m = text_metrics(hyps, refs)
        a, b = (text_metrics(hyps[s], refs[s])["bleu4"] for s in (slice(0, half),
                                                                 slice(half, None)))
        print(f"| {name} | {m['bleu4']} | {m['chrf']} | {a} / {b} |", flush=True)

    print("| selection | BLEU-4 | chrF | BLEU-4 of the dev halves |\n|---|---|---|---|")
    row(f"MAP (the beam's choice, beam {args.beam})", texts)
    for util in utilities:
        for weighting, scale in WEIGHTINGS:
            row(f"MBR {util}, {weighting}" + (f" x {scale}" if weighting != "uniform" else ""),
                mbr(nbest, utilities[util], weighting, scale))


if __name__ == "__main__":
    main()
