"""Encoder-decoder translator: landmark frames or gloss ids in, SentencePiece pieces out.

Seed 004's transformer with its mistakes fixed (padding masks on both sides, no print in
forward, a corpus-sized tied vocabulary, an incremental key/value cache for decoding) and seed
002's additions (CTC gloss head on the encoder trained jointly, optional velocity features).
Masks are boolean with True = "real position / may attend".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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

    def forward(
        self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.Tensor:
        return self.attend(self._split(self.q_proj(x)), k, v, mask)

    def prepare_memory(self, memory: torch.Tensor, src_mask: torch.Tensor,
                       out_weight: torch.Tensor) -> CrossMemory:
        """Encoder memory (B, S, D) made ready for one query per step (incremental decoding);
        `out_weight` is out_proj's weight transposed to (in, out) (StepWeights.cross_out).

        When heads x source positions <= d_model, the query and output projections are folded
        into the memory (scores = x K' + c, output = p V' + b_out): two batched matmuls and a
        softmax per step instead of two projections, head splits and attention, and fewer
        weights to read. Longer sources (landmark frames) keep per-head keys and values."""
        k, v = self.keys_values(memory)  # (B, H, S, Dh)
        b, h, s, dh = k.shape
        if h * s > memory.shape[-1]:
            return CrossMemory(k, v, src_mask[:, None, None, :], folded=False)
        scale = dh**-0.5
        # Plain batched matmuls over contiguous weights: einsum picked a transposing path
        # that took 5x longer (0.46 vs 0.09 ms per layer at d 512).
        wq = self.q_proj.weight.view(h, dh, -1)  # (H, Dh, D): the rows of head h
        # (B, D, H*S), contiguous as CrossMemory.select's copies are: the step's matmul then
        # rounds alike before and after a beam reorder
        keys = (torch.matmul(k, wq) * scale).view(b, h * s, -1).transpose(1, 2).contiguous()
        bias = torch.einsum("bhsd,hd->bhs", k, self.q_proj.bias.view(h, dh)) * scale
        bias = bias.masked_fill(~src_mask[:, None, :], float("-inf")).reshape(b, 1, h * s)
        wo = out_weight.view(h, dh, -1)  # (H, Dh, D): the rows of head h
        values = torch.matmul(v, wo).reshape(b, h * s, -1)
        return CrossMemory(keys, values, bias, folded=True)

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


Projection = tuple[torch.Tensor, torch.Tensor]  # weight (in, out) contiguous, bias (out,)


def _transposed(*linears: nn.Linear) -> Projection:
    """nn.Linear weights (out, in) -> one (in, out) matrix (side by side when several)."""
    weight = torch.cat([lin.weight for lin in linears]).t().contiguous()
    return weight, torch.cat([lin.bias for lin in linears])


@dataclass
class StepWeights:
    """A decoder layer's parameters for incremental decoding, read without nn.Module lookups.

    Projections are transposed to (in, out) and contiguous, the self-attention q/k/v fused into
    one matrix: a one-row matmul streams this layout about twice as fast as nn.Linear's
    (out, in) on CPU once the weights no longer fit the core's cache (0.74 vs 1.40 ms for 12
    matrices of 768 x 256), and batch-1 decoding reads every weight once per token. `norms`
    are the LayerNorms' (weight, bias) before/after the self-attention, cross-attention and
    feed-forward sublayers. Built once and reused until a parameter changes."""

    qkv: Projection
    self_out: Projection
    cross_q: Projection
    cross_out: Projection
    fc1: Projection
    fc2: Projection
    norms: tuple[Projection, Projection, Projection]
    eps: float
    n_heads: int
    pre_norm: bool


@dataclass
class CrossMemory:
    """One decoder layer's view of the encoder memory for incremental decoding.

    folded: keys (B, D, H*S) with 1/sqrt(Dh), bias (B, 1, H*S) with -inf on padding, values
    (B, H*S, D) with the output projection applied. Otherwise: per-head keys and values
    (B, H, S, Dh) and the boolean mask (B, 1, 1, S) as `bias`."""

    keys: torch.Tensor
    values: torch.Tensor
    bias: torch.Tensor
    folded: bool

    def select(self, index: torch.Tensor) -> CrossMemory:
        return CrossMemory(self.keys.index_select(0, index), self.values.index_select(0, index),
                           self.bias.index_select(0, index), self.folded)


@dataclass
class DecoderCache:
    """Per-layer state of incremental decoding: the decoded prefix's keys and values in a
    preallocated buffer (written in place, one copy per step, no torch.cat) and the encoder
    memory prepared once per source."""

    kv: list[torch.Tensor]  # (B, 2, H, capacity, Dh): keys [:, 0], values [:, 1]; positions
    # from `length` on are unwritten (never read: attention sees [:length + 1] after a write)
    memory: list[CrossMemory]
    weights: list[StepWeights]
    out_weight: torch.Tensor  # (D, V): the output projection, transposed
    length: int = 0  # decoded positions so far

    def reorder(self, index: torch.Tensor) -> None:
        """Keep rows `index` (beam search re-ranks hypotheses every step)."""
        self.kv = [t.index_select(0, index) for t in self.kv]
        self.memory = [m.select(index) for m in self.memory]

    def slot(self, layer: int) -> torch.Tensor:
        """Layer's buffer with room for one more position (doubled when full, which is rare:
        it starts at the model's max_tgt_len)."""
        buf = self.kv[layer]
        if self.length == buf.shape[3]:
            buf = torch.cat([buf, torch.empty_like(buf)], dim=3)
            self.kv[layer] = buf
        return buf


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
    ) -> torch.Tensor:
        h = self.res_self.inner(x)
        k, v = self.self_attn.keys_values(h)
        x = self.res_self.outer(x, self.self_attn(h, k, v, self_mask))
        h = self.res_cross.inner(x)
        x = self.res_cross.outer(x, self.cross_attn(h, *mem_kv, mem_mask))
        return self.res_ff.outer(x, self.ff(self.res_ff.inner(x)))

    def step_weights(self) -> StepWeights:
        sa, ca, ff = self.self_attn, self.cross_attn, self.ff.net
        norms = (self.res_self.norm, self.res_cross.norm, self.res_ff.norm)
        return StepWeights(
            qkv=_transposed(sa.q_proj, sa.k_proj, sa.v_proj), self_out=_transposed(sa.out_proj),
            cross_q=_transposed(ca.q_proj), cross_out=_transposed(ca.out_proj),
            fc1=_transposed(ff[0]), fc2=_transposed(ff[3]),  # type: ignore[arg-type]
            norms=tuple((n.weight, n.bias) for n in norms),  # type: ignore[arg-type]
            eps=norms[0].eps, n_heads=sa.n_heads, pre_norm=self.res_self.pre_norm)


