"""CTC recogniser: (optional seed-001 temporal convolutions) -> seed-004 encoder -> CTC head.

The encoder layers are translation.ml.model.EncoderLayer (seed 004, pre-LN, padding masks), the
same blocks as the translator's encoder; only the input side differs. The optional front is
seed 001's temporal modelling: residual blocks of a depthwise dilated Conv1d over time followed
by a pointwise (1x1) Conv1d, dilation doubling per block, so a few cheap layers see ~0.5 s.
Padded frames are zeroed before every convolution so that they never leak into real frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mlcore.config import Config
from mlcore.layers import sinusoidal_encoding
from translation.ml.config import ModelConfig
from translation.ml.model import EncoderLayer

BLANK = 0  # CTC blank id; glosses are 1..vocab_size-1


@dataclass(frozen=True)
class CTCModelConfig(Config):
    """Shape of the recogniser; the defaults are the small CPU model that BOSTON-104 can feed."""

    input_dim: int = 8
    vocab_size: int = 2  # blank + glosses
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 128
    dropout: float = 0.3
    attn_dropout: float = 0.0  # dropout RNG on (B, H, T, T) dominated CPU step time
    input_dropout: float = 0.1  # dropout on the projected frame features
    conv_layers: int = 0  # seed-001 front: 0 = none
    conv_kernel: int = 5
    max_len: int = 1024
    frame_head: bool = False  # auxiliary per-frame gloss classifier (trained on word segments)
    # Average-pool this many input frames into one model step (2: 15 steps/s from 30 fps). Signs
    # last 3-30 frames (mean 11), so 2 keeps every word several steps long and halves the cost.
    frame_stride: int = 1

    def encoder_config(self) -> ModelConfig:
        """The translator's config type, as its EncoderLayer expects."""
        return ModelConfig(d_model=self.d_model, n_heads=self.n_heads, d_ff=self.d_ff,
                           dropout=self.dropout, attn_dropout=self.attn_dropout, pre_norm=True)


class SeparableConvBlock(nn.Module):
    """x + pointwise(GELU(depthwise dilated conv(LayerNorm x))), on (B, T, D)."""

    def __init__(self, d_model: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.depthwise = nn.Conv1d(d_model, d_model, kernel, padding=dilation * (kernel // 2),
                                   dilation=dilation, groups=d_model)
        self.pointwise = nn.Conv1d(d_model, d_model, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm(x).masked_fill(~mask[..., None], 0.0).transpose(1, 2)  # (B, D, T)
        h = self.pointwise(F.gelu(self.depthwise(h))).transpose(1, 2)
        return x + self.drop(h)


class CTCRecognizer(nn.Module):
    """Frames (B, T, F) + mask (B, T) -> per-frame gloss log-probabilities (B, T, V)."""

    pe: torch.Tensor

    def __init__(self, cfg: CTCModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.input_norm = nn.LayerNorm(cfg.input_dim)
        self.embed = nn.Linear(cfg.input_dim, cfg.d_model)
        self.in_drop = nn.Dropout(cfg.input_dropout)
        self.convs = nn.ModuleList(
            SeparableConvBlock(cfg.d_model, cfg.conv_kernel, 2**i, cfg.dropout)
            for i in range(cfg.conv_layers))
        enc_cfg = cfg.encoder_config()
        self.encoder = nn.ModuleList(EncoderLayer(enc_cfg) for _ in range(cfg.n_layers))
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size)
        # Training-only helper: BOSTON's word segments label every frame (gloss or gap = blank);
        # a separate head keeps CTC's peaky outputs free while the encoder learns from them.
        self.frame_head = nn.Linear(cfg.d_model, cfg.vocab_size) if cfg.frame_head else None
        self.register_buffer("pe", sinusoidal_encoding(cfg.max_len, cfg.d_model), persistent=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T', V) CTC log-probabilities, T' = ceil(T / frame_stride) steps."""
        x, mask = self.pool(x, mask)
        return F.log_softmax(self.head(self.encode(x, mask)).float(), dim=-1)

    def pool(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Average every frame_stride real frames: (B, T, F), (B, T) -> (B, T', F), (B, T')."""
        k = self.cfg.frame_stride
        if k == 1:
            return x, mask
        pad = (-x.shape[1]) % k
        x = F.pad(x * mask[..., None], (0, 0, 0, pad))
        m = F.pad(mask, (0, pad)).float()
        b, t, f = x.shape
        count = m.view(b, t // k, k).sum(-1)
        x = x.view(b, t // k, k, f).sum(2) / count.clamp(min=1)[..., None]
        return x, count > 0

    def encode(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, T, D) encoder output of already pooled steps (final LayerNorm applied)."""
        h = self.in_drop(self.embed(self.input_norm(x)))
        for conv in self.convs:
            h = conv(h, mask)
        t = h.shape[1]
        pe = self.pe[:t] if t <= self.pe.shape[0] else sinusoidal_encoding(t, self.cfg.d_model,
                                                                             h.device)
        h = h + pe
        attn_mask = mask[:, None, None, :]  # padded frames are never keys
        for layer in self.encoder:
            h = layer(h, attn_mask)
        return self.norm(h)

    def loss(self, x: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor,
             target_lengths: torch.Tensor, frame_labels: torch.Tensor | None = None,
             frame_weight: float = 0.0) -> torch.Tensor:
        """Mean CTC loss per target gloss (targets (B, L) 0-padded), plus frame_weight x the
        frame head's cross-entropy on frame_labels (B, T') (-100 = padding) when given."""
        x, mask = self.pool(x, mask)
        h = self.encode(x, mask)
        log_probs = F.log_softmax(self.head(h).float(), dim=-1)
        loss = F.ctc_loss(log_probs.transpose(0, 1), targets, mask.sum(1), target_lengths,
                          blank=BLANK, reduction="mean", zero_infinity=True)
        if self.frame_head is not None and frame_labels is not None and frame_weight > 0:
            logits = self.frame_head(h).float()
            loss = loss + frame_weight * F.cross_entropy(logits.transpose(1, 2), frame_labels,
                                                         ignore_index=-100)
        return loss
