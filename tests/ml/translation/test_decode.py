from __future__ import annotations

import pytest
import torch

from translation.ml.config import DecodeConfig, tiny_model_config
from translation.ml.decode import beam_search, decode_batch, greedy_decode
from translation.ml.model import Translator
from translation.ml.tokenizer import EOS_ID


def _batch(kind: str, length: int = 8) -> tuple[Translator, torch.Tensor, torch.Tensor]:
    torch.manual_seed(3)
    cfg = tiny_model_config(input_kind=kind, src_vocab_size=20, input_dim=5, velocity=True,
                            tgt_vocab_size=14)
    model = Translator(cfg)
    mask = torch.ones(4, length, dtype=torch.bool)
    mask[1, 5:] = False
    mask[3, 2:] = False
    src = (torch.randint(2, 20, (4, length)) * mask if kind == "gloss"
           else torch.randn(4, length, 5))
    return model, src, mask


# 8 source positions x 4 heads fit d_model 32: the cross-attention projections are folded into
# the memory; 12 do not, so the per-head path runs. Both must match the uncached reference.
SHAPES = [("gloss", 8), ("landmarks", 8), ("gloss", 12), ("landmarks", 12)]


@pytest.mark.parametrize(("kind", "length"), SHAPES)
def test_cached_and_uncached_greedy_agree(kind: str, length: int) -> None:
    model, src, mask = _batch(kind, length)
    assert model.start_cache(model.encode(src, mask), mask).memory[0].folded == (length == 8)
    cached = greedy_decode(model, src, mask, max_len=15)
    plain = greedy_decode(model, src, mask, max_len=15, use_cache=False)
    assert [h.tokens for h in cached] == [h.tokens for h in plain]
    for a, b in zip(cached, plain, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-5)


@pytest.mark.parametrize(("kind", "length"), SHAPES)
def test_cached_and_uncached_beam_agree(kind: str, length: int) -> None:
    model, src, mask = _batch(kind, length)
    cached = beam_search(model, src, mask, beam_size=3, max_len=15)
    plain = beam_search(model, src, mask, beam_size=3, max_len=15, use_cache=False)
    assert [h.tokens for h in cached] == [h.tokens for h in plain]
    assert [h.score for h in cached] == pytest.approx([h.score for h in plain], abs=1e-5)


def test_cache_grows_past_max_tgt_len_and_follows_weight_updates() -> None:
    model, src, mask = _batch("gloss")
    steps = model.cfg.max_tgt_len + 9  # past the preallocated key/value buffer
    before = greedy_decode(model, src, mask, max_len=steps, min_len=steps)
    with torch.no_grad():  # an optimiser step changes weights in place
        for param in model.decoder.parameters():
            param.add_(0.05 * torch.randn_like(param))
    cached = greedy_decode(model, src, mask, max_len=steps, min_len=steps)
    plain = greedy_decode(model, src, mask, max_len=steps, min_len=steps, use_cache=False)
    assert [h.tokens for h in cached] == [h.tokens for h in plain]
    assert [h.logprobs for h in cached] != [h.logprobs for h in before]
    for a, b in zip(cached, plain, strict=True):
        assert len(a.tokens) == steps
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-5)


def test_beam_size_one_equals_greedy() -> None:
    model, src, mask = _batch("gloss")
    greedy = greedy_decode(model, src, mask, max_len=15)
    beam = beam_search(model, src, mask, beam_size=1, max_len=15)
    assert [h.tokens for h in greedy] == [h.tokens for h in beam]
    assert [h.logprobs for h in greedy] == [h.logprobs for h in beam]


def test_beam_is_at_least_as_likely_as_greedy_without_length_penalty() -> None:
    model, src, mask = _batch("gloss")
    greedy = greedy_decode(model, src, mask, max_len=15)
    beam = beam_search(model, src, mask, beam_size=4, alpha=0.0, max_len=15)
    for g, b in zip(greedy, beam, strict=True):
        if g.finished:
            assert b.score >= g.score - 1e-5


def test_per_token_logprobs_and_min_len() -> None:
    model, src, mask = _batch("gloss")
    streamed: list[tuple[int, int, float]] = []
    hyps = greedy_decode(model, src, mask, max_len=12, min_len=12,
                         on_token=lambda row, tok, lp: streamed.append((row, tok, lp)))
    for row, h in enumerate(hyps):
        assert len(h.tokens) == len(h.logprobs) == 12  # eos was masked for 12 steps
        assert EOS_ID not in h.tokens
        assert all(lp <= 0.0 for lp in h.logprobs)
        assert [(tok, lp) for r, tok, lp in streamed if r == row] == list(
            zip(h.tokens, h.logprobs, strict=True))
    assert model.training  # decoding restores the caller's mode


def test_per_row_length_cap_forces_eos() -> None:
    model, src, mask = _batch("landmarks")  # rows have 8, 5, 8 and 2 real frames
    free = greedy_decode(model, src, mask, max_len=15, min_len=15)
    assert {len(h.tokens) for h in free} == {15}
    capped = greedy_decode(model, src, mask, max_len=15, min_len=15, max_len_a=1.0, max_len_b=1)
    # a * frames + b tokens including eos: the caps bind before max_len and min_len
    assert [len(h.tokens) for h in capped] == [8, 5, 8, 2]
    assert all(h.finished for h in capped)
    for h_free, h_cap in zip(free, capped, strict=True):
        assert h_cap.tokens == h_free.tokens[: len(h_cap.tokens)]
    beam = beam_search(model, src, mask, beam_size=1, max_len=15, min_len=15, max_len_a=1.0,
                       max_len_b=1)
    assert [h.tokens for h in beam] == [h.tokens for h in capped]
    wide = beam_search(model, src, mask, beam_size=3, max_len=15, max_len_a=1.0, max_len_b=1)
    assert all(len(h.tokens) <= n for h, n in zip(wide, [8, 5, 8, 2], strict=True))


def test_per_row_floor_holds_back_eos() -> None:
    model, src, mask = _batch("gloss")  # rows have 8, 5, 8 and 2 real glosses
    with torch.no_grad():  # make eos the first choice at every step
        model.dec_norm.weight.mul_(0.1)
        model.dec_norm.bias.copy_(2 * model.tgt_embed.weight[EOS_ID])
    assert all(h.tokens == [] and h.finished for h in greedy_decode(model, src, mask, max_len=15))
    floored = greedy_decode(model, src, mask, max_len=15, min_len_a=0.5)
    assert [len(h.tokens) for h in floored] == [4, 2, 4, 1]  # floor(0.5 x glosses), then eos
    assert all(h.finished and EOS_ID not in h.tokens for h in floored)
    beam = beam_search(model, src, mask, beam_size=3, max_len=15, min_len_a=0.5)
    assert [len(h.tokens) for h in beam] == [4, 2, 4, 1]
    capped = greedy_decode(model, src, mask, max_len=15, min_len_a=2.0, max_len_a=1.0,
                           max_len_b=1)
    assert [len(h.tokens) for h in capped] == [8, 5, 8, 2]  # where they meet, the cap wins
    served = decode_batch(model, src, mask, DecodeConfig(beam_size=3, min_len_a=0.5))
    assert [h.tokens for h in served] == [h.tokens for h in beam]  # the bundle setting reaches it