def _step_layer(x: torch.Tensor, w: StepWeights, buf: torch.Tensor, memory: CrossMemory,
                t: int) -> torch.Tensor:
    """DecoderLayer.forward for one new position per row, x (B, D), position t, the earlier
    keys/values in `buf` (DecoderCache.kv). Written out flat, every weight from `w`: at batch 1
    a step is ~25 small ops per layer, and module calls and attribute lookups cost as much as
    the ops themselves."""
    b, d = x.shape
    (n1, b1), (n2, b2), (n3, b3) = w.norms
    pre, eps, dims = w.pre_norm, w.eps, (d,)
    h = F.layer_norm(x, dims, n1, b1, eps) if pre else x
    qkv = torch.addmm(w.qkv[1], h, w.qkv[0]).view(b, 3, w.n_heads, -1)
    buf[:, :, :, t] = qkv[:, 1:]  # this position's key and value, written in place
    kv = buf[:, :, :, : t + 1]
    # The single query may see every cached position: no mask needed.
    y = F.scaled_dot_product_attention(qkv[:, :1].transpose(1, 2), kv[:, 0], kv[:, 1])
    # (B, H, 1, Dh) is laid out as (B, H*Dh): heads concatenate without a transpose.
    x = x + torch.addmm(w.self_out[1], y.view(b, d), w.self_out[0])
    if not pre:
        x = h = F.layer_norm(x, dims, n1, b1, eps)
    else:
        h = F.layer_norm(x, dims, n2, b2, eps)
    if memory.folded:  # scores = h K' + c, output = p V' + b_out (prepare_memory)
        n = memory.bias.shape[-1]
        scores = torch.baddbmm(memory.bias, h.unsqueeze(1), memory.keys)  # (B, 1, H*S)
        p = scores.view(b, w.n_heads, -1).softmax(dim=-1).view(b, 1, n)
        y = torch.baddbmm(w.cross_out[1], p, memory.values).view(b, d)
    else:
        q = torch.addmm(w.cross_q[1], h, w.cross_q[0]).view(b, w.n_heads, 1, -1)
        y = F.scaled_dot_product_attention(q, memory.keys, memory.values, attn_mask=memory.bias)
        y = torch.addmm(w.cross_out[1], y.view(b, d), w.cross_out[0])
    x = x + y
    if not pre:
        x = h = F.layer_norm(x, dims, n2, b2, eps)
    else:
        h = F.layer_norm(x, dims, n3, b3, eps)
    x = x + torch.addmm(w.fc2[1], F.gelu(torch.addmm(w.fc1[1], h, w.fc1[0])), w.fc2[0])
    return x if pre else F.layer_norm(x, dims, n3, b3, eps)


