"""The ST-Transformer: shapes, padding and part masks, seed-003 head reduction, learning."""

from __future__ import annotations

import dataclasses
import warnings

import pytest
import torch

from recognition.ml.config import FeatureConfig, ModelConfig
from recognition.ml.features import feature_widths
from recognition.ml.model import (
    CrossModalAttention,
    IsolatedSignTransformer,
    reduce_heads,
    velocity,
)

PARTS = FeatureConfig().parts
DIMS = feature_widths(FeatureConfig())


def make_model(**overrides: object) -> IsolatedSignTransformer:
    cfg = ModelConfig(part_names=PARTS, part_dims=DIMS, num_classes=5, d_model=16, n_heads=2,
                      n_layers=1, cross_modal_heads=2, dropout=0.0)
    torch.manual_seed(0)
    return IsolatedSignTransformer(dataclasses.replace(cfg, **overrides))


def part_slice(name: str) -> slice:
    start = sum(DIMS[: PARTS.index(name)])
    return slice(start, start + DIMS[PARTS.index(name)])


def batch(b: int = 3, t: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(1)
    return torch.randn(b, t, sum(DIMS)), torch.ones(b, t, dtype=torch.bool)


def test_shapes_loss_and_single_frames() -> None:
    model = make_model()
    x, mask = batch()
    logits, loss = model(x, mask, torch.tensor([0, 1, 4]))
    assert logits.shape == (3, 5) and loss is not None and loss.ndim == 0
    single, none = model(x[:, :1], mask[:, :1])  # T=1: a single image
    assert single.shape == (3, 5) and none is None and torch.isfinite(single).all()


@pytest.mark.parametrize("cross_modal", [True, False])
def test_padding_does_not_change_real_frames(cross_modal: bool) -> None:
    model = make_model(cross_modal=cross_modal).eval()
    x, mask = batch(2, 9)
    mask[0, 4:] = False  # clip 0 has 4 real frames, then padding
    x[0, 4:] = 123.0  # whatever the padding holds must not matter
    with torch.no_grad():
        padded, _ = model(x, mask)
        alone, _ = model(x[:1, :4], mask[:1, :4])
    torch.testing.assert_close(padded[0], alone[0], atol=1e-5, rtol=1e-5)


def test_missing_parts_are_masked_not_poisoning() -> None:
    model = make_model()
    x, mask = batch()
    x[:, :, part_slice("pose")] = float("nan")  # hands-only input, e.g. the ASL alphabet
    x[:, :, part_slice("face")] = float("nan")
    x[0, 2:, part_slice("left_hand")] = float("nan")  # a hand lost mid-clip
    before = model.embed.norms[0].running_mean.clone()  # pose BatchNorm
    logits, loss = model(x, mask, torch.tensor([0, 1, 2]))
    loss.backward()
    assert torch.isfinite(logits).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    # An absent part adds nothing to its BatchNorm statistics.
    torch.testing.assert_close(model.embed.norms[0].running_mean, before)


def test_head_count_reduced_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="reduced heads from 4 to 3"):
        module = CrossModalAttention((42, 42, 24), heads=4)  # seed 003's widths
    assert module.heads == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reduce_heads(3, (42, 42, 24)) == 3  # no warning when it divides
    with pytest.warns(UserWarning, match="reduced heads from 5 to 4"):
        make_model(cross_modal_heads=5)  # d_model 16


def test_switches_change_the_architecture() -> None:
    full = make_model()
    plain = make_model(cross_modal=False, velocity=False)
    assert full.cross is not None and plain.cross is None
    assert full.embed.projs[2].in_features == 2 * plain.embed.projs[2].in_features
    assert sum(p.numel() for p in full.parameters()) > sum(p.numel() for p in plain.parameters())
    with pytest.warns(UserWarning, match="needs two of hands/pose"):
        one = IsolatedSignTransformer(ModelConfig(part_names=("right_hand",), part_dims=(65,),
                                                  num_classes=3, d_model=16, n_heads=2))
    assert one.cross is None


def test_velocity_sees_motion_that_static_features_cannot() -> None:
    model = make_model().eval()
    x, mask = batch(1, 4)
    still = x[:, :1].expand(1, 4, -1).clone()  # the same frame four times
    moving = still.clone()
    moving[:, 2:, part_slice("left_hand")] += 0.3
    parts, present = model.split_parts(moving)
    vel = velocity(parts[2], present[..., 2])
    assert vel[0, 0].abs().sum() == 0 and vel[0, 1].abs().sum() == 0  # first frame, no motion
    assert vel[0, 2].abs().sum() > 0 and vel[0, 3].abs().sum() == 0  # the jump, then still
    with torch.no_grad():
        a, _ = model(still, mask)
        b, _ = model(moving[:, :, :], mask)
        c, _ = make_model(velocity=False).eval()(still, mask)
    assert not torch.allclose(a, b) and torch.isfinite(c).all()


def test_a_few_steps_reduce_the_loss() -> None:
    model = make_model()
    x, mask = batch(8, 5)
    mask[::2, 3:] = False
    y = torch.arange(8) % 5
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        _, loss = model(x, mask, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
