from __future__ import annotations

import pytest
import torch

from translation.ml.config import tiny_model_config
from translation.ml.data import Example, collate
from translation.ml.model import Translator


def _gloss_model(**kw: object) -> Translator:
    torch.manual_seed(0)
    return Translator(tiny_model_config(src_vocab_size=20, tgt_vocab_size=16, **kw)).eval()


@pytest.mark.parametrize("pre_norm", [True, False])
def test_source_padding_does_not_change_outputs(pre_norm: bool) -> None:
    model = _gloss_model(pre_norm=pre_norm)
    short = Example(src=[5, 6, 7], tgt=[4, 5], ctc=[])
    long = Example(src=[8, 9, 10, 11, 12, 13, 14], tgt=[4, 5, 6, 7, 8], ctc=[])
    alone = collate([short])
    padded = collate([short, long])  # short is padded to 7 frames and 6 target positions
    with torch.no_grad():
        a, _ = model(alone.src, alone.src_mask, alone.tgt_in)
        b, _ = model(padded.src, padded.src_mask, padded.tgt_in)
    assert torch.allclose(a[0], b[0, : a.shape[1]], atol=1e-5)


def test_decoder_is_causal() -> None:
    model = _gloss_model()
    src = torch.tensor([[5, 6, 7]])
    mask = torch.ones_like(src, dtype=torch.bool)
    tgt = torch.tensor([[2, 4, 5, 6]])
    changed = tgt.clone()
    changed[0, 3] = 9  # only the last input token differs
    with torch.no_grad():
        a, _ = model(src, mask, tgt)
        b, _ = model(src, mask, changed)
    assert torch.allclose(a[0, :3], b[0, :3], atol=1e-6)
    assert not torch.allclose(a[0, 3], b[0, 3])


def test_output_projection_is_tied_to_target_embedding() -> None:
    model = _gloss_model()
    assert model.out_proj.weight is model.tgt_embed.weight
    untied = _gloss_model(tie_embeddings=False)
    assert untied.out_proj.weight is not untied.tgt_embed.weight


def test_landmark_input_with_velocity_and_ctc_loss_decreases() -> None:
    """Joint CTC + label-smoothed CE on a tiny batch goes down when overfitting it."""
    torch.manual_seed(0)
    cfg = tiny_model_config(input_kind="landmarks", input_dim=6, velocity=True, tgt_vocab_size=12,
                            ctc_vocab_size=5, ctc_weight=0.5)
    model = Translator(cfg)
    examples = [Example(src=torch.randn(9, 6).numpy(), tgt=[4 + i % 3, 7, 8], ctc=[2, 3 + i % 2])
                for i in range(4)]
    batch = collate(examples)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    memory = model.encode(batch.src, batch.src_mask)
    logits = model.decode(batch.tgt_in, memory, batch.src_mask)
    first = model.loss_terms(logits, batch.targets, memory, batch.src_mask, batch.ctc_targets)
    assert set(first) == {"ce", "ctc", "loss"}
    for _ in range(60):
        _, loss = model(batch.src, batch.src_mask, batch.tgt_in, batch.targets, batch.ctc_targets)
        assert loss is not None
        opt.zero_grad()
        loss.backward()
        opt.step()
    memory = model.encode(batch.src, batch.src_mask)
    logits = model.decode(batch.tgt_in, memory, batch.src_mask)
    last = model.loss_terms(logits, batch.targets, memory, batch.src_mask, batch.ctc_targets)
    assert last["ce"] < 0.5 * first["ce"]
    assert last["ctc"] < 0.5 * first["ctc"]


def test_share_gloss_text_adds_the_word_embedding() -> None:
    model = _gloss_model(share_gloss_text=True)
    model.gloss_to_piece[5] = 7
    src, mask = torch.tensor([[5]]), torch.ones(1, 1, dtype=torch.bool)
    plain = model.src_embed(src) + model.tgt_embed(torch.tensor([[7]]))
    scale = model.cfg.d_model**0.5
    assert torch.allclose(model._embed_src(src), plain * scale)
    assert "gloss_to_piece" in model.state_dict()  # travels with the weights
    assert model.encode(src, mask).shape == (1, 1, model.cfg.d_model)


@pytest.mark.parametrize(("pre_norm", "src_len"), [(True, 3), (False, 3), (False, 12)])
def test_cached_steps_match_the_whole_prefix(pre_norm: bool, src_len: int) -> None:
    """decode_step (one position at a time, the flat step) gives the logits that decode gives
    on the whole prefix, pre- and post-LN, with folded (3 x 4 heads <= d 32) and per-head (12)
    cross-attention, whatever the unwritten part of the key/value buffer holds."""
    model = _gloss_model(pre_norm=pre_norm)
    src = torch.randint(2, 20, (2, src_len))
    mask = torch.ones_like(src, dtype=torch.bool)
    mask[1, src_len - 1:] = False
    tgt = torch.tensor([[2, 4, 5, 6, 7], [2, 9, 3, 8, 4]])
    with torch.no_grad():
        memory = model.encode(src, mask)
        whole = model.decode(tgt, memory, mask)
        cache = model.start_cache(memory, mask)
        assert cache.memory[0].folded == (src_len == 3)
        for buf in cache.kv:
            buf.fill_(float("nan"))  # never read before it is written
        steps = torch.stack([model.decode_step(tgt[:, i], cache) for i in range(tgt.shape[1])],
                            dim=1)
    assert torch.allclose(steps, whole, atol=1e-5)
