"""ST-Transformer for isolated signs (seed 000) with optional cross-modal attention (seed 003).

Input: x (B, T, F) per-frame features from features.build_features, the parts concatenated in
config order, a part's block NaN where that part was not detected; mask (B, T) True for real
frames, False for padding. Absent parts become a learned "missing" token and are ignored as
attention keys; padded frames are ignored by temporal attention and by the pooling, so the
output for a clip does not depend on how much padding its batch added.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from mlcore.layers import sinusoidal_encoding
from recognition.ml.config import ModelConfig

# Parts that take part in seed 003's cross-modal attention ("body" is the pose).
CROSS_MODAL_PARTS = ("left_hand", "right_hand", "pose")


def reduce_heads(requested: int, widths: Sequence[int]) -> int:
    """Largest head count <= requested dividing every width; warns when it had to reduce."""
    heads = max(1, requested)
    while heads > 1 and any(w % heads for w in widths):
        heads -= 1
    if heads != requested:
        warnings.warn(
            f"cross-modal attention: reduced heads from {requested} to {heads} so that they "
            f"divide every part width {tuple(widths)}",
            stacklevel=2,
        )
    return heads


class PartEmbedding(nn.Module):
    """Per-part BatchNorm + Linear on the rows where the part is present, plus part embeddings."""

    def __init__(self, dims: Sequence[int], d_model: int) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.BatchNorm1d(d) for d in dims)
        self.projs = nn.ModuleList(nn.Linear(d, d_model) for d in dims)
        self.missing = nn.Parameter(torch.zeros(len(dims), d_model))
        self.part_embedding = nn.Parameter(torch.randn(len(dims), d_model) * 0.02)

    def forward(self, parts: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        # parts[i]: (B, T, F_i) with zeros where absent; present: (B, T, P) -> (B, T, P, D)
        B, T, _ = present.shape
        tokens = []
        for i, (norm, proj) in enumerate(zip(self.norms, self.projs, strict=True)):
            rows = present[..., i]  # (B, T)
            token = self.missing[i].expand(B, T, -1).clone()
            if rows.any():
                bn = cast(nn.BatchNorm1d, norm)
                values = parts[i][rows]  # (N, F_i): BatchNorm statistics from real rows only
                # A single row has no batch variance: fall back to the running statistics.
                normed = F.batch_norm(
                    values, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                    training=self.training and values.shape[0] > 1,
                    momentum=bn.momentum or 0.1, eps=bn.eps,
                )
                token[rows] = proj(normed).to(token.dtype)
            tokens.append(token)
        return torch.stack(tokens, dim=2) + self.part_embedding  # (B, T, P, D)


class STBlock(nn.Module):
    """Spatial attention across parts, temporal attention across frames, GELU MLP (post-norm)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.spatial = nn.MultiheadAttention(d, cfg.n_heads, cfg.dropout, batch_first=True)
        self.temporal = nn.MultiheadAttention(d, cfg.n_heads, cfg.dropout, batch_first=True)
        self.mlp = nn.Sequential(
            nn.Linear(d, cfg.mlp_ratio * d), nn.GELU(), nn.Dropout(cfg.dropout),
            nn.Linear(cfg.mlp_ratio * d, d),
        )
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, h: torch.Tensor, part_pad: torch.Tensor, frame_pad: torch.Tensor
    ) -> torch.Tensor:
        # h: (B, T, P, D); part_pad: (B*T, P) True = ignore key; frame_pad: (B*P, T)
        B, T, P, D = h.shape
        s = h.reshape(B * T, P, D)
        a, _ = self.spatial(s, s, s, key_padding_mask=part_pad, need_weights=False)
        s = self.norms[0](s + self.drop(a))
        t = s.reshape(B, T, P, D).transpose(1, 2).reshape(B * P, T, D)
        a, _ = self.temporal(t, t, t, key_padding_mask=frame_pad, need_weights=False)
        t = self.norms[1](t + self.drop(a))
        t = self.norms[2](t + self.drop(self.mlp(t)))
        return t.reshape(B, P, T, D).transpose(1, 2)  # (B, T, P, D)