TIED_KEY, SHARED_KEY = "out_proj.weight", "tgt_embed.weight"


def stored_state(state: dict[str, torch.Tensor], tied: bool, prefixes: Sequence[str] = ("",)
                 ) -> dict[str, torch.Tensor]:
    """`state` as a bundle stores it: safetensors refuses shared tensors, so a tied output
    matrix (the target embedding) is kept once, under `tgt_embed` (each model's key `prefix`)."""
    drop = {prefix + TIED_KEY for prefix in prefixes} if tied else set()
    return {k: v for k, v in state.items() if k not in drop}


def loaded_state(state: dict[str, torch.Tensor], tied: bool, prefixes: Sequence[str] = ("",)
                 ) -> dict[str, torch.Tensor]:
    """A stored state (`stored_state`) with each tied output matrix back, ready for
    load_state_dict."""
    out = dict(state)
    for prefix in prefixes if tied else ():
        if prefix + SHARED_KEY in out:
            out.setdefault(prefix + TIED_KEY, out[prefix + SHARED_KEY])
    return out


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
        """Prepare the encoder memory once per layer and preallocate the self-attention
        key/value buffers for incremental decoding (eval mode: no dropout on this path)."""
        b, heads = memory.shape[0], self.cfg.n_heads
        shape = (b, 2, heads, self.cfg.max_tgt_len + 1, self.cfg.d_model // heads)
        weights, out_weight = self._step_weights()
        return DecoderCache(
            kv=[memory.new_empty(shape) for _ in self.decoder],
            memory=[layer.cross_attn.prepare_memory(memory, src_mask, w.cross_out[0])
                    for layer, w in zip(self.decoder, weights, strict=True)],
            weights=weights, out_weight=out_weight,
        )

    def _step_weights(self) -> tuple[list[StepWeights], torch.Tensor]:
        """The decoder's StepWeights and transposed output projection, rebuilt only when a
        parameter was replaced or changed in place (optimiser step, load_state_dict, .to())."""
        key = tuple((p.data_ptr(), p._version) for p in self.parameters())
        cached = self.__dict__.get("_step_cache")
        if cached is None or cached[0] != key:
            with torch.no_grad():
                built = ([layer.step_weights() for layer in self.decoder],
                         self.out_proj.weight.t().contiguous())
            self.__dict__["_step_cache"] = cached = (key, built)
        return cached[1]

    def decode_step(self, tokens: torch.Tensor, cache: DecoderCache) -> torch.Tensor:
        """Feed one new token per row, tokens (B,), and return next-token logits (B, V)."""
        x = self.tgt_embed(tokens) * math.sqrt(self.cfg.d_model) + self._positions(
            cache.length, 1)  # (B, D)
        t = cache.length
        for i, (w, memory) in enumerate(zip(cache.weights, cache.memory, strict=True)):
            x = _step_layer(x, w, cache.slot(i), memory, t)
        cache.length += 1
        return torch.mm(self.dec_norm(x), cache.out_weight)

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
