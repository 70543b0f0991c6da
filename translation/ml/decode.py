"""Greedy and beam-search decoding, batched, with an incremental key/value cache.

`use_cache=False` re-runs the whole decoder on the prefix at every step (seed 004's way); it is
kept only as the reference that the cached path must match and as the benchmark baseline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
import torch.nn.functional as F

from translation.ml.config import DecodeConfig
from translation.ml.ensemble import Seq2Seq
from translation.ml.tokenizer import BOS_ID, EOS_ID, PAD_ID

# on_token(row, token_id, logprob): called as each non-eos token of a row is decoded.
TokenCallback = Callable[[int, int, float], None]


@dataclass
class Hypothesis:
    """One decoded output: piece ids (no bos/eos) and their log-probabilities."""

    tokens: list[int]
    logprobs: list[float]
    score: float  # length-normalised total log-probability (incl. eos when emitted)
    finished: bool = True  # False when max_len cut it before eos
    extra: dict[str, float] = field(default_factory=dict)


class Reranker(Protocol):
    """Picks each row's output among the beam's finished candidates (translation.ml.rerank)."""

    def pick(self, src: torch.Tensor, src_mask: torch.Tensor, nbest: list[list[Hypothesis]],
             weight: float) -> list[Hypothesis]: ...


@contextmanager
def eval_mode(model: Seq2Seq) -> Iterator[None]:
    """Dropout off while decoding; the caller's train/eval mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


class _Stepper:
    """Next-token logits for a growing prefix, with or without the key/value cache.

    Fed one token column per step; only the uncached reference keeps (and re-runs) the prefix.
    """

    def __init__(self, model: Seq2Seq, memory: torch.Tensor, src_mask: torch.Tensor,
                 use_cache: bool) -> None:
        self.model, self.memory, self.src_mask = model, memory, src_mask
        # the model's own cache (DecoderCache, or an Ensemble's EnsembleCache)
        self.cache: Any = model.start_cache(memory, src_mask) if use_cache else None
        self.prefix = memory.new_empty((memory.shape[0], 0), dtype=torch.long)

    def __call__(self, tokens: torch.Tensor) -> torch.Tensor:  # tokens (N,) -> (N, V)
        if self.cache is not None:
            return self.model.decode_step(tokens, self.cache)
        self.prefix = torch.cat([self.prefix, tokens[:, None]], dim=1)
        return self.model.decode(self.prefix, self.memory, self.src_mask)[:, -1]

    def reorder(self, index: torch.Tensor) -> None:
        if self.cache is not None:
            self.cache.reorder(index)
        else:
            self.memory = self.memory.index_select(0, index)
            self.src_mask = self.src_mask.index_select(0, index)
            self.prefix = self.prefix.index_select(0, index)


def _next_log_probs(stepper: _Stepper, tokens: torch.Tensor, step: int, min_len: int,
                    limits: torch.Tensor | None, floors: torch.Tensor | None = None
                    ) -> torch.Tensor:
    logp = F.log_softmax(stepper(tokens).float(), dim=-1)
    logp[:, PAD_ID] = float("-inf")  # padding is never an output
    if step < min_len:
        logp[:, EOS_ID] = float("-inf")
    if floors is not None:  # rows still below their own minimum length
        logp[step < floors, EOS_ID] = float("-inf")
    if limits is not None:
        over = step + 1 >= limits  # this row's last allowed token: it must be eos
        logp[over] = float("-inf")
        logp[over, EOS_ID] = 0.0
    return logp


def row_limits(src_mask: torch.Tensor, max_len_a: float, max_len_b: int) -> torch.Tensor | None:
    """Per-row cap on emitted tokens (eos included), a * source length + b (as in fairseq);
    None when a <= 0. Keeps a row that never emits eos from looping to max_len."""
    if max_len_a <= 0:
        return None
    return (src_mask.sum(dim=1).float() * max_len_a).ceil().long() + max_len_b


def row_floors(src_mask: torch.Tensor, min_len_a: float) -> torch.Tensor | None:
    """Per-row minimum of emitted pieces before eos, floor(a * source length); None when
    a <= 0. A row's cap (row_limits) still wins where the two meet."""
    if min_len_a <= 0:
        return None
    return (src_mask.sum(dim=1).float() * min_len_a).floor().long()


def _max_len(model: Seq2Seq, max_len: int | None) -> int:
    return int(max_len if max_len is not None else model.cfg.max_tgt_len)


