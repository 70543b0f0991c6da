"""Bigram gloss language model (Witten-Bell interpolated with an add-one unigram).

Shared by the CTC beam search and the HMM baseline. Sentences are wrapped in <s> ... </s>.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

BOS, EOS = "<s>", "</s>"


class BigramLM:
    """log P(word | previous word); any string can be asked about (unseen words get the floor)."""

    def __init__(self, sentences: Iterable[Sequence[str]]) -> None:
        self.bigrams: Counter[tuple[str, str]] = Counter()
        self.unigrams: Counter[str] = Counter()
        for sentence in sentences:
            seq = [BOS, *sentence, EOS]
            self.unigrams.update(seq[1:])
            self.bigrams.update(zip(seq, seq[1:], strict=False))
        self.history: Counter[str] = Counter()
        self.followers: Counter[str] = Counter()
        for (prev, _), count in self.bigrams.items():
            self.history[prev] += count
            self.followers[prev] += 1
        self.total = sum(self.unigrams.values())
        self.vocab_size = len(self.unigrams) + 1  # + one slot for unseen words
        self._cache: dict[tuple[str, str], float] = {}

    def unigram(self, word: str) -> float:
        return (self.unigrams[word] + 1) / (self.total + self.vocab_size)

    def logprob(self, prev: str, word: str) -> float:
        key = (prev, word)
        if key not in self._cache:
            n, types = self.history[prev], self.followers[prev]
            p = self.unigram(word)
            if n:
                # Witten-Bell: the more distinct followers a word has, the more mass it leaves.
                p = (self.bigrams[key] + types * p) / (n + types)
            self._cache[key] = math.log(p)
        return self._cache[key]

    def sentence_logprob(self, words: Sequence[str]) -> float:
        seq = [BOS, *words, EOS]
        return sum(self.logprob(a, b) for a, b in zip(seq, seq[1:], strict=False))