class CrossModalAttention(nn.Module):
    """Seed 003: each modality attends over time to each other one; gated residual + LayerNorm.

    h_i' = LayerNorm(h_i + sigmoid(W_i [h_i; h_i<-j; h_i<-k]) * (h_i<-j + h_i<-k))
    """

    def __init__(self, widths: Sequence[int], heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.widths = tuple(widths)
        self.heads = reduce_heads(heads, self.widths)
        n = len(self.widths)
        pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
        self.pairs = pairs
        # Keys/values of modality j projected into modality i's width.
        self.proj = nn.ModuleList(nn.Linear(self.widths[j], self.widths[i]) for i, j in pairs)
        self.attn = nn.ModuleList(
            nn.MultiheadAttention(self.widths[i], self.heads, dropout, batch_first=True)
            for i, _ in pairs
        )
        self.gate = nn.ModuleList(nn.Linear(w * n, w) for w in self.widths)
        self.norm = nn.ModuleList(nn.LayerNorm(w) for w in self.widths)

    def forward(self, feats: list[torch.Tensor], valid: list[torch.Tensor]) -> list[torch.Tensor]:
        # feats[i]: (B, T, d_i); valid[i]: (B, T) True where modality i has a real frame
        messages: list[list[torch.Tensor]] = [[] for _ in feats]
        for (i, j), proj, attn in zip(self.pairs, self.proj, self.attn, strict=True):
            kv = proj(feats[j])  # (B, T, d_i)
            pad = ~valid[j]
            nothing = pad.all(dim=1)  # (B,) modality j absent from the whole clip
            a, _ = attn(feats[i], kv, kv, key_padding_mask=pad & ~nothing[:, None],
                        need_weights=False)
            messages[i].append(a * (~nothing)[:, None, None].to(a.dtype))
        out = []
        for i, h in enumerate(feats):
            gate = torch.sigmoid(self.gate[i](torch.cat([h, *messages[i]], dim=-1)))
            out.append(self.norm[i](h + gate * sum(messages[i])))
        return out


class IsolatedSignTransformer(nn.Module):
    """Seed 000's ST-Transformer: part tokens -> ST blocks -> attention pooling -> logits."""

    def __init__(self, cfg: ModelConfig, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if not cfg.part_dims or cfg.num_classes < 1:
            raise ValueError("ModelConfig needs part_dims and num_classes")
        self.cfg = cfg
        self.label_smoothing = label_smoothing
        in_dims = [d * (2 if cfg.velocity else 1) for d in cfg.part_dims]
        self.embed = PartEmbedding(in_dims, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(STBlock(cfg) for _ in range(cfg.n_layers))
        self.cross_parts = [i for i, p in enumerate(cfg.part_names) if p in CROSS_MODAL_PARTS]
        self.cross: CrossModalAttention | None = None
        if cfg.cross_modal and len(self.cross_parts) >= 2:
            widths = [cfg.d_model] * len(self.cross_parts)
            self.cross = CrossModalAttention(widths, cfg.cross_modal_heads, cfg.dropout)
        elif cfg.cross_modal:
            warnings.warn("cross-modal attention needs two of hands/pose; disabled", stacklevel=2)
        self.pool_score = nn.Linear(cfg.d_model, 1)
        self.head = nn.Sequential(nn.LayerNorm(cfg.d_model), nn.Dropout(cfg.dropout),
                                  nn.Linear(cfg.d_model, cfg.num_classes))

    def split_parts(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(B, T, F) -> per-part (B, T, F_i) with NaN zeroed, and presence (B, T, P)."""
        parts = list(torch.split(x, list(self.cfg.part_dims), dim=-1))
        present = torch.stack([~torch.isnan(p[..., 0]) for p in parts], dim=-1)
        return [torch.nan_to_num(p) for p in parts], present

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        # x: (B, T, F); mask: (B, T) bool; targets: (B,) class indices
        parts, present = self.split_parts(x)
        present = present & mask[..., None]  # (B, T, P)
        if self.cfg.velocity:
            parts = [torch.cat([p, velocity(p, present[..., i])], dim=-1)
                     for i, p in enumerate(parts)]
        h = self.embed(parts, present)  # (B, T, P, D)
        B, T, P, D = h.shape
        h = self.drop(h + sinusoidal_encoding(T, D, h.device)[None, :, None, :].to(h.dtype))
        part_pad = ~present.reshape(B * T, P)
        part_pad = part_pad & ~part_pad.all(dim=1, keepdim=True)  # no part: attend to all
        frame_pad = (~mask)[:, None, :].expand(B, P, T).reshape(B * P, T)
        for block in self.blocks:
            h = block(h, part_pad, frame_pad)
        if self.cross is not None:
            idx = self.cross_parts
            mixed = self.cross([h[:, :, i] for i in idx], [present[..., i] for i in idx])
            h = h.clone()
            for i, m in zip(idx, mixed, strict=True):
                h[:, :, i] = m
        frames = h.mean(dim=2)  # (B, T, D)
        scores = self.pool_score(frames).squeeze(-1).masked_fill(~mask, float("-inf"))  # (B, T)
        pooled = (torch.softmax(scores.float(), dim=1).to(frames.dtype)[..., None] * frames).sum(1)
        logits = self.head(pooled)  # (B, C)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.float(), targets, label_smoothing=self.label_smoothing)
        return logits, loss


def velocity(p: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """Frame-to-frame difference (B, T, F); 0 at the first frame and wherever a side is absent."""
    prev = torch.cat([p[:, :1], p[:, :-1]], dim=1)
    prev_present = torch.cat([present[:, :1] & False, present[:, :-1]], dim=1)
    both = (present & prev_present)[..., None]
    return torch.where(both, p - prev, torch.zeros_like(p))