def greedy_decode(
    model: Seq2Seq,
    src: torch.Tensor,
    src_mask: torch.Tensor,
    max_len: int | None = None,
    min_len: int = 0,
    use_cache: bool = True,
    on_token: TokenCallback | None = None,
    max_len_a: float = 0.0,
    max_len_b: int = 0,
    min_len_a: float = 0.0,
) -> list[Hypothesis]:
    """Pick the most likely piece at every step for each row of the batch."""
    with eval_mode(model):
        memory = model.encode(src, src_mask)
        b = src.shape[0]
        stepper = _Stepper(model, memory, src_mask, use_cache)
        token = torch.full((b,), BOS_ID, dtype=torch.long, device=memory.device)
        hyps = [Hypothesis([], [], 0.0, finished=False) for _ in range(b)]
        limits = row_limits(src_mask, max_len_a, max_len_b)
        floors = row_floors(src_mask, min_len_a)
        for step in range(_max_len(model, max_len)):
            logp, token = _next_log_probs(stepper, token, step, min_len, limits,
                                          floors).max(dim=-1)
            tokens, logps = token.tolist(), logp.tolist()  # one conversion per step, not per row
            for row, hyp in enumerate(hyps):
                if not hyp.finished:
                    _extend(hyp, row, tokens[row], logps[row], on_token)
            # Bookkeeping in Python, not tensors: at batch 1 each tensor op costs as much as
            # a small matmul. Finished rows keep decoding (their outputs are ignored).
            if all(h.finished for h in hyps):
                break
        return hyps


def _extend(hyp: Hypothesis, row: int, tok: int, lp: float, on_token: TokenCallback | None
            ) -> None:
    """Add one greedy step to an unfinished hypothesis."""
    hyp.score += lp
    if tok == EOS_ID:
        hyp.finished = True
        return
    hyp.tokens.append(tok)
    hyp.logprobs.append(lp)
    if on_token is not None:
        on_token(row, tok, lp)


def length_penalty(length: int, alpha: float) -> float:
    """GNMT length penalty ((5 + |y|) / 6) ** alpha (Wu et al. 2016); alpha 0 = none."""
    return ((5.0 + length) / 6.0) ** alpha


def beam_search(model: Seq2Seq, src: torch.Tensor, src_mask: torch.Tensor,
                **options: Any) -> list[Hypothesis]:
    """Batched beam search; the best hypothesis of each row by length-normalised score (the
    first of `beam_search_nbest`'s lists, which takes the same options)."""
    return [cands[0] for cands in beam_search_nbest(model, src, src_mask, **options)]


def beam_search_nbest(
    model: Seq2Seq,
    src: torch.Tensor,
    src_mask: torch.Tensor,
    beam_size: int = 4,
    alpha: float = 1.0,
    max_len: int | None = None,
    min_len: int = 0,
    use_cache: bool = True,
    max_len_a: float = 0.0,
    max_len_b: int = 0,
    min_len_a: float = 0.0,
) -> list[list[Hypothesis]]:
    """Batched beam search; each row's finished hypotheses, best length-normalised score first
    (ties in the order they finished), or its best unfinished beam alone if none finished.

    Each step keeps the 2k best extensions per row: those ending in eos among the top k are
    finished, the k best others continue (as in fairseq), so beam_size=1 equals greedy search.
    A row stops once it has `beam_size` finished hypotheses.
    """
    with eval_mode(model):
        memory = model.encode(src, src_mask)
        b, k, device = src.shape[0], beam_size, memory.device
        stepper = _Stepper(model, memory.repeat_interleave(k, 0), src_mask.repeat_interleave(k, 0),
                           use_cache)
        prefix = torch.full((b * k, 1), BOS_ID, dtype=torch.long, device=device)
        token_lp = torch.zeros(b * k, 0, device=device)
        scores = torch.full((b, k), float("-inf"), device=device)
        scores[:, 0] = 0.0  # all beams start identical: keep one alive to avoid duplicates
        finals: list[list[Hypothesis]] = [[] for _ in range(b)]
        offsets = torch.arange(b, device=device)[:, None] * k
        limits = row_limits(src_mask, max_len_a, max_len_b)
        limits = None if limits is None else limits.repeat_interleave(k)  # beams stay in row
        floors = row_floors(src_mask, min_len_a)
        floors = None if floors is None else floors.repeat_interleave(k)
        for step in range(_max_len(model, max_len)):
            logp = _next_log_probs(stepper, prefix[:, -1], step, min_len, limits,
                                   floors)  # (B*K, V)
            vocab = logp.shape[-1]
            cand = (scores.reshape(-1, 1) + logp).view(b, k * vocab)
            top_scores, top_idx = cand.topk(min(2 * k, k * vocab), dim=1)  # (B, 2K)
            beam, tok = top_idx // vocab, top_idx % vocab
            rows = offsets + beam  # flat row of the parent hypothesis, (B, 2K)
            step_lp = logp[rows, tok]  # gathered, not subtracted, so beam 1 == greedy exactly
            _collect_finished(finals, top_scores, tok, rows, step_lp, token_lp, prefix, k, alpha)
            keep = _continuing(tok, k)
            pick = rows.gather(1, keep).flatten()
            scores = top_scores.gather(1, keep)
            stepper.reorder(pick)
            prefix = torch.cat([prefix[pick], tok.gather(1, keep).reshape(-1, 1)], dim=1)
            token_lp = torch.cat([token_lp[pick], step_lp.gather(1, keep).reshape(-1, 1)], dim=1)
            if all(len(f) >= k for f in finals):
                break
        return [_ranked(finals[i], prefix, token_lp, scores, i, k, alpha) for i in range(b)]


