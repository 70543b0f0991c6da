"""Encoder-decoder translator: landmark frames or gloss ids in, SentencePiece pieces out.

Seed 004's transformer with its mistakes fixed (padding masks on both sides, no print in
forward, a corpus-sized tied vocabulary, an incremental key/value cache for decoding) and seed
002's additions (CTC gloss head on the encoder trained jointly, optional velocity features).
Masks are boolean with True = "real position / may attend".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from mlcore.layers import sinusoidal_encoding
from translation.ml.config import ModelConfig
from translation.ml.tokenizer import PAD_ID


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention whose keys/values can be computed once and reused."""

    def __init__(self, d_model: int, n_heads: int, attn_dropout: float) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by n_heads {n_heads}")
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.attn_dropout = attn_dropout

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        return x.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2)  # (B, H, T, Dh)

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Project `x` (B, T, D) to per-head keys and values, each (B, H, T, Dh)."""
        return self._split(self.k_proj(x)), self._split(self.v_proj(x))

    def fused_qkv(self) -> tuple[torch.Tensor, torch.Tensor]:
        """q/k/v projections as one (3D, D) matrix: one matmul per decoding step, not three."""
        weight = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
        return weight, torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])

    def split_qkv(self, x: torch.Tensor, fused: tuple[torch.Tensor, torch.Tensor]
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-head q, k, v of `x` (B, T, D) through the fused projection."""
        q, k, v = F.linear(x, *fused).chunk(3, dim=-1)
        return self._split(q), self._split(k), self._split(v)

    def forward(
        self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        return self.attend(self._split(self.q_proj(x)), k, v, mask)

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
               mask: torch.Tensor | None) -> torch.Tensor:
        """Attention of per-head queries q (B, H, Tq, Dh) over k, v; output (B, Tq, D)."""
        p = self.attn_dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        b, h, t, dh = y.shape
        return self.out_proj(y.transpose(1, 2).reshape(b, t, h * dh))


