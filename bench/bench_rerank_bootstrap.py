"""The served reranker's dev gain with its weight chosen on other sentences, and how far a corpus
BLEU of dev's size moves by chance: a bootstrap over PHOENIX dev (issue 13 item 6).

models/phoenix-gloss2text picks among its beam-8 candidates by forward score + lambda x its
reverse model's log-probability per gloss piece, lambda = 0.1 chosen on all of dev (optimistic).
For each of B resamples of the dev sentences (drawn with replacement):

- lambda is picked again on the resample (the grid below, 0 = the beam's own pick) and the pick
  and the beam are scored on the sentences the resample left out (out of bag, about 37% of dev):
  the gain a set of unseen sentences sees with the choice of lambda included. The choice of the
  reverse model itself (among the runs in bench/RESULTS.md) is not redone, so this still leans
  optimistic;
- the shipped system (lambda 0.1) and the beam are scored on the resample: the spread of corpus
  BLEU over sets of dev's size, and the share of resamples where the reranker wins (a paired
  bootstrap, Koehn 2004).

Sentence statistics come from sacrebleu's own BLEU (13a, as text_metrics scores), summed per
resample. Test is never read.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_rerank_bootstrap.py CACHE.json [--samples 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_noisy_channel import carried_nbest, choose  # noqa: E402

from translation.ml.evaluate import text_metrics  # noqa: E402

LAMBDAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


class SentenceBleu:
    """Per-sentence BLEU sufficient statistics of a system; corpus BLEU of any subset (with
    repeats) from their sum."""

    def __init__(self, hyps: list[str], refs: list[str]) -> None:
        from sacrebleu.metrics import BLEU

        self.metric = BLEU(force=True)
        self.stats = np.array(self.metric._extract_corpus_statistics(hyps, [refs]), dtype=np.int64)

    def score(self, rows: np.ndarray) -> float:
        total = self.stats[rows].sum(axis=0)
        return float(self.metric._compute_score_from_stats(total.tolist()).score)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path, help="n-best JSON (bench_noisy_channel.py --cache)")
    parser.add_argument("--model", default="models/phoenix-gloss2text")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    forward, nbest, refs, beam_texts, _ = carried_nbest(args.model, args.cache)
    shipped = forward.decode_settings().rerank_weight
    if shipped not in LAMBDAS:
        raise SystemExit(f"the bundle's rerank weight {shipped} is not on the grid {LAMBDAS}")
    systems = {lam: choose(nbest, {"reverse": lam}) for lam in LAMBDAS}
    if systems[0.0] != beam_texts:
        raise SystemExit("lambda 0 does not reproduce the beam's own pick")
    stats = {lam: SentenceBleu(texts, refs) for lam, texts in systems.items()}
    n = len(refs)
    every = np.arange(n)
    for lam in (0.0, shipped):
        check = text_metrics(systems[lam], refs)["bleu4"]
        print(f"lambda {lam}: BLEU-4 {stats[lam].score(every):.2f} on all dev "
              f"(text_metrics: {check})")

    rng = np.random.default_rng(args.seed)
    oob_gain, oob_beam, picked, boot_ship, boot_beam = [], [], [], [], []
    for _ in range(args.samples):
        rows = rng.integers(0, n, n)
        out = np.setdiff1d(every, rows)
        best = max(LAMBDAS, key=lambda lam: (stats[lam].score(rows), -lam))
        picked.append(best)
        beam_out = stats[0.0].score(out)
        oob_beam.append(beam_out)
        oob_gain.append(stats[best].score(out) - beam_out)
        boot_ship.append(stats[shipped].score(rows))
        boot_beam.append(stats[0.0].score(rows))

    def spread(values: list[float]) -> str:
        lo, mid, hi = np.percentile(values, [5, 50, 95])
        return f"mean {np.mean(values):+.2f}, median {mid:+.2f}, 90% interval [{lo:+.2f}, {hi:+.2f}]"

    ship, beam = np.array(boot_ship), np.array(boot_beam)
    print(f"\n{args.samples} resamples of {n} dev sentences (seed {args.seed})")
    print("lambda picked on the resample:",
          ", ".join(f"{lam}: {picked.count(lam)}" for lam in LAMBDAS))
    print(f"out of bag, reranker with lambda chosen in bag minus the beam: {spread(oob_gain)}"
          f" BLEU (the beam's own out-of-bag BLEU: mean {np.mean(oob_beam):.2f})")
    print(f"shipped (lambda {shipped}) over resamples: {np.mean(ship):.2f}, 90% interval "
          f"[{np.percentile(ship, 5):.2f}, {np.percentile(ship, 95):.2f}]; beam: "
          f"{np.mean(beam):.2f} [{np.percentile(beam, 5):.2f}, {np.percentile(beam, 95):.2f}]")
    print(f"paired: the shipped reranker beats the beam in {np.mean(ship > beam):.1%} of "
          f"resamples (gain {spread(list(ship - beam))})")
    print(f"resamples of dev at or above 25.00 BLEU: shipped {np.mean(ship >= 25):.1%}, "
          f"beam {np.mean(beam >= 25):.1%}")


if __name__ == "__main__":
    main()