def _continuing(tok: torch.Tensor, k: int) -> torch.Tensor:
    """Columns of the k best non-eos candidates per row (at least k exist among 2k: each of
    the k beams contributes at most one eos)."""
    rank = torch.arange(tok.shape[1], device=tok.device).expand_as(tok)
    return (rank + (tok == EOS_ID).long() * tok.shape[1]).topk(k, dim=1, largest=False)[1]


def _collect_finished(
    finals: list[list[Hypothesis]], top_scores: torch.Tensor, tok: torch.Tensor,
    rows: torch.Tensor, step_lp: torch.Tensor, token_lp: torch.Tensor, prefix: torch.Tensor,
    k: int, alpha: float,
) -> None:
    """Move eos candidates among each row's top k into that row's finished list."""
    is_eos = (tok[:, :k] == EOS_ID) & torch.isfinite(top_scores[:, :k])
    for i, j in is_eos.nonzero().tolist():
        if len(finals[i]) >= k:
            continue  # this row is already done
        r = int(rows[i, j])
        tokens = prefix[r, 1:].tolist()
        total = float(top_scores[i, j])
        finals[i].append(Hypothesis(
            tokens=tokens, logprobs=token_lp[r].tolist(),
            score=total / length_penalty(len(tokens) + 1, alpha),
            extra={"eos_logprob": float(step_lp[i, j])},
        ))


def _ranked(
    finished: list[Hypothesis], prefix: torch.Tensor, token_lp: torch.Tensor,
    scores: torch.Tensor, i: int, k: int, alpha: float,
) -> list[Hypothesis]:
    """Finished hypotheses of row i, best first, or the best unfinished beam if none finished."""
    if finished:
        return sorted(finished, key=lambda h: h.score, reverse=True)  # stable: ties keep order
    r = i * k + int(scores[i].argmax())
    tokens = prefix[r, 1:].tolist()
    return [Hypothesis(tokens=tokens, logprobs=token_lp[r].tolist(),
                       score=float(scores[i].max()) / length_penalty(len(tokens), alpha),
                       finished=False)]


def decode_batch(
    model: Seq2Seq,
    src: torch.Tensor,
    src_mask: torch.Tensor,
    settings: DecodeConfig,
    on_token: TokenCallback | None = None,
    reranker: Reranker | None = None,
) -> list[Hypothesis]:
    """Decode a batch the way `settings` says: the one entry point of jobs, translate-text and
    evaluate-translation, so that served and evaluated outputs cannot drift apart.

    Greedy search (beam 1) streams each token as it is decoded; beam search calls `on_token`
    for the final pieces of each row once the search (and the reranking, when the settings'
    rerank_weight is above 0: the bundle's `reranker` picks among the finished candidates) has
    ended. Settings that rerank without a reranker are refused, never silently ignored.
    """
    if settings.rerank_weight > 0 and reranker is None:
        raise ValueError("these decoding settings rerank the beam (rerank_weight "
                         f"{settings.rerank_weight}) but no reranker was given")
    cap_a, cap_b, floor_a = settings.max_len_a, settings.max_len_b, settings.min_len_a
    if settings.beam_size <= 1:
        return greedy_decode(model, src, src_mask, on_token=on_token, max_len_a=cap_a,
                             max_len_b=cap_b, min_len_a=floor_a)
    nbest = beam_search_nbest(model, src, src_mask, beam_size=settings.beam_size,
                              alpha=settings.length_penalty, max_len_a=cap_a, max_len_b=cap_b,
                              min_len_a=floor_a)
    if settings.rerank_weight > 0 and reranker is not None:
        hyps = reranker.pick(src, src_mask, nbest, settings.rerank_weight)
    else:
        hyps = [cands[0] for cands in nbest]
    if on_token is not None:
        for row, hyp in enumerate(hyps):
            for tok, lp in zip(hyp.tokens, hyp.logprobs, strict=True):
                on_token(row, tok, lp)
    return hyps
