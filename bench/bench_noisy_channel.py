"""Noisy-channel reranking of a gloss->text bundle's beam n-best on a dev set (issue 13 item 6).

Each candidate text y of the forward model's beam (its n-best, as bench_mbr.py reads it) for the
glosses x is scored again by a *reverse* model, text -> glosses, trained on the same training
pairs the other way round: how well does y explain x, log P(x | y)? The pick is the candidate
with the best

    log P(y | x) / |y|^a   +   lambda * log P(x | y) / |x|   +   mu * words(y)

(the forward score as the beam ranks it, the reverse log-probability per gloss piece, a word
bonus), after Yee et al. 2019, "Simple and effective noisy channel modeling for neural machine
translation", without their language model (no German text beyond PHOENIX's own is at hand).
lambda = mu = 0 is the beam's own choice (MAP).

Every choice is made on dev, so the weights are picked twice, each time on one half of dev and
scored on the other (the "held-out half" row), besides the best weights on all of dev
(optimistic). The test split is never read.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_noisy_channel.py --model models/phoenix-gloss2text \\
        --reverse REVERSE_BUNDLE [REVERSE_BUNDLE ...] --src DEV.gloss --ref DEV.de [--beam 8]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mbr import nbest_lists  # noqa: E402

from translation.ml.evaluate import text_metrics  # noqa: E402
from translation.ml.infer import TranslationPredictor  # noqa: E402
from translation.ml.model import Translator  # noqa: E402
from translation.ml.rerank import channel_logprobs, known_glosses  # noqa: E402
from translation.ml.tokenizer import GlossVocab, TextTokenizer  # noqa: E402

PHOENIX = "../shared/data/translation/phoenix2014T_text/phoenix2014T."
LAMBDAS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5)
MUS = (0.0, 0.05, 0.1, 0.2, 0.3)


def choose(nbest: list[list[dict]], weights: dict[str, float]) -> list[str]:
    """Each sentence's candidate with the best forward score + sum of weight x its feature
    (a candidate is {"text", "score", feature: value ...}); no weights: the beam's own pick."""
    return [max(cands, key=lambda c: c["score"] + sum(w * c[k] for k, w in weights.items())
                )["text"] for cands in nbest]


def load_nbest(forward: TranslationPredictor, src: str, ref: str, beam: int,
               cache: Path | None) -> tuple[list[list[tuple[str, float, float]]], list[str],
                                            list[str], list[str]]:
    """bench_mbr.nbest_lists, kept in (and read back from) the JSON file `cache` if given."""
    if cache and cache.is_file():
        saved = json.loads(cache.read_text())
        return saved["nbest"], saved["refs"], saved["map"], saved["sources"]
    nbest, refs, texts, sources = nbest_lists(forward, src, ref, beam)
    if cache:
        cache.write_text(json.dumps({"nbest": nbest, "refs": refs, "map": texts,
                                     "sources": sources}))
    return nbest, refs, texts, sources


def served_glosses(forward: TranslationPredictor, sources: list[str]) -> list[str]:
    """Each gloss line as the served reranker hands it to a reverse model
    (translation.ml.rerank.NoisyChannel.pick: the forward vocabulary's known glosses)."""
    return [known_glosses(forward.vocab, forward.encode_glosses(line)) for line in sources]


def with_reverse(forward: TranslationPredictor, nbest: list[list[tuple[str, float, float]]],
                 sources: list[str], reverses: list[tuple[Translator, GlossVocab, TextTokenizer]]
                 ) -> list[list[dict]]:
    """The n-best as candidates for `choose`: forward score, reverse log-probability per gloss
    piece (the mean over `reverses`, of the `served_glosses`) and word count."""
    flat = [(text, g) for g, cands in zip(served_glosses(forward, sources), nbest, strict=True)
            for text, _, _ in cands]
    per_model = [channel_logprobs(model, vocab, tokenizer, flat)
                 for model, vocab, tokenizer in reverses]
    scores = iter([sum(col) / len(col) for col in zip(*per_model, strict=True)])
    return [[{"text": t, "score": s, "reverse": next(scores), "words": len(t.split())}
             for t, s, _ in cands] for cands in nbest]


def carried_nbest(model: str, cache: Path | None, beam: int = 8
                  ) -> tuple[TranslationPredictor, list[list[dict]], list[str], list[str],
                             list[str]]:
    """A reranked bundle, its beam n-best of PHOENIX dev scored by the reverse model it carries
    (`with_reverse`), the references, the beam's own picks and the gloss lines."""
    forward = TranslationPredictor.from_bundle(model)
    channel = forward.reranker
    if channel is None:
        raise SystemExit(f"{model} carries no reverse model")
    nbest, refs, beam_texts, sources = load_nbest(forward, PHOENIX + "dev.gloss",
                                                  PHOENIX + "dev.de", beam, cache)
    scored = with_reverse(forward, nbest, sources, [
        (channel.reverse, channel.reverse_vocab, channel.reverse_tokenizer)])
    return forward, scored, refs, beam_texts, sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--reverse", required=True, nargs="+",
                        help="reverse bundles; with several, the mean of their scores")
    parser.add_argument("--src", required=True)
    parser.add_argument("--ref", required=True)
    parser.add_argument("--beam", type=int, default=8)
    parser.add_argument("--cache", type=Path, help="n-best JSON kept here between runs")
    args = parser.parse_args()
    torch.set_num_threads(2)
    forward = TranslationPredictor.from_bundle(args.model)
    nbest_raw, refs, texts, sources = load_nbest(forward, args.src, args.ref, args.beam,
                                                 args.cache)
    reverses = [(p.model, p.vocab, p.tokenizer)
                for p in map(TranslationPredictor.from_bundle, args.reverse)]
    nbest = with_reverse(forward, nbest_raw, sources, reverses)
    half = len(refs) // 2
    halves = (slice(0, half), slice(half, None))

    def bleu(hyps: list[str], part: slice = slice(None)) -> float:
        return float(text_metrics(hyps[part], refs[part])["bleu4"])

    grid = {(lam, mu): choose(nbest, {"reverse": lam, "words": mu})
            for lam, mu in itertools.product(LAMBDAS, MUS)}
    table = {key: (bleu(h), bleu(h, halves[0]), bleu(h, halves[1])) for key, h in grid.items()}
    print("| lambda (reverse) | mu (word bonus) | BLEU-4 dev | first half | second half |")
    print("|---|---|---|---|---|")
    for (lam, mu), (full, a, b) in table.items():
        print(f"| {lam} | {mu} | {full} | {a} | {b} |")
    # Weights picked on one half, scored on the other.
    crossed = []
    for pick, score in ((1, 2), (2, 1)):
        best = max(table, key=lambda k: (table[k][pick], -k[0], -k[1]))
        crossed.append((best, table[best][score]))
    best_all = max(table, key=lambda k: (table[k][0], -k[0], -k[1]))
    print(json.dumps({
        "map": {"bleu4": bleu(texts), "first_half": bleu(texts, halves[0]),
                "second_half": bleu(texts, halves[1]), "check_grid_0_0": table[(0.0, 0.0)][0]},
        "picked_on_first_scored_on_second": {"weights": crossed[0][0], "bleu4": crossed[0][1]},
        "picked_on_second_scored_on_first": {"weights": crossed[1][0], "bleu4": crossed[1][1]},
        "best_on_all_dev": {"weights": best_all, "bleu4": table[best_all][0],
                            "chrf": text_metrics(grid[best_all], refs)["chrf"]},
    }, indent=1))


if __name__ == "__main__":
    main()
