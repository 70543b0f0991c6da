"""The CTC recogniser: padding never changes a clip's outputs; the loss trains."""

from __future__ import annotations

import pytest
import torch

from translation.ml.continuous.model import CTCModelConfig, CTCRecognizer


@pytest.mark.parametrize("conv_layers,stride", [(0, 1), (2, 2)])
def test_padding_does_not_change_a_clips_outputs(conv_layers: int, stride: int) -> None:
    torch.manual_seed(0)
    model = CTCRecognizer(CTCModelConfig(vocab_size=6, d_model=16, n_heads=2, d_ff=32,
                                         conv_layers=conv_layers, frame_stride=stride)).eval()
    x = torch.randn(2, 13, 8)
    mask = torch.ones(2, 13, dtype=torch.bool)
    mask[1, 9:] = False
    x[1, 9:] = 100.0  # garbage in the padding must not leak into real frames
    batch = model(x, mask)
    alone = model(x[1:, :9], mask[1:, :9])
    steps = -(-9 // stride)
    assert batch.shape[1] == -(-13 // stride)
    torch.testing.assert_close(batch[1, :steps], alone[0], atol=1e-5, rtol=1e-5)


def test_ctc_and_frame_losses_decrease_when_fitting_one_batch() -> None:
    torch.manual_seed(0)
    model = CTCRecognizer(CTCModelConfig(vocab_size=5, d_model=16, n_heads=2, d_ff=32,
                                         dropout=0.0, frame_head=True, frame_stride=2))
    x, mask = torch.randn(2, 20, 8), torch.ones(2, 20, dtype=torch.bool)
    targets, lengths = torch.tensor([[1, 2, 3], [4, 2, 0]]), torch.tensor([3, 2])
    frames = torch.randint(0, 5, (2, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = model.loss(x, mask, targets, lengths, frames, 0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