class FeedForward(nn.Module):
    def __init__(self, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return self.net(x)
        fc1, act, _drop, fc2 = self.net  # eval: skip the no-op dropout call (decoding speed)
        return fc2(act(fc1(x)))


class _Residual(nn.Module):
    """x + sublayer with LayerNorm before (pre-LN) or after the sum (post-LN, Vaswani 2017)."""

    def __init__(self, d_model: int, dropout: float, pre_norm: bool) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)
        self.pre_norm = pre_norm

    def inner(self, x: torch.Tensor) -> torch.Tensor:
        """What the sublayer sees."""
        return self.norm(x) if self.pre_norm else x

    def outer(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Combine the input `x` with the sublayer output `y`."""
        out = x + (self.drop(y) if self.training else y)
        return out if self.pre_norm else self.norm(out)


class EncoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.attn_dropout)
        self.ff = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.res_attn = _Residual(cfg.d_model, cfg.dropout, cfg.pre_norm)
        self.res_ff = _Residual(cfg.d_model, cfg.dropout, cfg.pre_norm)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.res_attn.inner(x)
        x = self.res_attn.outer(x, self.attn(h, *self.attn.keys_values(h), mask))
        return self.res_ff.outer(x, self.ff(self.res_ff.inner(x)))


@dataclass
class DecoderCache:
    """Per-layer keys/values of the decoded prefix and of the (fixed) encoder memory."""

    self_k: list[torch.Tensor | None]
    self_v: list[torch.Tensor | None]
    mem_k: list[torch.Tensor]
    mem_v: list[torch.Tensor]
    mem_mask: torch.Tensor  # (B, 1, 1, S)
    self_qkv: list[tuple[torch.Tensor, torch.Tensor]]  # fused self-attention projections
    length: int = 0  # decoded positions so far

    def reorder(self, index: torch.Tensor) -> None:
        """Keep rows `index` (beam search re-ranks hypotheses every step)."""
        def pick(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.index_select(0, index)

        self.self_k = [pick(t) for t in self.self_k]
        self.self_v = [pick(t) for t in self.self_v]
        self.mem_k = [t.index_select(0, index) for t in self.mem_k]
        self.mem_v = [t.index_select(0, index) for t in self.mem_v]
        self.mem_mask = self.mem_mask.index_select(0, index)


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.attn_dropout)
        self.cross_attn = MultiHeadAttention(cfg.d_model, cfg.n_heads, cfg.attn_dropout)
        self.ff = FeedForward(cfg.d_model, cfg.d_ff, cfg.dropout)
        self.res_self = _Residual(cfg.d_model, cfg.dropout, cfg.pre_norm)
        self.res_cross = _Residual(cfg.d_model, cfg.dropout, cfg.pre_norm)
        self.res_ff = _Residual(cfg.d_model, cfg.dropout, cfg.pre_norm)

    def forward(
        self,
        x: torch.Tensor,  # (B, T, D)
        self_mask: torch.Tensor | None,
        mem_kv: tuple[torch.Tensor, torch.Tensor],
        mem_mask: torch.Tensor,
        cache: DecoderCache | None = None,
        index: int = 0,
    ) -> torch.Tensor:
        h = self.res_self.inner(x)
        if cache is None:
            k, v = self.self_attn.keys_values(h)
            x = self.res_self.outer(x, self.self_attn(h, k, v, self_mask))
        else:
            # Only the new position is computed; earlier keys/values come from the cache.
            q, k, v = self.self_attn.split_qkv(h, cache.self_qkv[index])
            past_k, past_v = cache.self_k[index], cache.self_v[index]
            if past_k is not None and past_v is not None:
                k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
            cache.self_k[index], cache.self_v[index] = k, v
            x = self.res_self.outer(x, self.self_attn.attend(q, k, v, self_mask))
        h = self.res_cross.inner(x)
        x = self.res_cross.outer(x, self.cross_attn(h, *mem_kv, mem_mask))
        return self.res_ff.outer(x, self.ff(self.res_ff.inner(x)))


class Translator(nn.Module):
    pe: torch.Tensor  # (max_len, D) buffer
    gloss_to_piece: torch.Tensor  # (gloss vocab,) buffer
    """Source (gloss ids or landmark frames) -> encoder -> decoder -> piece logits."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        if cfg.input_kind == "gloss":
            self.src_embed: nn.Module = nn.Embedding(cfg.src_vocab_size, d, padding_idx=PAD_ID)
        elif cfg.input_kind == "landmarks":
            self.src_embed = nn.Linear(cfg.frame_dim, d)
        else:
            raise ValueError(f"unknown input_kind {cfg.input_kind!r}")
        self.tgt_embed = nn.Embedding(cfg.tgt_vocab_size, d, padding_idx=PAD_ID)
        if cfg.input_kind == "gloss" and cfg.share_gloss_text:
            # gloss id -> piece id of the same word (0 = none; row 0 of tgt_embed stays zero).
            self.register_buffer("gloss_to_piece", torch.zeros(cfg.src_vocab_size, dtype=torch.long))
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.n_enc_layers))
        self.decoder: list[DecoderLayer] = nn.ModuleList(  # type: ignore[assignment]
            DecoderLayer(cfg) for _ in range(cfg.n_dec_layers)
        )
        # Pre-LN stacks need a final norm; post-LN outputs are already normalised.
        self.enc_norm = nn.LayerNorm(d) if cfg.pre_norm else nn.Identity()
        self.dec_norm = nn.LayerNorm(d) if cfg.pre_norm else nn.Identity()
        self.out_proj = nn.Linear(d, cfg.tgt_vocab_size, bias=False)
        self.ctc_head = nn.Linear(d, cfg.ctc_vocab_size) if cfg.ctc_vocab_size > 0 else None
        self.register_buffer("pe", sinusoidal_encoding(max(cfg.max_src_len, cfg.max_tgt_len + 1), d),
                             persistent=False)
        self._init_weights()
        if cfg.tie_embeddings:
            self.out_proj.weight = self.tgt_embed.weight

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                # std d^-1/2 so that the tied output projection starts with unit-scale logits.
                nn.init.normal_(module.weight, std=self.cfg.d_model**-0.5)
                nn.init.zeros_(module.weight[PAD_ID])

    def _positions(self, start: int, length: int) -> torch.Tensor:
        if start + length > self.pe.shape[0]:  # longer than configured: compute on the fly
            return sinusoidal_encoding(start + length, self.cfg.d_model, self.pe.device)[start:]
        return self.pe[start : start + length]

    def _embed_src(self, src: torch.Tensor) -> torch.Tensor:
        if self.cfg.input_kind == "gloss":
            x = self.src_embed(src)  # (B, S, D)
            if self.cfg.share_gloss_text:
                x = x + self.tgt_embed(self.gloss_to_piece[src])
            return x * math.sqrt(self.cfg.d_model)
        if self.cfg.velocity:
            # Frame-to-frame motion, the landmark analogue of seed 002's optical flow.
            vel = torch.diff(src, dim=1, prepend=src[:, :1])
            src = torch.cat([src, vel], dim=-1)
        return self.src_embed(src)

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """src (B, S) ids or (B, S, F) features, src_mask (B, S) -> memory (B, S, D)."""
        x = self._embed_src(src)
        x = self.drop(x + self._positions(0, x.shape[1]))
        attn_mask = src_mask[:, None, None, :]  # (B, 1, 1, S): padded frames are never keys
        for layer in self.encoder:
            x = layer(x, attn_mask)
        return self.enc_norm(x)

    def ctc_log_probs(self, memory: torch.Tensor) -> torch.Tensor | None:
        """(B, S, G) log-probabilities of the CTC gloss head, or None without one."""
        if self.ctc_head is None:
            return None
        return F.log_softmax(self.ctc_head(memory).float(), dim=-1)

    def _embed_tgt(self, tokens: torch.Tensor, start: int) -> torch.Tensor:
        x = self.tgt_embed(tokens) * math.sqrt(self.cfg.d_model)
        x = x + self._positions(start, tokens.shape[1])
        return self.drop(x) if self.training else x

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """Teacher-forced decoding of the whole prefix: tgt_in (B, T) -> logits (B, T, V)."""
        t = tgt_in.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=tgt_in.device).tril()
        self_mask = causal[None, None] & (tgt_in != PAD_ID)[:, None, None, :]  # (B, 1, T, T)
        mem_mask = src_mask[:, None, None, :]
        x = self._embed_tgt(tgt_in, 0)
        for layer in self.decoder:
            x = layer(x, self_mask, layer.cross_attn.keys_values(memory), mem_mask)
        return self.out_proj(self.dec_norm(x))

    def start_cache(self, memory: torch.Tensor, src_mask: torch.Tensor) -> DecoderCache:
        """Project the encoder memory once per layer for incremental decoding."""
        kv = [layer.cross_attn.keys_values(memory) for layer in self.decoder]
        n = len(self.decoder)
        return DecoderCache(
            self_k=[None] * n, self_v=[None] * n, mem_k=[k for k, _ in kv],
            mem_v=[v for _, v in kv], mem_mask=src_mask[:, None, None, :],
            self_qkv=[layer.self_attn.fused_qkv() for layer in self.decoder],
        )

    def decode_step(self, tokens: torch.Tensor, cache: DecoderCache) -> torch.Tensor:
        """Feed one new token per row, tokens (B,), and return next-token logits (B, V)."""
        x = self._embed_tgt(tokens[:, None], cache.length)  # (B, 1, D)
        for i, layer in enumerate(self.decoder):
            # The single query may see every cached position: no self mask needed.
            x = layer(x, None, (cache.mem_k[i], cache.mem_v[i]), cache.mem_mask, cache, i)
        cache.length += 1
        return self.out_proj(self.dec_norm(x))[:, 0]

    def loss_terms(
        self,
        logits: torch.Tensor,
        targets: torch.Tensor,
        memory: torch.Tensor,
        src_mask: torch.Tensor,
        ctc_targets: torch.Tensor | None,
    ) -> dict[str, torch.Tensor]:
        """Label-smoothed CE over non-pad targets, plus CTC over glosses when configured."""
        cfg = self.cfg
        ce = F.cross_entropy(
            logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1),
            ignore_index=PAD_ID, label_smoothing=cfg.label_smoothing,
        )
        terms = {"ce": ce, "loss": cfg.ce_weight * ce}
        log_probs = self.ctc_log_probs(memory) if cfg.ctc_weight > 0 else None
        if log_probs is not None and ctc_targets is not None:
            ctc = F.ctc_loss(
                log_probs.transpose(0, 1), ctc_targets, src_mask.sum(1), (ctc_targets != 0).sum(1),
                blank=0, zero_infinity=True,
            )
            terms["ctc"] = ctc
            terms["loss"] = terms["loss"] + cfg.ctc_weight * ctc
        return terms

    def forward(
        self,
        src: torch.Tensor,
        src_mask: torch.Tensor,
        tgt_in: torch.Tensor,
        targets: torch.Tensor | None = None,
        ctc_targets: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(logits (B, T, V), joint loss or None). ctc_targets: (B, G) gloss ids, 0-padded."""
        memory = self.encode(src, src_mask)
        logits = self.decode(tgt_in, memory, src_mask)
        if targets is None:
            return logits, None
        return logits, self.loss_terms(logits, targets, memory, src_mask, ctc_targets)["loss"]
