"""More scores for the served reranker's pick (issue 13 item 6): a German language model, a
right-to-left translator.

models/phoenix-gloss2text picks among its beam's finished candidates by forward score + 0.1 x
its reverse (text -> glosses) model's log-probability per gloss piece (translation.ml.rerank).
This bench asks whether a third score lifts PHOENIX dev further:

- `--lm N`: a word N-gram language model with interpolated Kneser-Ney smoothing (discount 0.75),
  trained on the German side of PHOENIX train (there is no other German text here); its
  log-probability per word (end of sentence included). Yee et al. 2019 rerank with an LM too.
- `--r2l CK_DIR:A-B ...`: a right-to-left translator (glosses -> German with the word order of
  each sentence reversed, trained with `slrweb train-translation` on reversed target files, see
  bench/RESULTS.md) from the mean of its kept epoch weights A..B; its log-probability per piece
  of the candidate read backwards. With several, also the mean of their scores.

Each candidate of the beam-8 n-best (as bench_mbr.py reads it; kept in CACHE.json, the same
file bench_noisy_channel.py --cache writes, and written here if missing) gets
forward + lambda x reverse + nu x the extra score; (lambda, nu) on a grid, with lambda = 0.1,
nu = 0 the shipped bundle's own choice. Every choice is made on dev: the weights are picked on
one half and scored on the other, besides the best on all of dev (optimistic). Test is never read.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_rescorers.py CACHE.json --lm 3 4 \\
        --r2l tmp/r2l/s0/ck:20-30 tmp/r2l/s1/ck:20-30
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_noisy_channel import PHOENIX, carried_nbest, choose, served_glosses  # noqa: E402

from translation.ml.evaluate import text_metrics  # noqa: E402
from translation.ml.infer import TranslationPredictor  # noqa: E402
from translation.ml.model import Translator, loaded_state  # noqa: E402
from translation.ml.rerank import channel_logprobs  # noqa: E402
from translation.ml.tokenizer import TextTokenizer  # noqa: E402
from translation.ml.train import average_weights  # noqa: E402

LAMBDAS = (0.0, 0.1, 0.2, 0.3)
NUS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


class KneserNey:
    """Interpolated Kneser-Ney word N-gram model (absolute discount `d` at every order)."""

    def __init__(self, sentences: list[str], n: int, d: float = 0.75) -> None:
        self.n, self.d = n, d
        counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(n + 1)]
        for line in sentences:
            w = ["<s>"] * (n - 1) + line.split() + ["</s>"]
            for i in range(n - 1, len(w)):
                for k in range(1, n + 1):
                    counts[k][tuple(w[i - k + 1: i + 1])] += 1
        # the highest order counts tokens; lower orders count the contexts a word follows
        self.c = [Counter() for _ in range(n + 1)]
        self.c[n] = counts[n]
        for k in range(2, n + 1):
            for gram in counts[k]:
                self.c[k - 1][gram[1:]] += 1
        self.ctx: list[dict[tuple[str, ...], list[int]]] = [defaultdict(lambda: [0, 0])
                                                            for _ in range(n + 1)]
        for k in range(1, n + 1):
            for gram, v in self.c[k].items():
                entry = self.ctx[k][gram[:-1]]
                entry[0] += v
                entry[1] += 1
        self.vocab_size = len(counts[1]) + 1

    def prob(self, history: tuple[str, ...], word: str, k: int) -> float:
        if k == 0:
            return 1.0 / self.vocab_size
        gram = history[len(history) - k + 1:] + (word,) if k > 1 else (word,)
        lower = self.prob(history, word, k - 1)
        total, types = self.ctx[k].get(gram[:-1], (0, 0))
        if total == 0:
            return lower
        return (max(self.c[k].get(gram, 0) - self.d, 0) / total
                + self.d * types / total * lower)

    def logprob_per_word(self, line: str) -> float:
        w = ["<s>"] * (self.n - 1) + line.split() + ["</s>"]
        return sum(math.log(self.prob(tuple(w[i - self.n + 1: i]), w[i], self.n))
                   for i in range(self.n - 1, len(w))) / (len(w) - self.n + 1)


def lm_scores(lm: KneserNey, texts: list[str], refs: list[str]) -> list[float]:
    """Each text's log-probability per word; prints the model's perplexity on `refs`."""
    words = [len(r.split()) + 1 for r in refs]
    logp = sum(lm.logprob_per_word(r) * n for r, n in zip(refs, words, strict=True))
    print(f"    {lm.n}-gram LM: perplexity {math.exp(-logp / sum(words)):.1f} on the references",
          flush=True)
    return [lm.logprob_per_word(t) for t in texts]


def r2l_scores(forward: TranslationPredictor, spec: str, pairs: list[tuple[str, str]]
               ) -> list[float]:
    """Per (gloss line, candidate): the right-to-left model's log-probability per piece."""
    ck, _, epochs = spec.partition(":")
    a, _, z = epochs.partition("-")
    state = average_weights([Path(ck) / f"epoch-{e:03d}.pt" for e in range(int(a), int(z or a) + 1)])
    tokenizer = TextTokenizer(Path(ck) / "spm.model")
    # trained with the forward recipe (bench/RESULTS.md), on the same gloss vocabulary
    cfg = replace(forward.model.cfg, tgt_vocab_size=len(tokenizer))
    model = Translator(cfg)
    model.load_state_dict(loaded_state(state, cfg.tie_embeddings))
    backwards = [(glosses, " ".join(reversed(text.split()))) for glosses, text in pairs]
    return channel_logprobs(model.eval(), forward.vocab, tokenizer, backwards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path)
    parser.add_argument("--model", default="models/phoenix-gloss2text")
    parser.add_argument("--lm", type=int, nargs="*", default=[], help="N-gram orders")
    parser.add_argument("--r2l", nargs="*", default=[], help="CK_DIR:A-B epoch ranges")
    args = parser.parse_args()
    torch.set_num_threads(2)
    forward, nbest, refs, _, sources = carried_nbest(args.model, args.cache)
    texts = [c["text"] for cands in nbest for c in cands]
    flat_glosses = [g for g, cands in zip(served_glosses(forward, sources), nbest, strict=True)
                    for _ in cands]
    half = len(refs) // 2
    parts = (slice(None), slice(0, half), slice(half, None))

    def bleu(hyps: list[str]) -> tuple[float, ...]:
        return tuple(float(text_metrics(hyps[p], refs[p])["bleu4"]) for p in parts)

    def report(name: str, extra: list[float]) -> None:
        table = {}
        values = iter(extra)
        scored = [[dict(c, extra=next(values)) for c in cands] for cands in nbest]
        for lam, nu in itertools.product(LAMBDAS, NUS):
            table[(lam, nu)] = bleu(choose(scored, {"reverse": lam, "extra": nu}))
        best = max(table, key=lambda k: table[k][0])
        crossed = [(k, table[k][score]) for pick, score in ((1, 2), (2, 1))
                   for k in [max(table, key=lambda k, p=pick: table[k][p])]]
        print(f"| {name} | {table[(0.0, 0.0)][0]} | {table[(0.1, 0.0)][0]} "
              f"({table[(0.1, 0.0)][1]} / {table[(0.1, 0.0)][2]}) | {table[best][0]} at "
              f"{best} ({table[best][1]} / {table[best][2]}) | "
              f"{crossed[1][1]} at {crossed[1][0]} / {crossed[0][1]} at {crossed[0][0]} |",
              flush=True)
        for lam in (0.0, 0.1):
            print("    lambda", lam, "; ".join(f"nu {nu}: {table[(lam, nu)]}" for nu in NUS[1:]),
                  flush=True)

    print("| third score | beam's own pick | shipped pick, lambda 0.1 (halves) | best on all dev "
          "(halves) | picked on the other half: first / second |\n|---|---|---|---|---|")
    extras: dict[str, Callable[[], list[float]]] = {}
    if args.lm:
        train = Path(PHOENIX + "train.de").read_text().splitlines()
        for n in args.lm:
            extras[f"{n}-gram LM"] = lambda n=n: lm_scores(KneserNey(train, n), texts, refs)
    for spec in args.r2l:
        extras[f"right-to-left {spec}"] = lambda spec=spec: r2l_scores(
            forward, spec, list(zip(flat_glosses, texts, strict=True)))
    got: dict[str, list[float]] = {}
    for name, compute in extras.items():
        got[name] = compute()
        report(name, got[name])
    r2l = [v for k, v in got.items() if k.startswith("right-to-left")]
    if len(r2l) > 1:
        report(f"right-to-left, mean of {len(r2l)}", [sum(c) / len(c) for c in zip(*r2l)])


if __name__ == "__main__":
    main()
